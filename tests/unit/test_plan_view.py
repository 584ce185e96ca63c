"""The week's message stays one message: measured in UTF-16 after entity parsing, trimmed."""

from __future__ import annotations

from datetime import date, timedelta

from bot.plan import Day, Entry, Week
from bot.plan_view import visible_len, week_message
from bot.textsize import utf16_len


def week(entries_a_day: int) -> Week:
    first = date(2026, 11, 30)
    days = []
    for offset in range(7):
        day = first + timedelta(days=offset)
        entries = [
            Entry(
                "published",
                day,
                f"{9 + n % 10:02d}:00",
                f"Очень длинное название публикации номер {n} 🎄 о жизни района",
                ("ВКонтакте", "Telegram"),
                (
                    ("ВКонтакте", f"https://vk.com/wall-100001_{n}"),
                    ("Telegram", f"https://t.me/x/{n}"),
                ),
                post_id=n + 1,
                network_values=("vk", "telegram"),
            )
            for n in range(entries_a_day)
        ]
        days.append(Day(day, entries, [("18:00", ("vk", "telegram"))]))
    return Week(first, days, {"vk": ("09:00", "18:00"), "telegram": ("09:00", "18:00")})


def test_emoji_count_twice_and_tags_not_at_all() -> None:
    assert utf16_len("🎄") == 2
    assert visible_len('<a href="https://vk.com">ВК</a> &amp; 🎄') == len("ВК & ") + 2


def test_a_quiet_week_shows_everything() -> None:
    text = week_message(week(1), date(2026, 12, 1), {"vk": "ВКонтакте", "telegram": "Telegram"})
    assert "свободно: 18:00" in text
    assert '<a href="https://vk.com/wall-100001_0">ВКонтакте</a>' in text
    assert "Вт, 1 декабря</b> · сегодня" in text


def test_a_crowded_week_is_trimmed_to_one_message() -> None:
    text = week_message(week(15), date(2026, 12, 1), {"vk": "ВКонтакте", "telegram": "Telegram"})
    assert visible_len(text) <= 4096
    assert "… и ещё 12" in text
    assert "свободно" not in text
