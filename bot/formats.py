"""What the post formats of issue 11 (bot/polls.py, bot/broadcasts.py, bot/contests.py) share:
who may act, which posts take an addition, the lines a format adds to the post's text, and
telling the editors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.cards import PostView
from bot.config import Config
from bot.domain import PostState, Role
from bot.errors import Conflict, Denied, Invalid
from bot.ports import Action, Button, Card, Notifier
from bot.views import get_post, load_view
from storage.models import Post
from storage.uow import UnitOfWork

TAKES_ADDITIONS = (PostState.draft,)
# The buttons of this feature (the draft card's «+ …», the poll's kind, «Опубликовать запись»).
FORMAT_ACTIONS = {
    Action.add_poll,
    Action.poll_kind,
    Action.add_broadcast,
    Action.add_contest,
    Action.publish_recording,
}


def poll_kind_card(post_id: int) -> Card:
    return Card(
        "Сколько ответов можно выбрать?",
        buttons=(
            (
                Button("Один", Action.poll_kind, post_id, "1"),
                Button("Несколько", Action.poll_kind, post_id, "n"),
            ),
        ),
    )


class FormatService:
    """The base of each format's use cases (the Desk shows the draft card afterwards)."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._config = config
        self._clock = clock
        self._tz = config.desk.tz

    @staticmethod
    def require_editor(actor: object) -> None:
        if not getattr(actor, "active", False):
            raise Denied("Ваш доступ к боту закрыт. Обратитесь к администратору.")
        if not Role(actor.role).can_edit():  # type: ignore[attr-defined]
            raise Denied("Это могут делать только редакторы пресс-службы.")

    @staticmethod
    async def open_draft(uow: UnitOfWork, post_id: int) -> Post:
        post = await get_post(uow, post_id)
        if post.state not in TAKES_ADDITIONS:
            raise Conflict(
                "Добавить это можно только к черновику до одобрения "
                f"(сейчас: {PostState(post.state).title})."
            )
        return post

    async def may_add(self, post_id: int) -> None:
        """Refused now, before any question is asked, if the post no longer takes additions."""
        async with self._uow() as uow:
            await self.open_draft(uow, post_id)

    def future(self, moment: datetime, what: str) -> datetime:
        if moment <= self._clock():
            raise Invalid(f"{what} должно быть в будущем.")
        return moment

    async def view(self, post_id: int, media: object) -> PostView:
        async with self._uow() as uow:
            return await load_view(uow, media, post_id)  # type: ignore[arg-type]

    async def tell_editors(self, card: Card) -> None:
        async with self._uow() as uow:
            editors = await uow.people.editors()
        for editor in editors:
            await self._notifier.send(editor, card)
