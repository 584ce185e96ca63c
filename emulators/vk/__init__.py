"""A local VK API 5.199 emulator for end-to-end tests and the sandbox page."""

from .emulator import VKEmulator
from .schema import Schema, VKError

__all__ = ["Schema", "VKEmulator", "VKError"]
