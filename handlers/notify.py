"""One Notifier for the core over every chat transport: a person is told where they are."""

from __future__ import annotations

from bot.ports import Card, CardRef, Notifier
from storage.models import Person


class RoutingNotifier:
    """send() goes to Telegram when the person has a Telegram id, else to VK; edit() goes back
    to the transport that showed the card, named by the CardRef's chat prefix ("tg:", "vk:")."""

    def __init__(self, telegram: Notifier, vk: Notifier | None = None) -> None:
        self._telegram = telegram
        self._vk = vk

    async def send(self, person: Person, card: Card) -> CardRef | None:
        if person.telegram_id is not None:
            return await self._telegram.send(person, card)
        if person.vk_id is not None and self._vk is not None:
            return await self._vk.send(person, card)
        return None

    async def edit(self, ref: CardRef, card: Card) -> None:
        kind = ref.chat.partition(":")[0]
        if kind == "tg":
            await self._telegram.edit(ref, card)
        elif kind == "vk" and self._vk is not None:
            await self._vk.edit(ref, card)
