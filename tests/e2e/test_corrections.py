"""After publication: a published post's text edited from chat on VK, Telegram and MAX, and the
post deleted everywhere after a confirmation, each audited (issue 11)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.stage import CHANNEL_ID, MAX_CHANNEL_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import (
    Chat,
    approve_now,
    audit_line,
    buttons,
    channel_posts,
    landed,
    report_event,
    wall,
)

NEW = "Исправлено: площадку открыли в субботу, 28 ноября."


class Clock:
    """Real time plus an offset the test moves forward (Telegram's 48 hours)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, hours: float) -> None:
        self.offset += hours * 3600


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def stage(tmp_path: Path, clock: Clock) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path, clock=clock)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def publish(editor: Chat, reporter: Chat, photos: bool) -> dict:
    if photos:
        await report_event(reporter)
    else:
        await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", "MAX", within=30)
    mine = [m for m in editor.bot_messages() if "Опубликовано" in (m.get("text") or "")]
    assert all("Изменить текст" in buttons(m) for m in mine)
    assert not any("Изменить текст" in buttons(m) for m in reporter.bot_messages())
    return mine[-1]


async def test_edit_a_published_text_then_delete_it_everywhere(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    landed_card = await publish(editor, reporter, photos=False)

    editor.press(landed_card, "Изменить текст")
    ask = await editor.expect("Пришлите новый текст")
    assert "Telegram" in ask["text"] and "ВКонтакте" in ask["text"] and "MAX" in ask["text"]
    assert "Не изменится:\nОдноклассники" in ask["text"]
    editor.send(NEW)
    done = await editor.expect("изменён:")
    assert "Не изменён:\nОдноклассники" in done["text"]

    styled = f"{NEW}\n\n#ТомскийРайон"
    [vk_post] = wall(stage)
    assert vk_post["text"] == styled and vk_post.get("edited")
    [telegram] = channel_posts(stage)
    assert telegram["text"] == styled and telegram.get("edit_date")
    [max_post] = stage.max.posts(MAX_CHANNEL_ID)
    assert max_post["body"]["text"] == styled
    line = await audit_line(stage, "post.edit_published")
    assert line.actor_ref and "ВКонтакте: изменён" in line.details
    assert "Telegram: изменён" in line.details and "Одноклассники:" in line.details

    # Deleting asks first; «Не удалять» leaves everything as it is.
    editor.press(landed_card, "Удалить везде")
    question = await editor.expect("Удалить «")
    assert "Вернуть публикацию будет нельзя" in question["text"]
    editor.press(question, "Не удалять")
    await editor.expect("ничего не меняю")
    assert len(wall(stage)) == 1 and len(channel_posts(stage)) == 1

    editor.press(landed_card, "Удалить везде")
    question = await editor.expect("Удалить «")
    editor.press(question, "Да, удалить везде")
    gone = await editor.edited(question, "удалена:")
    assert "Не удалена:\nОдноклассники" in gone["text"]
    assert buttons(editor.current(question)) == []
    assert wall(stage) == [] and channel_posts(stage) == []
    assert stage.max.posts(MAX_CHANNEL_ID) == []
    assert len(stage.ok.state.topics) == 1  # OK: the bot says it cannot, and the topic stays
    assert [m["message_id"] for m in stage.tg.deleted_messages(CHANNEL_ID)] == [
        telegram["message_id"]
    ]
    line = await audit_line(stage, "post.delete_published")
    assert "ВКонтакте: удалена" in line.details and "MAX: удалена" in line.details

    # A second press finds nothing left to delete on the networks that allow it.
    again = await editor.alert(editor.press(landed_card, "Удалить везде"))
    assert again.startswith("Удалить нельзя ни в одной сети") and "Одноклассники" in again
    assert all(p.get("is_deleted") for p in stage.vk.state.posts[-VK_GROUP_ID].values())


async def test_a_caption_and_an_album_are_edited_and_deleted_whole(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте", within=30)
    mine = [m for m in editor.bot_messages() if "Опубликовано" in (m.get("text") or "")]

    editor.press(mine[-1], "Изменить текст")
    ask = await editor.expect("Пришлите новый текст")
    assert "MAX: в MAX бот меняет текст только у публикаций без вложений" in ask["text"]
    editor.send(NEW)
    await editor.expect("изменён:")
    album = channel_posts(stage)
    assert len(album) == 2 and album[0]["caption"] == f"{NEW}\n\n#ТомскийРайон"
    [vk_post] = wall(stage)  # the photos stay with the new text
    assert vk_post["text"] == f"{NEW}\n\n#ТомскийРайон"
    assert [a["type"] for a in vk_post["attachments"]] == ["photo", "photo"]

    editor.press(mine[-1], "Удалить везде")
    question = await editor.expect("Удалить «")
    editor.press(question, "Да, удалить везде")
    await editor.edited(question, "удалена:")
    assert channel_posts(stage) == [] and wall(stage) == []
    async with stage.app.uow() as uow:  # OK's topic stays: the post is not gone everywhere
        states = {p.network: p.state for p in await uow.publications.for_post(1)}
        post = await uow.posts.get(1)
    assert states["ok"] == "published" and states["vk"] == states["telegram"] == "deleted"
    assert post is not None and post.state == "published"


async def test_telegram_keeps_a_post_older_than_48_hours_and_says_so(
    stage: Stage, reporter: Chat, editor: Chat, clock: Clock
) -> None:
    landed_card = await publish(editor, reporter, photos=False)
    clock.advance(49)
    editor.press(landed_card, "Удалить везде")
    question = await editor.expect("Удалить «")
    editor.press(question, "Да, удалить везде")
    gone = await editor.edited(question, "удалена:")
    assert "Telegram: Telegram удаляет сообщения канала только в первые 48 часов" in gone["text"]
    assert wall(stage) == [] and len(channel_posts(stage)) == 1
    # Telegram's row is published again: the next «Удалить везде» offers it once more.
    editor.press(landed_card, "Удалить везде")
    again = await editor.expect("Удалить «")
    assert "из сетей: Telegram?" in again["text"]


async def test_a_post_deleted_from_every_network_is_deleted_and_says_so(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    for network in ("Одноклассники", "MAX"):  # only the networks that can delete
        editor.press(editor.current(where), f"✓ {network}")
        await editor.tg.wait_until(lambda n=network: f"✓ {n}" not in buttons(editor.current(where)))
    editor.press(editor.current(where), "Готово")
    await landed(editor, "Telegram", "ВКонтакте", within=30)
    landed_card = [m for m in editor.bot_messages() if "Опубликовано" in (m.get("text") or "")][-1]

    editor.press(landed_card, "Удалить везде")
    question = await editor.expect("Удалить «")
    editor.press(question, "Да, удалить везде")
    gone = await editor.edited(question, "удалена:")
    assert "Не удалена" not in gone["text"]
    async with stage.app.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state == "deleted"
    refusal = await editor.alert(editor.press(landed_card, "Изменить текст"))
    assert "уже удалена из сетей" in refusal
