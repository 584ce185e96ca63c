"""Texts the bot builds fit Telegram's limits counted in UTF-16 units (an emoji counts twice)."""

from __future__ import annotations

from bot.textsize import CAPTION_LIMIT, TEXT_LIMIT, utf16_len
from sandbox.stage import Stage
from tests.e2e.conftest import PHOTO_A, Chat, answer_until_attachments, report_event

EMOJI = "🎉"


def longest(chat: Chat) -> int:
    return max(utf16_len(m.get("text") or m.get("caption") or "") for m in chat.bot_messages())


async def test_draft_card_as_a_caption_stays_within_1024_units(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    # 470 emoji: under 1024 characters with the card's header, over 1024 UTF-16 units
    await report_event(reporter, description=EMOJI * 470, photos=(PHOTO_A,))
    card = await editor.expect("Новое сообщение № 1")
    assert "Одобрить" in str(card.get("reply_markup"))
    for message in editor.bot_messages():
        if message.get("photo"):
            assert utf16_len(message.get("caption") or "") <= CAPTION_LIMIT


async def test_reporters_summary_of_a_long_emoji_text_arrives(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await answer_until_attachments(
        reporter, "Праздник двора", "Вчера", "ул. Ленина, 1", EMOJI * 2000, tap_date=True
    )
    reporter.press(reporter.bot_messages()[-1], "Без вложений")
    summary = await reporter.expect("Проверьте:")
    assert utf16_len(summary["text"]) <= TEXT_LIMIT
    assert "…" in summary["text"]  # cut visibly, not silently
    reporter.press(summary, "Отправить")
    await reporter.edited(summary, "Сообщение № ")
    await editor.expect("Новое сообщение № 1")
    assert longest(editor) <= TEXT_LIMIT


async def test_editors_preview_of_a_long_emoji_text_arrives(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Редактировать")
    await editor.expect("Пришлите новый текст")
    editor.send(EMOJI * 2000)
    preview = await editor.expect(EMOJI * 20)
    assert "Одобрить" in str(preview.get("reply_markup"))
    assert utf16_len(preview["text"]) <= TEXT_LIMIT and "…" in preview["text"]
