"""What both emulators share."""

from __future__ import annotations

import copy
from typing import TypeVar

T = TypeVar("T")
_IMMUTABLE = (str, int, float, type(None), bytes)


def clone(value: T) -> T:
    """A deep copy of JSON-shaped data (what the emulators keep, send and answer).

    Several times quicker than copy.deepcopy, which the emulator paid on every message it
    stored, emitted or answered; anything not JSON-shaped still goes through deepcopy."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [clone(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)
