"""Work that must never silently disappear (issue 9, items 5-9): a cancelled post, a half-filled
report, an answer that was a command, a file that is not what it claims, a time in the past."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.stage import CHANNEL_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import (
    Chat,
    answer_until_attachments,
    buttons,
    landed,
    local_time_in,
    report_event,
    start_report,
)


class Clock:
    """Real time plus an offset a test may set (the emulators' rate windows keep working)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment.timestamp() - time.time()


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


async def approved(reporter: Chat, editor: Chat) -> dict:
    """A report sent and approved; returns the «Когда публикуем?» question."""
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № ")
    editor.press(card, "Одобрить")
    return await editor.expect("Когда публикуем?")


async def test_a_time_in_the_past_is_refused_not_moved_a_year_ahead(
    stage: Stage, clock: Clock, reporter: Chat, editor: Chat
) -> None:
    clock.set(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # 1 December, 12:00 in Tomsk
    ask = await approved(reporter, editor)
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    for typed in ("30.11 10:00", "вчера 10:00", "01.12 10:00"):
        editor.send(typed)
        refusal = await editor.expect("уже прошло")
        assert "Напишите время в будущем" in refusal["text"]
    editor.send("02.12 10:00")
    where = await editor.expect("Куда публикуем")
    assert "завтра в 10:00" in where["text"]
    async with stage.app.uow() as uow:
        [post] = await uow.posts.in_states(["approved"])
    assert post.scheduled_at.replace(tzinfo=UTC) == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


async def test_a_cancelled_post_goes_back_to_the_drafts_and_its_author_hears(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    ask = await approved(reporter, editor)
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    editor.send(local_time_in(stage, 3600))
    where = await editor.expect("Куда публикуем")
    editor.press(where, "Готово")
    await editor.edited(where, "запланировано на")
    editor.send("/queue")
    line = await editor.expect("«Открытие спортивной площадки")
    editor.press(line, "Отменить")
    card = await editor.edited(line, "Черновик снова ждёт решения")
    assert buttons(card) == [
        "Одобрить",
        "Редактировать",
        "Отклонить",
        "+ Опрос",
        "+ Трансляция",
        "+ Конкурс",
        "Предпросмотр по сетям",
    ]
    told = await reporter.expect("отменена")
    assert "№ 1" in told["text"] and "вернулось в черновики" in told["text"]
    assert stage.app.scheduler.planned() == []
    editor.send("/queue")
    await editor.expect("В графике публикаций пока пусто")

    # Approved but no time chosen yet: «Отменить» under /drafts does the same.
    editor.send("/drafts")
    draft = await editor.expect("сообщение № 1")
    editor.press(draft, "Одобрить")
    await editor.expect("Когда публикуем?")
    editor.send("/drafts")
    waiting = await editor.expect("время публикации не выбрано")
    editor.press(waiting, "Отменить")
    await editor.edited(waiting, "Черновик снова ждёт решения")
    await reporter.expect("отменена")
    editor.send("/drafts")
    again = await editor.expect("сообщение № 1")
    assert "Одобрить" in buttons(again)


async def test_the_menu_button_asks_before_a_half_filled_report_is_dropped(
    stage: Stage, reporter: Chat
) -> None:
    await answer_until_attachments(reporter, "Субботник", "Сегодня", "Парк", "Убрали парк.")
    reporter.tap("Сообщить о мероприятии")
    question = await reporter.expect("ещё не отправлено. Начать новое?")
    assert "«Субботник»" in question["text"]
    reporter.press(question, "Продолжить начатое")
    resumed = await reporter.expect("Пришлите фото")
    assert "Без вложений" in buttons(resumed)
    reporter.press(resumed, "Без вложений")
    summary = await reporter.expect("Проверьте:")
    assert "Убрали парк." in summary["text"]

    reporter.send("/report")  # at the summary, too
    question = await reporter.expect("Начать новое?")
    reporter.press(question, "Начать заново")
    await reporter.expect("Как оно называется?")


async def test_commands_typed_mid_dialog_are_commands_not_answers(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, title="Субботник", photos=())  # a draft for the editor to list
    await editor.expect("Новое сообщение № 1")

    await start_report(editor, "Концерт")
    editor.send("вчера")
    await editor.expect("Где?")
    editor.send("/drafts")
    listed = await editor.expect("«Субботник»")
    assert "Одобрить" in buttons(listed)
    await editor.expect("Продолжим сообщение о мероприятии")
    editor.tap("График публикаций")
    await editor.expect("График публикаций")
    await editor.expect("Продолжим сообщение о мероприятии")
    editor.send("/help")
    await editor.expect("/report — сообщить о мероприятии")
    await editor.expect("Где?")
    editor.send("/start")
    await editor.expect("Здравствуйте")
    await editor.expect("Продолжим сообщение о мероприятии")
    editor.send("Дом культуры")
    await editor.expect("Коротко опишите")
    editor.send("Пели песни.")
    editor.press(await editor.expect("Пришлите фото"), "Без вложений")
    summary = await editor.expect("Проверьте:")
    assert "Дом культуры" in summary["text"] and "/drafts" not in summary["text"]
    assert "График публикаций" not in summary["text"]


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def test_a_file_that_is_not_a_photo_never_goes_out_as_one(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await answer_until_attachments(reporter, "Субботник", "Сегодня", "Парк", "Убрали парк.")
    # «Все файлы» in the photo picker: a text file arrives as a photo.
    stage.tg.user_sends_photos(reporter.user_id, [b"minutes of the meeting\n"])
    refusal = await reporter.expect("не могу принять")
    assert "Пришлите фото" in refusal["text"]
    stage.tg.user_sends_document(reporter.user_id, b"plain text", "отчёт.pdf", "application/pdf")
    await reporter.expect("Файл «отчёт.pdf» я не могу принять")
    stage.tg.user_sends_photos(reporter.user_id, [PDF])  # a real PDF: kept, as a document
    status = await reporter.expect("Получено вложений: 1")
    reporter.press(status, "Готово")
    reporter.press(await reporter.expect("Проверьте:"), "Отправить")
    card = await editor.expect("Новое сообщение № 1")
    assert "1 документ" in (card.get("text") or card.get("caption") or "")
    async with stage.app.uow() as uow:
        [attachment] = await uow.posts.attachments(1)
    assert (attachment.kind, attachment.mime_type) == ("document", "application/pdf")
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")
    await landed(editor, "Telegram", "ВКонтакте")  # one «Опубликовано» per network, as each lands
    posts = stage.tg.chat_messages(CHANNEL_ID)
    assert not any(p.get("photo") for p in posts)
    assert [p["document"]["mime_type"] for p in posts if p.get("document")] == ["application/pdf"]
    # VK's wall takes documents too (docs.save): the PDF goes there as a doc, never as a photo.
    [wall_post] = stage.vk.wall_posts(-VK_GROUP_ID)
    assert [(a["type"], a["doc"]["ext"]) for a in wall_post["attachments"]] == [("doc", "pdf")]
