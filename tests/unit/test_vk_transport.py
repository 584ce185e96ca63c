"""The VK transport's pure parts: which transport tells a person, VK attachments, random ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.domain import MediaKind, Network
from bot.ports import Action, Button, Card, CardRef, Unreachable
from handlers.notify import RoutingNotifier
from handlers.vk.render import card_keyboard, stable_random_id
from handlers.vk.report import UNSUPPORTED, attachment_source
from storage.models import Person


class Recorder:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sent: list[tuple[int | None, str]] = []
        self.edited: list[CardRef] = []

    async def send(self, person: Person, card: Card) -> CardRef | None:
        self.sent.append((person.id, card.text))
        return CardRef(f"{self.kind}:1", 1)

    async def edit(self, ref: CardRef, card: Card) -> None:
        self.edited.append(ref)


async def test_routing_prefers_telegram_then_vk_and_edits_where_shown() -> None:
    tg, vk = Recorder("tg"), Recorder("vk")
    notifier = RoutingNotifier(tg, vk)
    both = Person(id=1, full_name="A", telegram_id=10, vk_id=20)
    vk_only = Person(id=2, full_name="B", vk_id=21)
    nowhere = Person(id=3, full_name="C")
    card = Card("Опубликовано")
    assert (await notifier.send(both, card)).chat == "tg:1"
    assert (await notifier.send(vk_only, card)).chat == "vk:1"
    assert await notifier.send(nowhere, card) is None
    assert tg.sent == [(1, "Опубликовано")] and vk.sent == [(2, "Опубликовано")]
    await notifier.edit(CardRef("vk:21", 5), card)
    await notifier.edit(CardRef("tg:10", 6), card)
    await notifier.edit(CardRef("ok:1", 7), card)  # no such transport: nothing happens
    assert vk.edited == [CardRef("vk:21", 5)] and tg.edited == [CardRef("tg:10", 6)]
    assert await RoutingNotifier(tg).send(vk_only, card) is None  # VK messages are off


def test_photo_takes_the_biggest_size_and_unknown_kinds_are_refused() -> None:
    photo = {
        "type": "photo",
        "photo": {
            "id": 7,
            "owner_id": 700001,
            "sizes": [
                {"type": "w", "url": "http://x/big", "width": 1280, "height": 960},
                {"type": "s", "url": "http://x/small", "width": 75, "height": 56},
            ],
        },
    }
    source = attachment_source(photo)
    assert isinstance(source, dict)
    assert source["url"] == "http://x/big" and source["kind"] == MediaKind.photo
    doc = {"type": "doc", "doc": {"ext": "pdf", "title": "План", "url": "http://x/d", "size": 10}}
    assert attachment_source(doc)["name"] == "План.pdf"
    # any file is fetched: its bytes, not its name, decide (bot/filetypes.py refuses an .exe)
    assert attachment_source({"type": "doc", "doc": {"ext": "txt", "url": "u"}})["url"] == "u"
    assert attachment_source({"type": "sticker", "sticker": {}}) == UNSUPPORTED
    # a VK video: its biggest mp4 link when VK gives `files`, otherwise «send it as a file»
    assert "файлом" in attachment_source({"type": "video", "video": {}})
    files = {"mp4_360": "http://x/360", "mp4_1080": "http://x/1080", "external": "http://y"}
    video = attachment_source({"type": "video", "video": {"id": 3, "owner_id": 7, "files": files}})
    assert video["url"] == "http://x/1080" and video["kind"] == MediaKind.video


def test_random_ids_repeat_for_the_same_reply_only() -> None:
    first = stable_random_id(100001, 700001, "m15", 1)
    assert first == stable_random_id(100001, 700001, "m15", 1)
    assert first != stable_random_id(100001, 700001, "m15", 2)
    assert 0 < first < 2**31


def test_card_buttons_become_callback_buttons() -> None:
    card = Card("x", buttons=((Button("Повторить", Action.retry, 5),),))
    [[button]] = json.loads(card_keyboard(card))["buttons"]
    assert button["action"]["type"] == "callback"
    assert button["action"]["payload"] == {"d": "rt", "r": 5, "a": ""}
    assert card_keyboard(Card("no buttons")) is None


class Closed(Recorder):
    """A transport where the given people can't be reached."""

    def __init__(self, kind: str, closed: set[int]) -> None:
        super().__init__(kind)
        self.closed = closed

    async def send(self, person: Person, card: Card) -> CardRef | None:
        if person.id in self.closed:
            raise Unreachable(Network.vk, "сообщения от сообщества запрещены", "Попросите")
        return await super().send(person, card)


async def test_an_unreachable_person_is_told_to_the_editors_once_a_day() -> None:
    now = [datetime(2026, 12, 1, 9, tzinfo=UTC)]
    editor = Person(id=1, full_name="Анна", telegram_id=10)
    blocked_editor = Person(id=2, full_name="Борис", vk_id=22)
    reporter = Person(id=3, full_name="Ольга Смирнова", vk_id=23)
    tg, vk = Recorder("tg"), Closed("vk", {2, 3})

    async def editors() -> list[Person]:
        return [editor, blocked_editor, reporter]

    notifier = RoutingNotifier(tg, vk, editors, lambda: now[0])
    assert await notifier.send(reporter, Card("Отклонено\nПричина: повтор")) is None
    assert await notifier.send(reporter, Card("Опубликовано")) is None
    await notifier.drain()
    [(person_id, text)] = tg.sent
    assert person_id == 1
    assert text == (
        "Не удалось отправить сообщение: Ольга Смирнова (ВКонтакте) — сообщения от сообщества "
        "запрещены. Попросите или свяжитесь иначе.\nНе дошло: «Отклонено»"
    )
    now[0] += timedelta(days=1)  # a new day: the editors hear it again
    await notifier.send(reporter, Card("Опубликовано"))
    await notifier.drain()
    assert len(tg.sent) == 2


async def test_no_one_to_tell_is_logged_and_tried_again_later() -> None:
    vk = Closed("vk", {1, 3})
    lonely = Person(id=1, full_name="Борис", vk_id=22)
    reporter = Person(id=3, full_name="Ольга", vk_id=23)

    async def editors() -> list[Person]:
        return [lonely]

    notifier = RoutingNotifier(Recorder("tg"), vk, editors)
    await notifier.send(reporter, Card("Опубликовано"))
    await notifier.drain()
    assert notifier._told == {}  # nobody heard it: the next card tries again
