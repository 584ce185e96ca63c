"""Wiring the post formats of issue 11: polls, live broadcasts and contests, their use cases
for the handlers, the broadcast's reminder approved with its announcement, and the jobs that
look for a poll that ended, a broadcast that started and a contest to draw."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.broadcasts import Broadcasts
from bot.contests import Contests
from bot.polls import Polls

if TYPE_CHECKING:
    from bot.app import Application


def formats(app: Application) -> dict[str, object]:
    """Builds them; returns what the Telegram handlers get (the Dispatcher's data)."""
    config, clock, uow = app.config, app.clock, app.uow
    app.polls = Polls(uow, app.notifier, app.publishers, config, clock)
    app.broadcasts = Broadcasts(uow, app.notifier, config, clock, app.scheduler.plan)
    app.contests = Contests(
        uow, app.notifier, config, clock, app.desk.show_draft, app.moderation.moderator
    )
    app.desk.core.hooks += [app.polls, app.broadcasts]
    every = config.formats.check_every_seconds / 60
    for name, sweep in (
        ("polls", app.polls.sweep),
        ("broadcasts", app.broadcasts.sweep),
        ("contests", app.contests.sweep),
    ):
        app.scheduler.every(f"formats:{name}", sweep, every)
    return {"polls": app.polls, "broadcasts": app.broadcasts, "contests": app.contests}


def vk(app: Application) -> None:
    """An editor in the community's messages adds them too (handlers/vk/formats.py)."""
    if app.vk_chat is not None:
        app.vk_chat.polls, app.vk_chat.broadcasts = app.polls, app.broadcasts
        app.vk_chat.contests = app.contests
