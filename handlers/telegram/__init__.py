"""Telegram transport: aiogram routers, one per feature, collected in order."""

from aiogram import Router

from handlers.telegram import common, fallback, invite, lists, moderation, report, review


def get_routers() -> list[Router]:
    # The fallback goes last: it answers whatever no feature router took. Moderation comes
    # before review, whose button handler takes every DeskCB action left.
    return [
        common.router, invite.router, report.router, moderation.router, review.router,
        lists.router, fallback.router,
    ]  # fmt: skip


def detach_routers(routers: list[Router]) -> None:
    """Let a later Dispatcher in the same process (a restart, the next test) include them again.

    aiogram attaches a router to one parent for life and offers no public way back."""
    for router in routers:
        router._parent_router = None
