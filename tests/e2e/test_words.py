"""The words people read (issue 9, items 10-17): each says what happened and what to tap next,
the same in Telegram and VK."""

from __future__ import annotations

from datetime import timedelta

from bot.dates import calendar_date
from sandbox.stage import Stage
from tests.e2e.conftest import PHOTO_A, Chat, answer_until_attachments, buttons, report_event


async def test_the_attachment_step_says_what_it_waits_for(stage: Stage, reporter: Chat) -> None:
    prompt = await answer_until_attachments(
        reporter, "Субботник", "Сегодня", "Парк", "Убрали парк."
    )
    assert "Пришлите фото или видео, можно и документы (PDF" in prompt["text"]
    reporter.send("и ещё: пришли дети")  # text, not a file
    said = await reporter.expect("Здесь я жду вложения: фото или видео, можно и документы")
    assert "Такой файл" not in said["text"]
    reporter.stage.tg.user_sends_sticker(reporter.user_id)
    refusal = await reporter.expect("Такой файл я не могу принять")
    assert "фото или видео, можно и документы (PDF" in refusal["text"]

    stage.tg.user_sends_photos(reporter.user_id, [PHOTO_A])
    status = await reporter.expect("Получено вложений: 1")
    assert buttons(status) == ["Готово"]
    await stage.tg.wait_until(lambda: buttons(reporter.current(prompt)) == ["Готово"])
    # «Без вложений» pressed on a client that had not caught up with the edit
    stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, prompt["message_id"], "r1:media:none"
    )
    await reporter.expect("Вложения уже получены — они останутся")
    summary = await reporter.expect("Проверьте:")
    assert "вложений: 1" in summary["text"]


async def test_dates_said_once_and_no_future_event_date(stage: Stage, reporter: Chat) -> None:
    ask = await answer_until_attachments(reporter, "Субботник", "Сегодня", "Парк", "Убрали парк.")
    reporter.press(ask, "Без вложений")
    reporter.press(await reporter.expect("Проверьте:"), "Изменить")
    reporter.press(await reporter.expect("Что изменить?"), "Дату")
    await reporter.expect("Когда оно прошло?")
    tomorrow = stage.app.desk.today() + timedelta(days=1)
    reporter.send(f"{tomorrow:%d.%m.%Y}")  # the question is when it took place
    refusal = await reporter.expect("ещё не наступило")
    assert "Напишите, когда мероприятие прошло" in refusal["text"]
    reporter.send("01.01.2020")
    line = await reporter.expect("Дата: 1 января 2020 г.")
    assert line["text"] == "Дата: 1 января 2020 г."  # one period, not «г..»
    summary = await reporter.expect("Проверьте:")
    assert "1 января 2020 г." in summary["text"]


async def test_buttons_pressed_late_say_what_is_open_or_what_was_sent(
    stage: Stage, reporter: Chat
) -> None:
    await answer_until_attachments(reporter, "Субботник", "Сегодня", "Парк", "Убрали парк.")
    stage.tg.user_sends_photos(reporter.user_id, [PHOTO_A])
    status = await reporter.expect("Получено вложений: 1")
    reporter.press(status, "Готово")
    summary = await reporter.expect("Проверьте:")
    # «Готово» once more, on a client that had not caught up: the summary is open, not «/report»
    query = stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, status["message_id"], "r1:media:done"
    )
    said = await reporter.alert(query)
    assert "Сводка уже готова" in said and "/report" not in said
    reporter.send("что дальше?")
    assert "«Отправить»" in (await reporter.expect("под сводкой"))["text"]
    reporter.press(summary, "Изменить")
    await reporter.expect("Что изменить?")
    reporter.send("описание")  # typed, not tapped: name the buttons that are in view
    hint = await reporter.expect("кнопкой под вопросом «Что изменить?»")
    assert "«Название», «Дату», «Место», «Описание» или «Вложения»" in hint["text"]
    reporter.press(summary, "Отправить")
    await reporter.edited(summary, "Сообщение № 1")
    query = stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, summary["message_id"], "r1:send:"
    )
    said = await reporter.alert(query)
    assert "Сообщение № 1 уже отправлено" in said
    async with stage.app.uow() as uow:
        assert len(await uow.posts.in_states(["draft"])) == 1


async def test_editor_cards_follow_the_post_and_say_what_to_tap(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    today = stage.app.desk.today()
    yesterday = calendar_date(today - timedelta(days=1), today)
    assert f"· {yesterday} ·" in card["text"]  # a calendar date: «вчера» is wrong tomorrow
    assert f"{yesterday}, с. Корнилово, ул. Школьная, 12" in card["text"]  # and in the draft
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.send("а можно попозже?")
    await editor.expect("Выберите время кнопкой под сообщением «Когда публикуем?»")
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    editor.send("завтра 10:30")
    where = await editor.expect("Куда публикуем")
    editor.send("в телеграм и вк")
    hint = await editor.expect("Отметьте сети кнопками")
    assert "/help" not in hint["text"]
    editor.press(where, "Готово")
    tomorrow = calendar_date(today + timedelta(days=1), today)
    first = await editor.edited(where, f"запланировано на {tomorrow} в 10:30")
    editor.send("/queue")
    line = await editor.expect(f"{tomorrow} в 10:30")

    editor.press(first, "Перенести")
    again = await editor.expect("Когда публикуем?")
    for old in (first, line):  # every earlier card of the post changed, buttons gone
        moved = await editor.edited(old, "Время публикации выбирается заново")
        assert buttons(moved) == []
    editor.press(again, "Другое время")
    await editor.expect("Напишите дату и время")
    editor.send("завтра 11:00")
    where = await editor.expect("Куда публикуем")
    editor.press(where, "Готово")
    await editor.edited(where, f"запланировано на {tomorrow} в 11:00")
    for old in (first, line):
        assert buttons(await editor.edited(old, f"Запланировано на {tomorrow} в 11:00")) == []


async def test_a_rejection_is_said_once(stage: Stage, reporter: Chat, editor: Chat) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Отклонить")
    await editor.expect("Напишите причину")
    editor.send("Уже освещали")
    done = await editor.expect("Автор получил причину")
    assert "Уже освещали" not in done["text"]  # the reason is on the card, once
    assert "Причина: Уже освещали" in (await editor.edited(card, "Отклонено"))["text"]
