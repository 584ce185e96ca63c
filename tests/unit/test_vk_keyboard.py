"""The core's cards within VK's inline keyboard grid (5 wide, 6 rows, 10 buttons, 40-character
labels: https://dev.vk.com/api/bots/development/keyboard)."""

from __future__ import annotations

import json

from bot.ports import Action, Button, Card
from handlers.vk.render import card_keyboard, fit_rows


def rows_of(keyboard: str) -> list[list[str]]:
    return [[b["action"]["label"] for b in row] for row in json.loads(keyboard)["buttons"]]


def test_six_networks_and_done_fit_in_rows_of_five() -> None:
    networks = tuple(Button(f"✓ Сеть {i}", Action.toggle_network, 1, str(i)) for i in range(6))
    card = Card("Куда?", (networks, (Button("Готово", Action.confirm, 1),)))
    rows = rows_of(card_keyboard(card))
    assert [len(row) for row in rows] == [5, 1, 1] and rows[-1] == ["Готово"]


def test_too_many_rows_share_and_past_ten_buttons_are_dropped() -> None:
    spec = [[(str(i), {})] for i in range(8)]
    fitted = fit_rows(spec)
    assert len(fitted) == 6 and sum(map(len, fitted)) == 8
    assert [label for row in fitted for label, _ in row] == [str(i) for i in range(8)]
    many = fit_rows([[(str(i), {}) for i in range(5)]] * 3)
    assert sum(map(len, many)) == 10


def test_a_long_label_is_cut_and_the_payload_is_small() -> None:
    card = Card("x", ((Button("Удалить и заблокировать автора " * 3, Action.comment_ban, 7),),))
    keyboard = json.loads(card_keyboard(card))
    [[button]] = keyboard["buttons"]
    assert len(button["action"]["label"]) == 40
    assert len(json.dumps(button["action"]["payload"])) <= 255
