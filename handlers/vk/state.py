"""vkbottle's state dispenser kept where the Telegram dialogs are: in the database (the aiogram
dialogs' table, keys "vk:..."), or in Redis when several instances share the dialogs, so a
half-filled report in VK survives a restart just as one in Telegram does."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StorageKey
from vkbottle import ABCStateDispenser, BaseStateGroup, StatePeer

from storage.fsm import DatabaseStorage


class DatabaseStateDispenser(ABCStateDispenser):
    def __init__(self, storage: DatabaseStorage, group_id: int) -> None:
        self._storage = storage
        self._prefix = f"vk:{group_id}:"  # aiogram's keys start with the bot id, never "vk:"

    async def get(self, peer_id: int) -> StatePeer | None:
        state, data = await self._storage.load(self._prefix + str(peer_id))
        if state is None:
            return None
        return StatePeer(peer_id=peer_id, state=state, payload=data)

    async def set(self, peer_id: int, state: BaseStateGroup | str, **payload: Any) -> None:
        name = str(state)  # BaseStateGroup's str() is "Group:value", as vkbottle compares it
        await self._storage.save(self._prefix + str(peer_id), name, payload)

    async def delete(self, peer_id: int, **keep: Any) -> None:
        """No dialog open any more; `keep` is what is remembered of the last one (its number)."""
        await self._storage.save(self._prefix + str(peer_id), None, keep)

    async def leftover(self, peer_id: int) -> dict[str, Any]:
        """What `delete` kept about the last dialog."""
        return (await self._storage.load(self._prefix + str(peer_id)))[1]


class SharedStateDispenser(ABCStateDispenser):
    """The VK dialog in any aiogram storage (RedisStorage for several instances): one key per
    community and person, in a "destiny" of its own so it never meets a Telegram dialog."""

    def __init__(self, storage: BaseStorage, group_id: int) -> None:
        self._storage = storage
        self._destiny = f"vk:{group_id}"

    def _key(self, peer_id: int) -> StorageKey:
        return StorageKey(bot_id=0, chat_id=peer_id, user_id=peer_id, destiny=self._destiny)

    async def get(self, peer_id: int) -> StatePeer | None:
        key = self._key(peer_id)
        state = await self._storage.get_state(key)
        if state is None:
            return None
        return StatePeer(peer_id=peer_id, state=state, payload=await self._storage.get_data(key))

    async def set(self, peer_id: int, state: BaseStateGroup | str, **payload: Any) -> None:
        key = self._key(peer_id)
        await self._storage.set_data(key, payload)
        await self._storage.set_state(key, str(state))

    async def delete(self, peer_id: int, **keep: Any) -> None:
        key = self._key(peer_id)
        await self._storage.set_state(key, None)
        await self._storage.set_data(key, keep)

    async def leftover(self, peer_id: int) -> dict[str, Any]:
        return await self._storage.get_data(self._key(peer_id))
