"""Issue 10: one report approved to every network at once (Facebook and Instagram switched on in
this test's config): Telegram, VK, OK, MAX, Facebook and Instagram. Each network is a row of
NETWORKS: what the editor ticks, what landed on its emulator (text and photo bytes) and the link
people get."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.stage import (
    ADMIN_ID,
    CHANNEL_ID,
    FB_PAGE_ID,
    IG_USER_ID,
    MAX_CHANNEL_ID,
    OK_GROUP_ID,
    VK_GROUP_ID,
    Stage,
)
from tests.e2e.conftest import PHOTO_A, PHOTO_B, Chat, buttons, join, landed, report_event

EDITED = "На улице Школьной в селе Корнилово открыли новую спортивную площадку. #ТомскийРайон"


@dataclass(frozen=True)
class Landed:
    text: str
    photos: list[bytes]


@dataclass(frozen=True)
class Net:
    title: str  # the button and the line in the cards
    landed: Callable[[Stage], list[Landed]]
    link: str  # what the link people get starts with


def telegram(stage: Stage) -> list[Landed]:
    posts = stage.tg.chat_messages(CHANNEL_ID)
    if not posts:
        return []
    # an album is one publication: its messages share the caption of the first
    photos = [stage.tg.file_bytes(p["photo"][-1]["file_id"]) for p in posts if p.get("photo")]
    albums = {p.get("media_group_id") for p in posts}
    return [Landed(posts[0].get("caption") or posts[0].get("text") or "", photos)] * len(albums)


def vk(stage: Stage) -> list[Landed]:
    return [
        Landed(
            p["text"],
            [
                stage.vk.photo_bytes(a["photo"]["owner_id"], a["photo"]["id"])
                for a in p["attachments"]
                if a["type"] == "photo"
            ],
        )
        for p in stage.vk.wall_posts(-VK_GROUP_ID)
    ]


def ok(stage: Stage) -> list[Landed]:
    return [
        Landed(t["text"], [stage.ok.state.photo_data[p["photo_id"]] for p in t["photos"]])
        for t in stage.ok.topics(OK_GROUP_ID)
    ]


def max_channel(stage: Stage) -> list[Landed]:
    return [
        Landed(
            p["body"]["text"],
            [
                stage.max.tokens[a["payload"]["token"]]["data"]
                for a in p["body"].get("attachments") or []
                if a["type"] == "image"
            ],
        )
        for p in stage.max.posts(MAX_CHANNEL_ID)
    ]


def facebook(stage: Stage) -> list[Landed]:
    return [Landed(p["message"], p["photo_bytes"]) for p in stage.graph.feed(FB_PAGE_ID)]


def instagram(stage: Stage) -> list[Landed]:
    return [Landed(m["caption"], m["images"]) for m in stage.graph.ig_media(IG_USER_ID)]


NETWORKS = [
    Net("Telegram", telegram, "https://t.me/tomsk_district_demo/"),
    Net("ВКонтакте", vk, f"https://vk.com/wall-{VK_GROUP_ID}_"),
    Net("Одноклассники", ok, f"https://ok.ru/group/{OK_GROUP_ID}/topic/"),
    Net("MAX", max_channel, "https://max.ru/c/"),
    Net("Facebook", facebook, f"https://www.facebook.com/{FB_PAGE_ID}/posts/"),
    Net("Instagram", instagram, "https://www.instagram.com/p/"),
]
ALL_ON = {"facebook": {"enabled": True}, "instagram": {"enabled": True}}


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=ALL_ON)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


@pytest.fixture
async def admin(stage: Stage) -> Chat:
    chat = Chat(stage, ADMIN_ID)
    chat.send("/start")
    await chat.expect("Здравствуйте")
    return chat


@pytest.fixture
async def reporter(stage: Stage, admin: Chat) -> Chat:
    return await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
    )


@pytest.fixture
async def editor(stage: Stage, admin: Chat) -> Chat:
    return await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба")


async def edit_and_approve_everywhere(editor: Chat) -> None:
    card = await editor.expect("Новое сообщение № 1")
    for net in NETWORKS:
        assert net.title in card["text"], f"no verdict for {net.title}"
    editor.press(card, "Редактировать")
    await editor.expect("Пришлите новый текст")
    editor.send(EDITED)
    preview = await editor.expect(EDITED[:40])
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    assert {f"✓ {net.title}" for net in NETWORKS} <= set(buttons(where))
    editor.press(where, "Готово")


def assert_landed_once(stage: Stage, net: Net) -> None:
    landed = net.landed(stage)
    assert len(landed) == 1, f"{net.title}: {len(landed)} posts"
    assert landed[0].text == EDITED, net.title
    assert sorted(landed[0].photos) == sorted([PHOTO_A, PHOTO_B]), net.title


async def test_one_approval_lands_once_everywhere_and_a_5xx_recovers(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    stage.graph.inject_fault("5xx", 1, path="/feed", method="POST")  # Facebook stumbles once
    await report_event(reporter)
    await edit_and_approve_everywhere(editor)

    for person in (editor, reporter):  # one «Опубликовано» per network, as each lands
        published = await landed(person, *(net.title for net in NETWORKS), within=40)
        for net in NETWORKS:
            assert f"{net.title}: {net.link}" in published, (person.user_id, net.title)
    for net in NETWORKS:
        assert_landed_once(stage, net)
    fb_calls = [r for r in stage.graph.requests if r[0] == "POST" and r[1].endswith("/feed")]
    assert len(fb_calls) == 2  # the 5xx, then the post


async def test_an_auth_error_is_reported_with_retry_while_the_others_stay_published(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    stage.graph.expire_token(stage.ig_token)  # Instagram's token only
    await report_event(reporter)
    await edit_and_approve_everywhere(editor)

    failed = await editor.expect("Не удалось опубликовать", within=40)
    assert "Instagram: ключ доступа Instagram истёк или отозван" in failed["text"]
    assert buttons(failed)[0] == "Повторить"  # for Instagram only
    others = [net for net in NETWORKS if net.title != "Instagram"]
    await stage.tg.wait_until(lambda: all(net.landed(stage) for net in others), timeout=40)
    for net in others:
        assert_landed_once(stage, net)  # the others went out regardless
    assert instagram(stage) == []

    stage.graph.state.tokens[stage.ig_token].expired = False  # the admin renewed the token
    editor.press(failed, "Повторить")
    for person in (editor, reporter):
        published = await landed(person, "Instagram", within=40)
        assert "Instagram: https://www.instagram.com/p/" in published
    for net in NETWORKS:
        assert_landed_once(stage, net)  # the retry sent Instagram only
