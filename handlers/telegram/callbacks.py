"""Typed button data. A short prefix per kind; unknown or damaged data fails to parse."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.ports import Action


class DeskCB(CallbackData, prefix="d1"):
    """A core action on a post; the "1" is the format version, so old buttons fail clearly."""

    action: Action
    ref: int
    arg: str = ""


class ReportCB(CallbackData, prefix="r1"):
    """A step of the report dialog."""

    step: str
    arg: str = ""


class InviteCB(CallbackData, prefix="i1"):
    role: str = ""
    department: int = -1


class PlanCB(CallbackData, prefix="p1"):
    """The plan's buttons: week (arg = its Monday), open (arg = post|item|ann), slots, to
    (arg = epoch seconds), add, xlsx, html, unplan."""

    action: str
    ref: int = 0
    arg: str = ""
