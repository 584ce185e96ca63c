"""vkbottle's state dispenser kept in the database (the aiogram dialogs' table, keys "vk:..."),
so a half-filled report in VK survives a restart just as one in Telegram does."""

from __future__ import annotations

from typing import Any

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

    async def delete(self, peer_id: int) -> None:
        await self._storage.save(self._prefix + str(peer_id), None, {})
