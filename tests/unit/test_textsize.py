"""bot.textsize: Telegram's UTF-16 measure, and cutting and splitting with a visible «…»."""

from __future__ import annotations

from bot.cards import clip
from bot.textsize import ELLIPSIS, fit, split, utf16_len


def test_emoji_count_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("🎉") == 2
    assert utf16_len("Привет 👋") == 9


def test_fit_keeps_short_text_and_cuts_long_text_visibly() -> None:
    assert fit("короткий", 100) == "короткий"
    text = "🎉" * 600
    cut = fit(text, 1024)
    assert utf16_len(cut) <= 1024 and cut.endswith(ELLIPSIS)
    assert cut.count("🎉") == 511  # no emoji cut in half


def test_fit_prefers_a_word_boundary_and_keeps_the_tail() -> None:
    text = "слово " * 300
    cut = fit(text, 100, " (ещё)")
    assert utf16_len(cut) <= 100 and cut.endswith("слово… (ещё)")


def test_split_covers_the_whole_text_in_parts_within_the_limit() -> None:
    text = "\n\n".join(f"Абзац {n}: " + "🎉 текст " * 40 for n in range(30))
    parts = split(text, 1000)
    assert len(parts) > 1
    assert all(utf16_len(p) <= 1000 for p in parts)
    assert all(p.endswith(ELLIPSIS) for p in parts[:-1])
    assert all(p.startswith(ELLIPSIS) for p in parts[1:])
    joined = "".join(p.strip(ELLIPSIS) for p in parts)
    assert joined.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_clip_counts_utf16_units() -> None:
    clipped = clip("🎉" * 2000, 3000)
    assert utf16_len(clipped) <= 3000 and "полный текст — 2000 знаков" in clipped


async def test_the_telegram_transport_cuts_what_a_builder_missed() -> None:
    from aiogram import Bot
    from aiogram.methods import SendMessage, SendPhoto

    from handlers.telegram.middlewares import FitText

    bot = Bot("1:x")
    sent = []

    async def make_request(bot: Bot, method: object) -> None:
        sent.append(method)

    guard = FitText()
    await guard(make_request, bot, SendMessage(chat_id=1, text="🎉" * 3000))
    await guard(make_request, bot, SendPhoto(chat_id=1, photo="id", caption="😀" * 600))
    html = SendMessage(chat_id=1, text="<b>" + "я" * 5000 + "</b>", parse_mode="HTML")
    await guard(make_request, bot, html)
    assert utf16_len(sent[0].text) <= 4096 and sent[0].text.endswith(ELLIPSIS)
    assert utf16_len(sent[1].caption) <= 1024
    assert sent[2].text.endswith("</b>")  # markup is never cut blindly
    await bot.session.close()
