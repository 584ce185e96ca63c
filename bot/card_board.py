"""The editors' board: where the cards that wait for an editor go, and how every copy of one is
kept up to date.

A card goes to the editors' group when `[telegram] moderation_chat_id` names one (and privately to
the editors who have no Telegram account, so are not in it), else (or when the group refuses it:
the bot removed, a wrong id) to each editor privately. Every message that
shows it is remembered (kind, object id) in the cards table, so a decision taken on one copy
redraws them all, and a restart forgets none. Moderation, citizens' tickets and drafts all use it.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.ports import Card, CardRef, Notifier, RoomNotifier
from storage.models import Person
from storage.uow import UnitOfWork


class CardBoard:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        room: RoomNotifier | None,
        group_chat: int = 0,
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._room = room
        self._group = group_chat

    async def show(self, kind: str, obj_id: int | None, card: Card) -> list[CardRef]:
        """To the editors' group if there is one, else to each editor privately. With an
        `obj_id`, each copy is remembered under (kind, obj_id) for `update`."""
        refs: list[CardRef] = []
        if self._group and self._room is not None:
            ref = await self._room.send_to(f"tg:{self._group}", card)
            refs.extend([ref] if ref is not None else [])
        if not refs:
            refs = await self.to_each_editor(card)
        else:  # an editor with no Telegram account never sees the group: privately to them
            refs += await self.to_each_editor(card, without_telegram=True)
        if obj_id is not None:
            for ref in refs:
                await self.remember(kind, obj_id, ref)
        return refs

    async def to_each_editor(self, card: Card, without_telegram: bool = False) -> list[CardRef]:
        """Privately to every active editor (only those with no Telegram account, when asked);
        the copies that reached someone."""
        editors = [e for e in await self.editors() if not without_telegram or e.telegram_id is None]
        refs = [await self._notifier.send(editor, card) for editor in editors]
        return [ref for ref in refs if ref is not None]

    async def remember(self, kind: str, obj_id: int, ref: CardRef) -> None:
        async with self._uow() as uow:
            await uow.cards.add(kind, obj_id, ref.chat, ref.message_id)
            await uow.commit()

    async def update(self, kind: str, obj_id: int, card: Card) -> None:
        """Every remembered copy of the card redrawn."""
        async with self._uow() as uow:
            refs = await uow.cards.of(kind, obj_id)
        for ref in refs:
            await self._notifier.edit(CardRef(ref.chat, ref.message_id), card)

    async def editors(self) -> list[Person]:
        async with self._uow() as uow:
            return await uow.people.editors()
