"""Demo data for the plan and the monthly report, so a newcomer sees them filled at once: an
announced event that passed with no report (the digest's «Не прислали», a reminder), one ahead,
an editor's plan item, and last month's announcement for /month. No reports are made up: their
numbers are the ones people see («Сообщение № 1»), so the newcomer's own comes first."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Application
from storage.models import Announcement, Person, PlanItem


async def seed_plan(
    app: Application, reporter: Person, vk_reporter: Person, editor: Person
) -> None:
    now = app.clock()
    today = now.astimezone(app.config.desk.tz).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    async with app.uow() as uow:
        uow.session.add_all(
            [
                Announcement(
                    author_id=vk_reporter.id,
                    department_id=vk_reporter.department_id,
                    title="Концерт ко Дню матери",
                    event_date=today - timedelta(days=1),
                    place="Дом культуры с. Богашёво",
                    created_at=now - timedelta(days=5),
                    # Her chat starts empty (the page asks her to press «Начать»): the
                    # reminder goes when an editor presses «Напомнить» in the digest or plan.
                    reminded_at=now,
                ),
                Announcement(
                    author_id=reporter.id,
                    department_id=reporter.department_id,
                    title="Турнир по мини-футболу",
                    event_date=today + timedelta(days=2),
                    place="Спортзал школы с. Корнилово",
                    created_at=now - timedelta(days=1),
                ),
                PlanItem(
                    title="Пост ко Дню района",
                    day=today + timedelta(days=3),
                    slot="13:00",
                    networks="ВКонтакте, Telegram",
                    created_by=editor.id,
                    created_at=now,
                ),
                # Last month, for /month: an announced event whose report never came.
                Announcement(
                    author_id=vk_reporter.id,
                    department_id=vk_reporter.department_id,
                    title="Выставка детского рисунка",
                    event_date=last_month,
                    place="Библиотека",
                    created_at=now - timedelta(days=40),
                    reminded_at=now - timedelta(days=30),  # long since told
                    late_noticed_at=now - timedelta(days=29),
                ),
            ]
        )
        await uow.commit()
