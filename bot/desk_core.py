"""What the editorial use cases share (bot/drafting.py, bot/deciding.py, bot/scheduling.py,
bot/listing.py): the ports, who may act, the post as people see it, compare-and-set moves with
their audit line, the cards already shown, and background work in order.

`Desk` (bot/editorial.py) is the facade the transports call; this is its common state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from bot.card_board import CardBoard
from bot.cards import PostView, draft_card, short_name
from bot.config import Config
from bot.domain import Network, PostState, PublicationState, Role
from bot.errors import Conflict, Denied, NotFound
from bot.media import MediaStore
from bot.people import audit
from bot.ports import Card, CardRef, Check, Notifier, OutgoingPost, Planner, Publisher
from bot.style import HouseStyle
from bot.views import get_post, load_view
from storage.models import Person, Post, Publication
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DECIDABLE = (PostState.draft,)
EDITABLE = (PostState.draft, PostState.approved, PostState.scheduled, PostState.failed)
MAX_ATTACHMENTS = 10
CARD_KIND = "post"  # a draft's cards in the cards table

CONFLICT_VERBS = {
    PostState.approved: "Уже одобрено",
    PostState.scheduled: "Уже запланировано",
    PostState.rejected: "Уже отклонено",
    PostState.published: "Уже опубликовано",
    PostState.publishing: "Уже публикуется",
    PostState.cancelled: "Публикация уже отменена",
    PostState.failed: "Публикация не удалась",
    PostState.draft: "Черновик ещё не одобрен",
    PostState.deleted: "Публикация уже удалена из сетей",
}


class DeskCore:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        publishers: dict[Network, Publisher],
        media: MediaStore,
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self.uow = uow
        self.notifier = notifier
        # Draft cards go to each editor privately (the group is for comments and tickets).
        self.board = CardBoard(uow, notifier, None)
        self.publishers = publishers
        self.media = media
        self.config = config
        self.clock = clock
        self.tz = config.desk.tz
        self.style = HouseStyle(config)
        self.planner: Planner | None = None
        # Formats whose extra posts are approved with a post (bot/broadcasts.py's reminder):
        # `scheduled(uow, post_id, when, actor, now)` -> [(post_id, when)] to plan, and
        # `cancelled(uow, post_id, actor, now)`, both inside the decision's transaction.
        self.hooks: list[Any] = []
        self._background: set[asyncio.Task] = set()
        self._last_background: asyncio.Task | None = None

    # ---- who may act ------------------------------------------------------------------------
    @staticmethod
    def require_active(actor: Person) -> None:
        if not actor.active:
            raise Denied("Ваш доступ к боту закрыт. Обратитесь к администратору.")

    def require_editor(self, actor: Person) -> None:
        self.require_active(actor)
        if not Role(actor.role).can_edit():
            raise Denied("Это могут делать только редакторы пресс-службы.")

    # ---- the post -----------------------------------------------------------------------------
    async def post(self, uow: UnitOfWork, post_id: int) -> Post:
        return await get_post(uow, post_id)

    async def view(self, uow: UnitOfWork, post_id: int) -> PostView:
        return await load_view(uow, self.media, post_id)

    def checks(self, view: PostView) -> dict[Network, Check]:
        """Each network's verdict on what it would get: its own text, in its house style."""
        return {
            network: p.check(OutgoingPost.of(view.post.id, self.style.content(view, network)))
            for network, p in self.publishers.items()
        }

    def preview(self, view: PostView) -> Card:
        return draft_card(view, self.checks(view), self.clock(), self.tz)

    @staticmethod
    def new_publication(post_id: int, network: Network, now: datetime) -> Publication:
        return Publication(
            post_id=post_id, network=network, state=PublicationState.pending, updated_at=now
        )

    async def transition(
        self,
        uow: UnitOfWork,
        post_id: int,
        from_states: Sequence[PostState],
        action: str,
        actor: Person,
        details: str = "",
        **values: object,
    ) -> PostView:
        """Move the post (one winner), write the audit line, commit, and return it as it is now."""
        now = self.clock()
        if not await uow.posts.move(post_id, from_states, updated_at=now, **values):
            raise await self.conflict(uow, post_id)
        await audit(uow, now, action, actor=actor, obj=f"post:{post_id}", details=details)
        await uow.commit()
        return await self.view(uow, post_id)

    async def conflict(self, uow: UnitOfWork, post_id: int) -> Exception:
        post = await uow.posts.get(post_id)
        if post is None:
            return NotFound("Этого черновика больше нет.")
        await uow.session.refresh(post)
        who = await uow.people.get(post.decided_by) if post.decided_by else None
        verb = CONFLICT_VERBS[PostState(post.state)]
        suffix = (
            f" ({short_name(who)})"
            if who and post.state in ("approved", "rejected", "scheduled")
            else ""
        )
        return Conflict(f"{verb}{suffix}.")

    # ---- the plan -----------------------------------------------------------------------------
    def plan(self, post_id: int, when: datetime) -> None:
        if self.planner is not None:
            self.planner.plan(post_id, when)

    def unplan(self, post_id: int) -> None:
        if self.planner is not None:
            self.planner.unplan(post_id)

    # ---- cards ----------------------------------------------------------------------------------
    async def remember_card(self, post_id: int, ref: CardRef) -> None:
        await self.board.remember(CARD_KIND, post_id, ref)

    async def update_cards(self, post_id: int, card: Card) -> None:
        await self.board.update(CARD_KIND, post_id, card)

    # ---- background work ----------------------------------------------------------------------
    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the background work before it, one at a time.

        Editors get the cards in the order the reports came, and when many reports arrive at
        once the cards queue behind each other instead of all competing with the people who
        are waiting for an answer."""
        previous = self._last_background

        async def in_turn() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            try:
                await work
            except Exception:
                log.exception("background work failed: %s", work.__qualname__)

        task = asyncio.create_task(in_turn())
        self._last_background = task
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Let notifications already under way finish (called before shutting down)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
