"""The plan's and the duty's queries on every engine (SQLite always, PostgreSQL when set)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.config import parse_config
from bot.domain import Network
from bot.plan import Plan
from storage.models import (
    Announcement,
    Department,
    FeedToken,
    Person,
    PlanItem,
    Post,
    Publication,
    Report,
)
from tests.storage.test_storage import engine, uow_factory  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def test_announcements_answered_planned_and_feeds(uow_factory) -> None:  # noqa: F811
    async with uow_factory() as uow:
        s = uow.session
        s.add(Department(name="Отдел культуры"))
        await s.flush()
        s.add(Person(full_name="Глава", role="reporter", department_id=1, created_at=NOW))
        s.add(Person(full_name="Без отдела", role="reporter", created_at=NOW))
        await s.flush()
        for author, dep, day in (
            (1, 1, date(2026, 12, 2)),
            (1, 1, date(2026, 12, 3)),
            (2, None, date(2026, 12, 2)),
        ):
            s.add(
                Announcement(
                    author_id=author,
                    department_id=dep,
                    title=f"А{day}",
                    event_date=day,
                    created_at=NOW,
                )
            )
        s.add(
            Report(
                author_id=1,
                department_id=1,
                title="О",
                event_date=date(2026, 12, 2),
                place="",
                description="",
                created_at=NOW,
            )
        )
        s.add(
            Report(
                author_id=1,
                department_id=1,
                title="Чужой",
                event_date=date(2026, 12, 3),
                place="",
                description="",
                created_at=NOW,
            )
        )
        s.add(
            PlanItem(
                title="Пост",
                day=date(2026, 12, 4),
                slot="13:00",
                networks="ВКонтакте",
                created_by=1,
                created_at=NOW,
            )
        )
        s.add(
            Post(text="Вышло", state="published", scheduled_at=NOW, created_at=NOW, updated_at=NOW)
        )
        await s.flush()
        s.add(
            Publication(
                post_id=1,
                network="vk",
                state="published",
                external_id="5",
                url="https://vk.com/wall-1_5",
                updated_at=NOW,
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        # The second announcement is answered too (same department, same day); the third, by a
        # head with no department, only by a report of that person: none.
        assert [a.id for a in await uow.announcements.open_()] == [3]
        assert [
            (a.id, r)
            for a, r in await uow.announcements.between(date(2026, 12, 1), date(2026, 12, 7))
        ] == [
            (1, True),
            (3, False),
            (2, True),
        ]
        assert await uow.announcements.mark(3, "reminded_at", NOW)
        assert not await uow.announcements.mark(3, "reminded_at", NOW)
        await uow.feeds.add(FeedToken(token_hash="a" * 64, created_by=1, created_at=NOW))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.feeds.valid("a" * 64)
        assert await uow.feeds.revoke_all(NOW) == 1
        await uow.commit()
        assert not await uow.feeds.valid("a" * 64)

    plan = Plan(uow_factory, parse_config({}), lambda: NOW, [Network.telegram, Network.vk])
    entries = await plan.entries(date(2026, 11, 30), date(2026, 12, 6))
    assert [(e.kind, e.title, e.time) for e in entries] == [
        ("published", "Вышло", "10:00"),
        ("announced", "А2026-12-02", ""),
        ("planned", "Пост", "13:00"),
    ]
    assert entries[0].links == (("ВКонтакте", "https://vk.com/wall-1_5"),)
    friday = (await plan.week(date(2026, 12, 1))).days[4]
    # The plan item at 13:00 for VK holds that slot for VK only.
    assert friday.free == [
        ("09:00", ("telegram", "vk")),
        ("13:00", ("telegram",)),
        ("18:00", ("telegram", "vk")),
    ]
