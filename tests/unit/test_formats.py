"""The pure parts of polls and contests: the answers a person types, and the draw."""

from __future__ import annotations

import pytest

from bot.contests import draw, list_hash, parse_winners
from bot.errors import Invalid
from bot.polls import parse_options, parse_question

ENTRIES = [f"vk:{n}" for n in range(1000, 1050)] + [f"telegram:{n}" for n in range(20)]


def test_the_same_entries_and_seed_give_the_same_winners_in_any_order() -> None:
    first = draw(ENTRIES, "seed-1", 3)
    assert draw(list(reversed(ENTRIES)), "seed-1", 3) == first
    assert draw(ENTRIES + ENTRIES[:5], "seed-1", 3) == first  # one entry per person
    assert len(set(first)) == 3 and set(first) <= set(ENTRIES)


def test_another_seed_draws_afresh_and_every_entry_can_win() -> None:
    winners = {draw(ENTRIES, f"seed-{n}", 1)[0] for n in range(400)}
    assert len(winners) > len(ENTRIES) // 2  # not stuck on a few entries


def test_fewer_entries_than_winners_and_none() -> None:
    assert sorted(draw(["vk:1", "vk:2"], "s", 5)) == ["vk:1", "vk:2"]
    assert draw([], "s", 1) == []


def test_list_hash_names_the_list() -> None:
    assert list_hash(["vk:1", "vk:2"]) != list_hash(["vk:1", "vk:3"])
    assert len(list_hash([])) == 64


def test_poll_answers_are_checked() -> None:
    assert parse_question("  Где   поставить?  ") == "Где поставить?"
    assert parse_options("Да\n\n Нет \n") == ("Да", "Нет")
    for bad in ("Один", "\n".join(str(n) for n in range(11)), "Да\nда", "x" * 101 + "\nНет"):
        with pytest.raises(Invalid):
            parse_options(bad)
    with pytest.raises(Invalid):
        parse_question("x" * 301)


def test_winners_count() -> None:
    assert parse_winners(" 2 ") == 2
    for bad in ("0", "ноль", "101", "-1"):
        with pytest.raises(Invalid):
            parse_winners(bad)
