"""A ticket's list of departments (or templates) longer than VK's 10 buttons under a message comes
in several messages, every department on a button (handlers/vk/tickets.show_choices)."""

from __future__ import annotations

import json
from typing import Any

from bot.replies.cards import departments_card
from handlers.vk.chat import Turn
from handlers.vk.tickets import show_choices
from storage.tickets import Ticket


class Said:
    def __init__(self) -> None:
        self.messages: list[tuple[str, Any]] = []

    async def say(self, turn: Turn, text: str, keyboard: str | None = None) -> int:
        self.messages.append((text, json.loads(keyboard) if keyboard else None))
        return len(self.messages)


async def test_twenty_three_departments_come_in_three_messages() -> None:
    departments = [(n, f"Отдел № {n:02}") for n in range(1, 24)]
    card = departments_card(Ticket(id=5), departments, "Отдел № 07")
    chat = Said()
    await show_choices(chat, Turn(peer_id=1), card)  # type: ignore[arg-type]
    texts = [text for text, _ in chat.messages]
    assert texts[0].startswith("В какой отдел передать обращение № 5?")
    assert texts[1:] == ["Ещё (2 из 3):", "Ещё (3 из 3):"]
    labels = [b["action"]["label"] for _, kb in chat.messages for row in kb["buttons"] for b in row]
    assert labels[0] == "Отдел № 07" and sorted(labels) == sorted(n for _, n in departments)
    for _, kb in chat.messages:
        assert len(kb["buttons"]) <= 6 and sum(map(len, kb["buttons"])) <= 10
