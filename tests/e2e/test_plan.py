"""The publication plan end to end: one message for the week with scheduled, published, planned
and announced items; moving a post to a free slot from the plan; the XLSX; the ICS feed and the
HTML page at a secret link, and 404 once it is revoked."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import aiohttp
import icalendar
import openpyxl
import pytest
from sqlmodel import select

from sandbox.stage import Stage
from storage.models import Post, Publication
from tests.e2e.conftest import Chat, buttons, join, landed, report_event
from tests.e2e.test_vk_reporter import VKPerson


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.offset = moment.timestamp() - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path, clock=Clock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)))  # Tue 10:00
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def approve(admin: Chat, number: int, when: str | None) -> None:
    card = await admin.expect(f"Новое сообщение № {number}")
    admin.press(card, "Одобрить")
    ask = await admin.expect("Когда публикуем?")
    if when is None:
        admin.press(ask, "Сейчас")
        where = await admin.edited(ask, "Куда публикуем")
    else:
        admin.press(ask, "Другое время")
        await admin.expect("Напишите дату и время")
        admin.send(when)
        where = await admin.expect("Куда публикуем")
    admin.press(admin.current(where), "Готово")
    await admin.edited(where, "запланировано")


async def seeded_week(stage: Stage, admin: Chat) -> dict:
    sport = await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
    )
    culture = await join(
        stage, admin, 2002, "Ольга Смирнова", "Руководитель подразделения", "Отдел культуры"
    )
    await report_event(sport, title="Открытие площадки", photos=())
    await approve(admin, 1, None)
    # The stage ticks all four networks on by default: the week shows ✅ once every one has landed.
    await landed(admin, "Telegram", "ВКонтакте", "Одноклассники", "MAX")
    await report_event(sport, title="Турнир по шахматам", photos=())
    await approve(admin, 2, "02.12.2026 09:00")
    culture.send("/announce")
    await culture.expect("Как оно называется?")
    culture.send("Ёлка")
    await culture.expect("Когда оно будет?")
    culture.send("03.12")
    await culture.expect("Где?")
    culture.send("Дом культуры")
    await culture.expect("Анонс № 1")

    admin.send("/plan")
    week = await admin.expect("График публикаций")
    admin.press(week, "➕ В план")
    await admin.expect("Что добавить в план?")
    admin.send("Пост ко Дню района, 04.12, ВКонтакте и ОК")
    await admin.expect("Добавлено в план: «Пост ко Дню района», 4 декабря")
    return await admin.expect("График публикаций")


async def test_week_holds_every_kind_and_a_post_moves_from_it(stage: Stage, admin: Chat) -> None:
    week = await seeded_week(stage, admin)
    text = week["text"]
    assert "График публикаций · 30 ноября – 6 декабря" in text
    assert "Слоты: 09:00, 13:00, 18:00" in text
    assert "Вт, 1 декабря · сегодня" in text
    opened = next(line for line in text.splitlines() if "«Открытие площадки»" in line)
    assert "✅ «Открытие площадки» — " in opened, opened
    assert {"Telegram", "ВКонтакте"} <= set(opened.split(" — ")[1].split(", ")), opened
    assert "09:00 🕓 «Турнир по шахматам» — " in text
    assert "📣 «Ёлка» (Отдел культуры) — ждём сообщение" in text
    assert "📝 «Пост ко Дню района» — ВКонтакте, Одноклассники" in text
    assert "свободно: 13:00, 18:00" in text  # Tuesday after 10:00: 09:00 has passed
    links = [e["url"] for e in week.get("entities", []) if e["type"] == "text_link"]
    assert any("t.me/" in url for url in links) and any("vk.com/wall" in url for url in links)
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert {"‹ Неделя", "Неделя ›", "XLSX", "HTML"} <= set(buttons(week))

    # Open the scheduled post and move it to a free slot.
    admin.press(week, "🕓 Ср 09:00 «Турнир по шахматам»")
    card = await admin.expect("«Турнир по шахматам» — 2 декабря в 09:00")  # a calendar date
    assert buttons(card)[0] == "Перенести в свободный слот"
    admin.press(card, "Перенести в свободный слот")
    slots = await admin.expect("Куда перенести?")
    assert "Ср, 2 декабря 09:00" not in buttons(slots)  # its own slot is taken by itself
    admin.press(slots, "Ср, 2 декабря 13:00")
    await admin.edited(slots, "Перенесено на завтра в 13:00.")
    async with stage.app.uow() as uow:
        post = await uow.session.get(Post, 2)
        assert post.state == "scheduled"
        assert post.scheduled_at == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
        # The outbox is the source of truth (APScheduler only wakes it, on the real clock: a
        # timer for a moment the real date has passed has fired already, the row stays due).
        rows = (await uow.session.exec(select(Publication).where(Publication.post_id == 2))).all()
        assert rows and {r.due_at for r in rows} == {datetime(2026, 12, 2, 6, 0, tzinfo=UTC)}
        assert {r.state for r in rows} == {"scheduled"}

    # Paging: the next week is empty but for its free slots; back again.
    admin.press(admin.current(week), "Неделя ›")
    await admin.edited(week, "7 декабря – 13 декабря")
    admin.press(admin.current(week), "‹ Неделя")
    moved = await admin.edited(week, "13:00 🕓 «Турнир по шахматам»")
    assert "30 ноября – 6 декабря" in moved["text"]

    # The same week as a workbook.
    admin.press(admin.current(week), "XLSX")
    document = await admin.expect("График публикаций: Пн")
    book = openpyxl.load_workbook(BytesIO(stage.tg.file_bytes(document["document"]["file_id"])))
    rows = list(book["График"].iter_rows(min_row=3, values_only=True))
    assert {r[3] for r in rows} == {
        "Открытие площадки",
        "Турнир по шахматам",
        "Ёлка",
        "Пост ко Дню района",
    }
    assert ("13:00", "запланировано") in {(r[2], r[4]) for r in rows}


async def new_feed_links(person: Chat | VKPerson, offer: dict) -> tuple[str, str]:
    """«Получить новую ссылку» pressed under the feed's offer: the calendar's (.ics) and the
    page's (.html) secret links from the answer."""
    person.press(offer, "Получить новую ссылку")
    words = (await person.expect("Календарь (подписаться в телефоне)"))["text"].split()
    calendar_url = next(w for w in words if w.endswith(".ics"))
    return calendar_url, next(w for w in words if w.endswith(".html"))


async def test_ics_feed_and_page_at_a_secret_link_and_404_once_revoked(
    stage: Stage, admin: Chat
) -> None:
    await seeded_week(stage, admin)
    admin.send("/feed")
    offer = await admin.expect("Ссылка на график")
    calendar_url, page_url = await new_feed_links(admin, offer)
    async with aiohttp.ClientSession() as http:
        async with http.get(calendar_url) as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            feed = icalendar.Calendar.from_ical(await response.read())
        events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
        assert [str(z["tzid"]) for z in feed.walk("VTIMEZONE")] == ["Asia/Tomsk"]
        summaries = sorted(str(e["summary"]) for e in events.values())
        assert len(events) == 4
        assert any("Открытие площадки" in s for s in summaries)
        assert any("Ёлка" in s for s in summaries)
        assert any("Пост ко Дню района (ВКонтакте, Одноклассники)" in s for s in summaries)
        match = events["post-2@pressdesk"]
        tomsk = stage.app.config.desk.tz
        assert match.decoded("dtstart") == datetime(2026, 12, 2, 9, 0, tzinfo=tomsk)
        async with http.get(page_url) as response:
            assert response.status == 200
            page = await response.text()
        assert "Турнир по шахматам" in page and "&lt;" not in page.split("<body>")[0]

        admin.send("/feed")
        offer = await admin.expect("Ссылка на график")
        admin.press(offer, "Отозвать ссылку")
        await admin.expect("Ссылка отозвана")
        for url in (calendar_url, page_url, calendar_url.replace(".ics", "x.ics")):
            async with http.get(url) as response:
                assert response.status == 404
