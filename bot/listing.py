"""The editors' lists: /drafts (drafts and approved posts waiting for a time) and /queue."""

from __future__ import annotations

from bot.cards import approved_waiting_card, queue_line
from bot.desk_core import DeskCore
from bot.domain import PostState
from bot.ports import Card
from storage.models import Person


class Listing:
    def __init__(self, core: DeskCore) -> None:
        self._core = core

    async def drafts(self, actor: Person) -> list[Card]:
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            posts = await uow.posts.in_states([PostState.draft, PostState.approved])
            views = [await core.view(uow, p.id) for p in posts]
        cards = []
        for view in views:
            if view.post.state == PostState.draft:
                card = core.preview(view)
            else:
                card = approved_waiting_card(view)
            cards.append(card)
        return cards

    async def queue(self, actor: Person) -> list[Card]:
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            posts = await uow.posts.in_states(
                [PostState.scheduled, PostState.publishing, PostState.failed]
            )
            views = [await core.view(uow, p.id) for p in posts]
        now = core.clock()
        return [queue_line(view, now, core.tz) for view in views]
