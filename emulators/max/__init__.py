"""A local emulator of the MAX messenger's Bot API for the tests and the sandbox."""

from .emulator import MaxEmulator

__all__ = ["MaxEmulator"]
