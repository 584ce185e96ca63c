"""The parts of the report dialog and the queue that people use less often."""

from __future__ import annotations

from datetime import timedelta

from bot.dates import calendar_date
from sandbox.stage import Stage
from tests.e2e.conftest import (
    PHOTO_A,
    PHOTO_B,
    Chat,
    answer_until_attachments,
    approve_now,
    buttons,
    channel_posts,
    landed,
    report_event,
    start_report,
)


async def test_cancel_works_in_the_middle_and_nothing_is_kept(stage: Stage, reporter: Chat) -> None:
    await start_report(reporter, "Субботник")
    reporter.send("/cancel")
    await reporter.expect("Отменено. Ничего не сохранено.")
    reporter.send("вчера")
    await reporter.expect("Не понял")  # the dialog is over: a date alone means nothing now
    async with stage.app.uow() as uow:
        assert await uow.posts.in_states(["draft"]) == []


async def test_a_late_report_is_accepted_and_marked(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    five_days_ago = stage.app.desk.today() - timedelta(days=5)
    ask = await answer_until_attachments(
        reporter,
        "Турнир по шахматам",
        f"{five_days_ago:%d.%m.%Y}",
        "Дом культуры",
        "Сыграли 12 партий.",
    )
    reporter.press(ask, "Без вложений")
    summary = await reporter.expect("Проверьте:")
    reporter.press(summary, "Отправить")
    notice = await reporter.edited(summary, "принято")
    assert "не позднее следующего рабочего дня" in notice["text"]
    card = await editor.expect("Новое сообщение № 1")
    assert "Прислано позже срока" in card["text"]


async def test_change_a_field_before_sending(stage: Stage, reporter: Chat) -> None:
    ask = await answer_until_attachments(
        reporter, "Субботник", "Сегодня", "Парк", "Убрали парк.", tap_date=True
    )
    reporter.press(ask, "Без вложений")
    reporter.press(await reporter.expect("Проверьте:"), "Изменить")
    reporter.press(await reporter.expect("Что изменить?"), "Место")
    await reporter.expect("Где?")
    reporter.send("Сквер Победы")
    summary = await reporter.expect("Проверьте:")
    assert "Сквер Победы" in summary["text"] and "Убрали парк." in summary["text"]

    reporter.press(summary, "Изменить")
    reporter.press(await reporter.expect("Что изменить?"), "Дату")
    await reporter.expect("Когда оно прошло?")
    reporter.tap("Вчера")
    await reporter.expect("Дата: вчера")  # the menu keyboard comes back with it
    assert "Сообщить о мероприятии" in str(reporter.tg.reply_keyboard(reporter.user_id))
    summary = await reporter.expect("Проверьте:")
    assert "Сквер Победы" in summary["text"]


async def test_reschedule_from_the_queue(stage: Stage, reporter: Chat, editor: Chat) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    editor.send("завтра 10:30")
    where = await editor.expect("Куда публикуем")
    editor.press(where, "Готово")
    tomorrow = calendar_date(stage.app.desk.today() + timedelta(days=1), stage.app.desk.today())
    # The card stays in the chat: a calendar date, not «завтра», which is wrong by tomorrow.
    scheduled = await editor.edited(where, f"запланировано на {tomorrow} в 10:30")
    editor.press(scheduled, "Перенести")
    await approve_now(editor)
    await landed(editor, "Telegram")
    assert len(channel_posts(stage)) == 1
    assert stage.app.scheduler.planned() == []


async def test_editor_replaces_the_photos(stage: Stage, reporter: Chat, editor: Chat) -> None:
    await report_event(reporter, photos=(PHOTO_A,))
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Редактировать")
    prompt = await editor.expect("Пришлите новый текст")
    editor.press(prompt, "Заменить вложения")
    ask = await editor.expect("Пришлите новые фото")
    stage.tg.user_sends_photos(editor.user_id, [PHOTO_B])
    await stage.tg.wait_until(
        lambda: any(m.get("photo") for m in stage.tg.chat_messages(editor.user_id)[-1:])
    )
    editor.press(ask, "Готово")
    preview = await editor.expect("1 фото")
    assert buttons(preview) == [
        "Одобрить",
        "Редактировать",
        "Отклонить",
        "+ Опрос",
        "+ Трансляция",
        "+ Конкурс",
        "Предпросмотр по сетям",
    ]
    editor.press(preview, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram")
    [post] = channel_posts(stage)
    assert stage.tg.file_bytes(post["photo"][-1]["file_id"]) == PHOTO_B


async def test_a_restart_in_the_middle_of_the_dialog_loses_nothing(
    stage: Stage, reporter: Chat
) -> None:
    await start_report(reporter, "Субботник в парке")  # the date question: the step is on disk

    await stage.stop_app()
    await stage.start_app()

    reporter.send("вчера")
    await reporter.expect("Где?")
    reporter.send("Парк Победы")
    await reporter.expect("Коротко опишите")
    reporter.send("Жители убрали парк.")
    await reporter.expect("Пришлите фото или видео")
    reporter.press(reporter.bot_messages()[-1], "Без вложений")
    summary = await reporter.expect("Проверьте:")
    assert "Субботник в парке" in summary["text"] and "Парк Победы" in summary["text"]
