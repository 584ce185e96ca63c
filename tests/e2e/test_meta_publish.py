"""Publishing to the Facebook Page and the Instagram account (switched on for these tests) over
HTTP against the Graph emulator, which fetches Instagram's photos from the bot's signed links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain import Network
from sandbox.stage import FB_PAGE_ID, IG_USER_ID, Stage
from tests.e2e.conftest import (
    PHOTO_A,
    PHOTO_B,
    Chat,
    buttons,
    channel_posts,
    join,
    landed,
    report_event,
    wall,
)

META_ON = {"facebook": {"enabled": True}, "instagram": {"enabled": True}}


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=META_ON)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


@pytest.fixture
async def admin(stage: Stage) -> Chat:
    chat = Chat(stage, 1001)
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


async def approve_everywhere(editor: Chat) -> dict:
    card = await editor.expect("Новое сообщение № 1")
    assert "Facebook" in card["text"] and "Instagram" in card["text"]  # each network's verdict
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    assert {"✓ Facebook", "✓ Instagram", "✓ Telegram", "✓ ВКонтакте"} <= set(buttons(where))
    editor.press(where, "Готово")
    return where


def fb_posts(stage: Stage) -> list[dict]:
    return stage.graph.feed(FB_PAGE_ID)


def ig_posts(stage: Stage) -> list[dict]:
    return stage.graph.ig_media(IG_USER_ID)


async def test_one_approval_lands_once_on_facebook_and_instagram(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    await approve_everywhere(editor)

    published = await landed(editor, "Facebook", "Instagram", "Telegram", "ВКонтакте")
    await landed(reporter, "Facebook", "Instagram", "Telegram", "ВКонтакте")
    assert f"https://www.facebook.com/{FB_PAGE_ID}/posts/" in published
    assert "https://www.instagram.com/p/" in published

    text = channel_posts(stage)[0]["caption"]
    [fb] = fb_posts(stage)
    assert fb["message"] == text
    assert sorted(fb["photo_bytes"]) == sorted([PHOTO_A, PHOTO_B])  # one post, two photos
    [ig] = ig_posts(stage)
    assert ig["caption"] == text and ig["media_type"] == "CAROUSEL_ALBUM"
    assert sorted(ig["images"]) == sorted([PHOTO_A, PHOTO_B])
    # Instagram fetched each photo from the bot's signed, expiring links
    assert len(stage.graph.fetches) == 2
    assert all("sig=" in url and "exp=" in url and code == 200 for url, code in stage.graph.fetches)
    assert stage.app.publishers[Network.instagram].server.served == 2
    assert len(wall(stage)) == 1


async def test_a_5xx_is_retried_and_the_post_lands_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    stage.graph.inject_fault("5xx", 1, path="/feed", method="POST")
    stage.graph.inject_fault("rate", 1, path="/media_publish")
    await report_event(reporter)
    await approve_everywhere(editor)
    await landed(editor, "Facebook", "Instagram")
    assert len(fb_posts(stage)) == 1 and len(ig_posts(stage)) == 1
    failed = [r for r in stage.graph.requests if r[1].endswith("/feed") and r[0] == "POST"]
    assert len(failed) == 2  # the 502, then the one that landed


async def test_expired_token_is_reported_with_retry_and_others_stay_published(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    stage.graph.expire_token(stage.graph_token)
    stage.graph.expire_token(stage.ig_token)
    await approve_everywhere(editor)

    # Each network's failure on its own card, with «Повторить» for that network only.
    cards = [await editor.expect("Не удалось опубликовать", within=30) for _ in range(2)]
    texts = "\n".join(c["text"] for c in cards)
    assert "Facebook: ключ доступа Facebook истёк или отозван" in texts
    assert "Instagram: ключ доступа Instagram истёк" in texts
    assert all("Повторить" in buttons(c) for c in cards)
    await stage.tg.wait_until(lambda: len(channel_posts(stage)) == 2 and len(wall(stage)) == 1)
    assert fb_posts(stage) == [] and ig_posts(stage) == []

    for token in (stage.graph_token, stage.ig_token):  # the admin renewed the tokens
        stage.graph.state.tokens[token].expired = False
    for card in cards:
        editor.press(card, "Повторить")
    await landed(editor, "Facebook", "Instagram")
    assert len(fb_posts(stage)) == 1 and len(ig_posts(stage)) == 1
    assert len(channel_posts(stage)) == 2 and len(wall(stage)) == 1  # not posted again


async def test_instagram_refuses_a_post_without_photos_before_approval(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    assert "Instagram" in card["text"] and "без фото или видео" in card["text"]
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    assert "✓ Instagram" not in buttons(where) and "✓ Facebook" in buttons(where)
    editor.press(where, "Готово")
    await landed(editor, "Facebook", "Telegram")  # one «Опубликовано» per network
    [fb] = fb_posts(stage)
    assert fb["message"] == channel_posts(stage)[0]["text"] and fb["photos"] == []
    assert ig_posts(stage) == []
