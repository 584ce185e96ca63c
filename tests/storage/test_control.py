"""The monthly control report against a seeded month whose figures are written out by hand,
on SQLite and PostgreSQL; the XLSX opens with openpyxl and the charts are valid PNGs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import openpyxl
from sqlalchemy import event

from bot.config import parse_config
from bot.control import Control, Month
from bot.control_render import render
from bot.domain import Network
from bot.ports import PostStats
from storage.models import (
    Announcement,
    Attachment,
    Comment,
    Department,
    Person,
    Post,
    Publication,
    Report,
)
from tests.storage.test_storage import engine, uow_factory  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # Tuesday 1 December, 12:00 in Tomsk
PNG = b"\x89PNG\r\n\x1a\n"


def at(month: int, day: int, hour: int = 3, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class FakeVK:
    network = Network.vk
    unavailable = ""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def stats(self, external_ids):  # type: ignore[no-untyped-def]
        self.asked.append(list(external_ids))
        figures = {"11": PostStats(120, 10, 2, 3), "12": PostStats(80, 5, 0, 1)}
        return {x: figures[x] for x in external_ids if x in figures}


class NoTelegramViews:
    network = Network.telegram
    unavailable = "Telegram не даёт ботам число просмотров"

    async def stats(self, external_ids):  # type: ignore[no-untyped-def]
        raise AssertionError("never asked")


async def seed(uow_factory) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async with uow_factory() as uow:
        s = uow.session
        for name in ("Отдел культуры", "Отдел спорта", "Отдел ЖКХ"):
            s.add(Department(name=name))
        await s.flush()
        culture, sport, housing = 1, 2, 3
        for i, dep in enumerate((culture, sport, housing, None), start=1):
            s.add(
                Person(
                    full_name=f"Человек {i}",
                    role="reporter" if dep else "editor",
                    department_id=dep,
                    telegram_id=100 + i,
                    created_at=at(10, 1),
                )
            )
        await s.flush()

        def ann(author: int, dep: int, day: date, cancelled: bool = False) -> None:
            s.add(
                Announcement(
                    author_id=author,
                    department_id=dep,
                    title=f"Событие {day}",
                    event_date=day,
                    created_at=at(10, 1),
                    cancelled=cancelled,
                )
            )

        ann(1, culture, date(2026, 11, 6))  # answered on Monday 9th: on time
        ann(1, culture, date(2026, 11, 20))  # never answered, deadline 23rd: missing
        ann(2, sport, date(2026, 11, 3))  # answered late
        ann(3, housing, date(2026, 11, 30))  # due today (1 Dec): not missing yet
        ann(2, sport, date(2026, 11, 10), cancelled=True)  # not counted
        ann(1, culture, date(2026, 10, 30))  # another month

        def report(author: int, dep: int, day: date, late: bool, created: datetime) -> None:
            s.add(
                Report(
                    author_id=author,
                    department_id=dep,
                    title=f"Отчёт {day}",
                    event_date=day,
                    place="",
                    description="",
                    is_late=late,
                    created_at=created,
                )
            )

        report(1, culture, date(2026, 11, 6), False, at(11, 9))  # 1
        report(2, sport, date(2026, 11, 3), True, at(11, 6))  # 2
        report(2, sport, date(2026, 11, 12), False, at(11, 12))  # 3, not announced
        report(1, culture, date(2026, 10, 31), False, at(11, 2))  # 4, October's event
        await s.flush()

        def post(report_id: int | None, when: datetime, state: str = "published") -> None:
            s.add(
                Post(
                    report_id=report_id,
                    text="Текст публикации",
                    state=state,
                    scheduled_at=when,
                    created_at=when,
                    updated_at=when,
                )
            )

        post(1, at(11, 10, 5))  # post 1: photo, VK + Telegram
        post(3, at(11, 15, 5))  # post 2: video, VK
        post(None, at(11, 30, 18))  # post 3: 1 December 01:00 in Tomsk: December's
        post(None, at(10, 31, 18))  # post 4: 1 November 01:00 in Tomsk: November's, text
        post(None, at(11, 20, 5), state="scheduled")  # post 5: not published
        await s.flush()
        for post_id, kind in ((1, "photo"), (2, "video")):
            s.add(
                Attachment(
                    post_id=post_id, kind=kind, filename="f", mime_type="x", sha256="0" * 64, size=1
                )
            )

        def pub(post_id: int, network: str, external: str, state: str = "published") -> None:
            s.add(
                Publication(
                    post_id=post_id,
                    network=network,
                    state=state,
                    external_id=external,
                    url=f"https://example/{network}/{external}",
                    updated_at=at(11, 1),
                )
            )

        pub(1, "vk", "11")
        pub(1, "telegram", "501")
        pub(2, "vk", "12")
        pub(3, "telegram", "502")
        pub(4, "telegram", "503")
        pub(5, "vk", "13", state="pending")

        def comment(
            n: int,
            network: str,
            categories: str,
            state: str,
            decision: str | None,
            seen: datetime,
            decided: datetime | None = None,
            deletable: datetime | None = None,
        ) -> None:
            s.add(
                Comment(
                    network=network,
                    external_id=str(n),
                    written_at=seen,
                    seen_at=seen,
                    state=state,
                    categories=categories,
                    decision=decision,
                    decided_at=decided,
                    deletable_until=deletable,
                )
            )

        comment(1, "vk", "insult", "deleted", "delete", at(11, 5, 3), at(11, 5, 5))  # 2 h
        comment(2, "vk", "spam", "banned", "ban", at(11, 6, 3), at(11, 6, 3, 30))  # 0.5 h
        comment(
            3, "telegram", "obscenity", "kept", "keep", at(11, 7, 3), at(11, 7, 9), at(11, 9, 3)
        )  # 6 h
        comment(4, "telegram", "insult", "flagged", None, at(11, 7, 3), None, at(11, 9, 3))
        comment(
            5,
            "telegram",
            "threat",
            "deleted",
            "auto_delete",
            at(11, 8, 3),
            at(11, 8, 3),
            at(11, 10, 3),
        )
        comment(6, "vk", "", "clean", None, at(11, 8, 3))
        comment(7, "vk", "insult", "deleted", "delete", at(10, 20, 3), at(10, 20, 4))
        await uow.commit()


async def test_the_seeded_month_gives_the_hand_counted_figures(engine, uow_factory) -> None:  # noqa: F811
    await seed(uow_factory)
    config = parse_config({})
    vk = FakeVK()
    control = Control(uow_factory, config, lambda: NOW, [NoTelegramViews(), vk])
    statements: list[str] = []

    def counted(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", counted)
    report = await control.build(Month(2026, 11))
    event.remove(engine.sync_engine, "before_cursor_execute", counted)
    selects = [x for x in statements if x.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4  # one query per figure family

    departments, publications, moderation, engagement = report.sections
    assert departments.rows == [
        ("Отдел ЖКХ", 1, 0, 0, 0),
        ("Отдел культуры", 2, 1, 0, 1),
        ("Отдел спорта", 1, 1, 1, 0),
    ]
    assert departments.lines[0] == (
        "анонсировано мероприятий: 4; сообщений вовремя: 2, с опозданием: 1; не прислали: 1"
    )
    assert publications.header == ("Сеть", "видео", "текст", "фото", "Всего")
    assert publications.rows == [("Telegram", 0, 1, 1, 2), ("ВКонтакте", 1, 0, 1, 2)]
    assert moderation.rows[:2] == [("Telegram", 3, 1, 1, 0, 1), ("ВКонтакте", 2, 2, 0, 0, 0)]
    assert "на проверке было 5: удалено 3, оставлено 1" in moderation.lines[0]
    assert moderation.lines[1] == "медианное время до решения: 2,0 ч"
    assert "не решены за 48 часов, пока Telegram давал удалить: 1" in moderation.lines[2]
    assert vk.asked == [["11", "12"]]
    assert engagement.lines[0] == (
        "ВКонтакте: просмотров 200, лайков 15, репостов 2, комментариев 4"
    )
    assert "Telegram не даёт ботам число просмотров" in " ".join(engagement.notes)
    summary = report.summary()
    assert summary.startswith("Отчёт о работе за ноябрь 2026")

    rendered = render(report, config.desk.tz)
    assert [name for name, _ in rendered.charts] == [
        "departments.png",
        "publications.png",
        "moderation.png",
        "engagement.png",
    ]
    assert all(data.startswith(PNG) and len(data) > 2000 for _, data in rendered.charts)
    book = openpyxl.load_workbook(BytesIO(rendered.xlsx))
    assert book.sheetnames == [
        "Подразделения",
        "Публикации",
        "Модерация комментариев",
        "Просмотры и отклики",
    ]
    rows = list(book["Подразделения"].iter_rows(values_only=True))
    assert ("Отдел культуры", 2, 1, 0, 1) in [tuple(r[:5]) for r in rows]
    assert "<h1>Отчёт о работе за ноябрь 2026</h1>" in rendered.html
    assert rendered.html.count("data:image/png;base64,") == 4


async def test_a_plugged_in_section_and_the_month_names() -> None:
    today = date(2026, 1, 15)
    assert Month.parse("", today) == Month(2026, 1)
    assert Month.parse("декабрь", today) == Month(2025, 12)
    assert Month.parse("11.2026", today) == Month(2026, 11)
    assert Month.parse("2026-03", today) == Month(2026, 3)
    assert Month(2026, 12).next == Month(2027, 1) and Month(2026, 1).previous == Month(2025, 12)
