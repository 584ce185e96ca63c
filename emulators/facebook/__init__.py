"""A local Graph API emulator (Facebook Pages and Instagram business accounts) for the tests
and the sandbox."""

from .emulator import GraphEmulator
from .state import GraphFail

__all__ = ["GraphEmulator", "GraphFail"]
