"""Live broadcasts end to end (issue 11): an editor adds the stream's link and start to a draft;
approving the announcement approves its reminder, which goes out by itself at the start on the
same networks, once; afterwards one tap publishes the recording's link, once."""

from __future__ import annotations

import pytest

from bot.errors import Conflict
from sandbox.stage import CHANNEL_ID, MAX_CHANNEL_ID, OK_GROUP_ID, Stage
from tests.e2e.conftest import Chat, audit_lines, landed, local_time_in, report_event, wall

LINK = "https://vk.com/video-100001_456239017"
NETWORKS = ("Telegram", "ВКонтакте", "Одноклассники", "MAX")


def everywhere(stage: Stage, fragment: str) -> dict[str, int]:
    """How many posts with `fragment` each network holds."""
    return {
        "telegram": sum(
            fragment in (m.get("text") or m.get("caption") or "")
            for m in stage.tg.chat_messages(CHANNEL_ID)
        ),
        "vk": sum(fragment in p["text"] for p in wall(stage)),
        "ok": sum(fragment in t["text"] for t in stage.ok.topics(OK_GROUP_ID)),
        "max": sum(
            fragment in (p["body"].get("text") or "") for p in stage.max.posts(MAX_CHANNEL_ID)
        ),
    }


async def test_announcement_reminder_at_the_start_and_recording_with_one_tap(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "+ Трансляция")
    await editor.expect("Пришлите ссылку на трансляцию")
    editor.send("завтра в шесть")
    await editor.expect("Это не похоже на ссылку")
    editor.send(LINK)
    await editor.expect("Когда начало трансляции?")
    editor.send(local_time_in(stage, 8))
    preview = await editor.expect("Трансляция добавлена")
    assert f"Смотреть: {LINK}" in preview["text"] and "Прямая трансляция —" in preview["text"]
    # the editor replaces the text: the broadcast's lines stay (they are kept apart from it)
    editor.press(preview, "Редактировать")
    await editor.expect("Пришлите новый текст")
    editor.send("Глава района ответит на вопросы жителей в прямом эфире.")
    preview = await editor.expect("Глава района ответит")
    assert f"Смотреть: {LINK}" in preview["text"]
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")
    await landed(editor, *NETWORKS)
    assert everywhere(stage, f"Смотреть: {LINK}") == {"telegram": 1, "vk": 1, "ok": 1, "max": 1}
    async with stage.app.uow() as uow:
        row = await uow.formats.broadcast(1)
    assert row.reminder_post_id is not None

    # at the start the reminder goes out by itself, on the same networks, once
    mark = editor.cursor  # the recording's offer may come among the reminder's outcomes
    await landed(editor, *NETWORKS, within=40)
    reminder = "Начинаем прямую трансляцию"
    assert everywhere(stage, reminder) == {"telegram": 1, "vk": 1, "ok": 1, "max": 1}
    [posted] = [p for p in wall(stage) if reminder in p["text"]]
    assert posted["date"] >= int(row.starts_at.timestamp())  # not before its time
    assert len(await audit_lines(stage, "broadcast.reminder")) == 1

    # afterwards: one tap publishes the recording, once
    after_reminder, editor.cursor = editor.cursor, mark
    offer = await editor.expect("началась")
    editor.cursor = max(editor.cursor, after_reminder)
    editor.press(offer, "Опубликовать запись")
    await editor.edited(offer, "Публикую запись трансляции")
    await landed(editor, *NETWORKS)
    recording = f"Запись трансляции «{row.title}»: {LINK}"
    assert everywhere(stage, recording) == {"telegram": 1, "vk": 1, "ok": 1, "max": 1}
    async with stage.app.uow() as uow:
        person = await uow.people.by_telegram(editor.user_id)
    with pytest.raises(Conflict):
        await stage.app.broadcasts.publish_recording(1, person)
    assert len(await audit_lines(stage, "broadcast.recording")) == 1


async def test_a_cancelled_announcement_takes_its_reminder_with_it(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "+ Трансляция")
    await editor.expect("Пришлите ссылку на трансляцию")
    editor.send(LINK)
    await editor.expect("Когда начало трансляции?")
    editor.send(local_time_in(stage, 7200))
    preview = await editor.expect("Трансляция добавлена")
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    editor.send(local_time_in(stage, 3600))
    where = await editor.expect("Куда публикуем")
    editor.press(where, "Готово")
    await editor.edited(where, "запланировано на")
    async with stage.app.uow() as uow:
        row = await uow.formats.broadcast(1)
        reminder = await uow.posts.get(row.reminder_post_id)
        due = {p.network: p.state for p in await uow.publications.for_post(reminder.id)}
    assert reminder.state == "scheduled" and set(due.values()) == {"scheduled"}
    assert set(due) == {"telegram", "vk", "ok", "max"}

    editor.send("/queue")
    line = await editor.expect("«Открытие спортивной площадки")
    editor.press(line, "Отменить")
    await editor.edited(line, "Черновик снова ждёт решения")
    async with stage.app.uow() as uow:
        reminder = await uow.posts.get(row.reminder_post_id)
        states = {p.state for p in await uow.publications.for_post(reminder.id)}
    assert reminder.state == "cancelled" and states == {"pending"}  # out of the outbox
