"""A person's decisions on a publication: «Повторить», «Опубликовать снова», «Да, вышло»
(bot/publishing.py's Outbox mixes this in). Each is a compare-and-set move of the outbox row,
audited, so two editors pressing at once get one outcome and the other a clear «уже решено»."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain import Network, PostState, PublicationState, Role
from bot.errors import Conflict, Denied, Invalid
from bot.media import MediaStore
from bot.people import audit
from bot.ports import Card, Notifier
from bot.publishing_cards import landed_card
from bot.views import load_view
from storage.models import Person, Publication
from storage.outbox import published_parts
from storage.uow import UnitOfWork


class Decisions:
    """The buttons' use cases; needs the Outbox's attributes."""

    _uow: Callable[[], UnitOfWork]
    _notifier: Notifier
    _media: MediaStore
    _clock: Callable[[], datetime]

    # Provided by the Outbox.
    @staticmethod
    async def _settle_post(uow: UnitOfWork, post_id: int, now: datetime) -> None:
        raise NotImplementedError

    def _where(self, row: Publication) -> str:
        raise NotImplementedError

    def wake(self) -> None:
        raise NotImplementedError

    async def retry(self, post_id: int, actor: Person, network: str = "") -> Card:
        """«Повторить»: the failed network (or every failed one) goes out again now."""
        return await self._decide(
            post_id, actor, network, PublicationState.failed, "publication.retry"
        )

    async def publish_again(self, post_id: int, actor: Person, network: str) -> Card:
        """«Опубликовать снова»: the person checked, it is not there; send what is missing."""
        return await self._decide(
            post_id, actor, network, PublicationState.uncertain, "publication.publish_again"
        )

    async def _decide(
        self, post_id: int, actor: Person, network: str, from_state: str, action: str
    ) -> Card:
        _require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            rows = [
                r
                for r in await uow.publications.for_post(post_id)
                if r.state == from_state and network in ("", r.network)
            ]
            moved = []
            for row in rows:
                done = await uow.outbox.move(
                    row.id,
                    (from_state,),
                    state=PublicationState.scheduled,
                    due_at=now,
                    attempts=0,
                    error=None,
                    claimed_by=None,
                    lease_until=None,
                    updated_at=now,
                )
                if done is not None:
                    moved.append(Network(row.network).title)
                    await audit(uow, now, action, actor=actor, obj=f"post:{post_id}:{row.network}")
            if not moved:
                view = await load_view(uow, self._media, post_id)
                raise Conflict(f"«{view.title}»: это уже решено, повторять нечего.")
            await uow.posts.move(
                post_id, (PostState.failed, PostState.published), state=PostState.publishing
            )
            await uow.commit()
            view = await load_view(uow, self._media, post_id)
        self.wake()
        return Card(f"Публикую «{view.title}» снова: {', '.join(moved)}.")

    async def confirm_out(self, post_id: int, actor: Person, network: str) -> Card:
        """«Да, вышло»: the person saw it on the network; it counts as published."""
        _require_editor(actor)
        try:
            target = Network(network)
        except ValueError:
            raise Invalid("Такой сети нет в настройках.") from None
        now = self._clock()
        async with self._uow() as uow:
            await uow.posts.lock(post_id)
            row = await uow.outbox.of_post(post_id, target)
            if row is None:
                raise Invalid("Этой публикации больше нет.")
            first = next(iter(published_parts(row).values()), None)
            moved = await uow.outbox.move(
                row.id,
                (PublicationState.uncertain,),
                state=PublicationState.published,
                external_id=first.external_id if first else None,
                url=first.url if first else self._where(row),
                error=None,
                published_at=now,
                updated_at=now,
            )
            if moved is None:
                view = await load_view(uow, self._media, post_id)
                raise Conflict(f"«{view.title}»: это уже решено.")
            await self._settle_post(uow, post_id, now)
            await audit(
                uow, now, "publication.confirmed_out", actor=actor, obj=f"post:{post_id}:{network}"
            )
            await uow.commit()
            view = await load_view(uow, self._media, post_id)
        if view.author is not None and view.author.id != actor.id:
            await self._notifier.send(view.author, landed_card(view, moved))
        return Card(
            f"Отмечено: «{view.title}» вышло — {target.title} ({actor.full_name}). "
            "Повторно публиковать не буду."
        )


def _require_editor(actor: Person) -> None:
    if not actor.active:
        raise Denied("Ваш доступ к боту закрыт. Обратитесь к администратору.")
    if not Role(actor.role).can_edit():
        raise Denied("Это могут делать только редакторы пресс-службы.")
