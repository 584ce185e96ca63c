"""APScheduler jobs that publish posts on time. The database is the source of truth:
jobs live in memory and are rebuilt from it at every start, and the publish itself claims
the post in the database, so a job that fires twice still publishes once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.editorial import Desk

log = logging.getLogger(__name__)

JOB_TITLES = {
    "post": "публикация по графику",
    "moderation": "проверка комментариев (сводка или напоминание)",
}


class PublishScheduler:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        # Told once per job that crashed (bot.alerts.AdminAlerts.once): (key, Russian text).
        self.on_error: Callable[[str, str], Awaitable[object]] | None = None
        self._reports: set[asyncio.Task] = set()
        self.scheduler.add_listener(self._crashed, EVENT_JOB_ERROR)

    def _crashed(self, event: JobExecutionEvent) -> None:
        log.error("job %s crashed: %r", event.job_id, event.exception)
        self._tell(event.job_id)

    def _tell(self, job_id: str) -> None:
        if self.on_error is None:
            return
        what = JOB_TITLES.get(job_id.partition(":")[0], job_id)
        text = (
            f"Не сработало задание по расписанию: {what}. Оно повторится в своё время; "
            "если ошибка останется, сообщите тому, кто обслуживает бота (подробности в журнале)."
        )
        task = asyncio.get_running_loop().create_task(self.on_error(f"job:{job_id}", text))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    def plan(self, post_id: int, at: datetime) -> None:
        self.scheduler.add_job(
            self._publish,
            DateTrigger(run_date=at, timezone=UTC),
            args=[post_id],
            id=f"post:{post_id}",
            replace_existing=True,
            misfire_grace_time=None,  # lateness is judged by Desk.publish against the database
        )

    def unplan(self, post_id: int) -> None:
        if self.scheduler.get_job(f"post:{post_id}") is not None:
            self.scheduler.remove_job(f"post:{post_id}")

    def daily(
        self, job_id: str, func: Callable[[], Awaitable[object]], at: str, timezone: str
    ) -> None:
        """A job at a local time every day, such as the morning digest."""
        hour, minute = (int(x) for x in at.split(":"))
        trigger = CronTrigger(hour=hour, minute=minute, timezone=timezone)
        self.scheduler.add_job(
            func, trigger, id=job_id, replace_existing=True, misfire_grace_time=3600
        )

    def every(self, job_id: str, func: Callable[[], Awaitable[object]], minutes: float) -> None:
        """A job repeated every few minutes, such as re-raising comments near a deadline."""
        trigger = IntervalTrigger(minutes=minutes, timezone=UTC)
        self.scheduler.add_job(func, trigger, id=job_id, replace_existing=True, coalesce=True)

    def planned(self) -> list[str]:
        """Posts waiting for their time (the daily and repeating jobs are not posts)."""
        return [job.id for job in self.scheduler.get_jobs() if job.id.startswith("post:")]

    async def start(self) -> None:
        for post_id, at in await self._desk.recover():
            self.plan(post_id, at)
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _publish(self, post_id: int) -> None:
        try:
            await self._desk.publish(post_id)
        except Exception:
            # The post stays in the database in its state; a restart or «Повторить» picks it up.
            log.exception("publishing post %s failed unexpectedly", post_id)
            self._tell(f"post:{post_id}")
