"""Refusals the core gives; each carries the Russian sentence the person will see."""


class DeskError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Denied(DeskError):
    """The person may not do this (checked in the core, whatever the buttons showed)."""


class NotFound(DeskError):
    """The thing a button or command pointed at is gone."""


class Conflict(DeskError):
    """Someone else already decided, or the state moved on."""


class Invalid(DeskError):
    """The input cannot be used as it is; the message says how to fix it."""
