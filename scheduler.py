"""APScheduler: the timers. A post's timer only wakes the outbox (bot/publishing.py) at the
post's time; the outbox's rows in the database are the truth and are claimed there, so a timer
that fires twice, or on two instances, still publishes once, and a post with no timer here (an
instance that restarted, a post scheduled through another instance) is found by the outbox's
own look at the database."""

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

from bot.publishing import Outbox

log = logging.getLogger(__name__)

JOB_TITLES = {
    "post": "публикация по графику",
    "moderation": "проверка комментариев (сводка или напоминание)",
}


class PublishScheduler:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        # Told once per job that crashed (bot.alerts.Alerts.once): (key, Russian text).
        self.on_error: Callable[[str, str], Awaitable[object]] | None = None
        self._reports: set[asyncio.Task] = set()
        self.scheduler.add_listener(self._crashed, EVENT_JOB_ERROR)

    def _crashed(self, event: JobExecutionEvent) -> None:
        if isinstance(event.exception, asyncio.CancelledError):
            # Cancelled because the app is stopping (APScheduler reports it as an error).
            log.info("job %s cancelled", event.job_id)
            return
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
            misfire_grace_time=None,  # lateness is judged by the outbox against the database
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
        await self._outbox.start()
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stop(self) -> None:
        self.shutdown()
        await self._outbox.stop()

    async def _publish(self, post_id: int) -> None:
        self._outbox.wake()
