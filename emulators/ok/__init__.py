"""A local emulator of the OK (Odnoklassniki) REST API for the tests and the sandbox."""

from .api import OKError, signature
from .emulator import OKEmulator

__all__ = ["OKEmulator", "OKError", "signature"]
