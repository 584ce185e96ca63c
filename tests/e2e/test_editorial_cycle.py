"""The whole editorial cycle over Telegram, and publishing to the channel and the VK wall."""

from __future__ import annotations

from sandbox.stage import VK_GROUP_ID, Stage
from tests.e2e.conftest import (
    PHOTO_A,
    PHOTO_B,
    Chat,
    buttons,
    channel_posts,
    landed,
    local_time_in,
    report_event,
    wall,
)

EDITED = "На улице Школьной в селе Корнилово открыли новую спортивную площадку. #ТомскийРайон"


async def approve_for(editor: Chat, card: dict, when: str | None) -> dict:
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    if when is None:
        editor.press(ask, "Сейчас")
    else:
        editor.press(ask, "Другое время")
        await editor.expect("Напишите дату и время")
        editor.send(when)
    where = await editor.expect("Куда публикуем")
    where = editor.current(where)
    assert "✓ Telegram" in buttons(where) and "✓ ВКонтакте" in buttons(where)
    editor.press(where, "Готово")
    await editor.tg.wait_until(lambda: "запланировано" in editor.current(where)["text"])
    return editor.current(where)


async def test_report_edit_approve_schedule_publish(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    done = await report_event(reporter)
    assert "передано в пресс-службу" in done["text"]

    card = await editor.expect("Новое сообщение № 1")
    assert "2 фото" in card["text"] and "Иванов" in card["text"] and "Отдел спорта" in card["text"]
    assert buttons(card) == [
        "Одобрить",
        "Редактировать",
        "Отклонить",
        "+ Опрос",
        "+ Трансляция",
        "+ Конкурс",
        "Предпросмотр по сетям",
    ]
    albums = [m for m in editor.bot_messages() if m.get("photo")]
    assert len(albums) == 2 and albums[0]["media_group_id"] == albums[1]["media_group_id"]

    editor.press(card, "Редактировать")
    await editor.expect("Пришлите новый текст")
    editor.send(EDITED)
    preview = await editor.expect(EDITED[:40])
    scheduled = await approve_for(editor, preview, local_time_in(stage, 3))
    assert "Telegram" in scheduled["text"] and "ВКонтакте" in scheduled["text"]
    # The first card of the draft changed too, so its buttons cannot act again.
    assert "Одобрено: Мария Соколова" in editor.current(card)["text"]
    assert buttons(editor.current(card)) == []

    # Each network's link reaches the editor and the reporter as it lands.
    links = await landed(editor, "Telegram", "ВКонтакте", within=20)
    await landed(reporter, "Telegram", "ВКонтакте")
    assert f"ВКонтакте: https://vk.com/wall-{VK_GROUP_ID}_" in links
    assert "Telegram: https://t.me/tomsk_district_demo/" in links

    posts = channel_posts(stage)
    assert len(posts) == 2  # an album of two photos, the edited text as its caption
    assert posts[0]["caption"] == EDITED
    assert {stage.tg.file_bytes(p["photo"][-1]["file_id"]) for p in posts} == {PHOTO_A, PHOTO_B}
    [vk_post] = wall(stage)
    assert vk_post["text"] == EDITED
    photos = [a["photo"] for a in vk_post["attachments"] if a["type"] == "photo"]
    assert {stage.vk.photo_bytes(p["owner_id"], p["id"]) for p in photos} == {PHOTO_A, PHOTO_B}


async def test_restart_before_the_time_publishes_exactly_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    await approve_for(editor, card, local_time_in(stage, 4))

    await stage.stop_app()
    assert channel_posts(stage) == [] and wall(stage) == []
    await stage.start_app()

    await landed(editor, "Telegram", "ВКонтакте", within=20)
    assert len(channel_posts(stage)) == 1
    assert len(wall(stage)) == 1
    assert stage.app.scheduler.planned() == []


async def test_reject_reaches_the_reporter_with_the_reason(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Отклонить")
    await editor.expect("Напишите причину")
    editor.send("Мероприятие уже освещали вчера")
    await editor.expect("Отклонено")
    notice = await reporter.expect("не будет опубликовано")
    assert "Мероприятие уже освещали вчера" in notice["text"]
    assert buttons(editor.current(card)) == []


async def test_queue_cancel_and_drafts(stage: Stage, reporter: Chat, editor: Chat) -> None:
    await report_event(reporter, photos=())
    editor.send("/drafts")
    listed = await editor.expect("Открытие спортивной площадки")
    assert "Одобрить" in buttons(listed)
    await approve_for(editor, listed, "завтра 09:00")
    editor.send("/queue")
    line = await editor.expect(" в 09:00 · ")
    editor.press(line, "Отменить")
    await editor.tg.wait_until(lambda: "отменена" in editor.current(line)["text"])
    assert stage.app.scheduler.planned() == []
    editor.send("/queue")
    await editor.expect("пусто")
