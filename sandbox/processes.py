"""Real `pressdesk run` processes against the stage's emulators, and posts due for them.

The crash tests and bench.publish kill these with SIGKILL mid-publication: the emulators live in
the calling process, so what the networks received survives the bot. Posts are written straight
into the database as an editor's «Готово» leaves them (scheduled, one publication row per
network), since what is under test is publishing, not the dialog.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from bot.domain import PostState, PublicationState, Role
from sandbox.stage import ADMIN_ID, BOT_TOKEN, Stage
from storage.db import create_engine, migrate, session_factory
from storage.models import Person, Post, Publication, Report
from storage.uow import UnitOfWork

DROPPED = ("facebook", "instagram", "public_media", "ok", "max")  # they need tokens of their own


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_config(stage: Stage, path: Path, database_url: str, **sections: dict) -> Path:
    raw = stage.raw_config()
    for name in DROPPED:
        raw.pop(name, None)
    raw["database"] = {"url": database_url}
    raw.setdefault("moderation", {})["enabled"] = False
    raw["web"] = {"port": 0}
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    lines = []
    for name, values in raw.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class DeskProcess:
    """One `pressdesk run`; stdout and stderr go to a log file beside the config."""

    def __init__(self, stage: Stage, config: Path, name: str = "desk") -> None:
        self.stage, self.config, self.name = stage, config, name
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = self.config.with_name(f"{self.name}-{self.runs}.log").open("wb")
        env = {
            **os.environ,
            "PRESSDESK_TELEGRAM_TOKEN": BOT_TOKEN,
            "PRESSDESK_VK_USER_TOKEN": self.stage.vk_user_token,
            "PRESSDESK_VK_GROUP_TOKEN": self.stage.vk_group_token,
            "PRESSDESK_MAX_TOKEN": self.stage.max_token,  # used only with a [max] section
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("PRESSDESK_DATABASE_URL", None)
        command = Path(sys.executable).parent / "pressdesk"
        self.proc = subprocess.Popen(
            [str(command), "run", "--config", str(self.config)],
            cwd=self.config.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a power cut or the OOM killer."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return "\n".join(
            self.config.with_name(f"{self.name}-{n}.log").read_text(errors="replace")
            for n in range(1, self.runs + 1)
        )


class Ledger:
    """The database as the test sees it (its own engine, next to the processes')."""

    def __init__(self, url: str, connect_args: dict | None = None) -> None:
        self.engine = create_engine(url, **({"connect_args": connect_args} if connect_args else {}))
        self.sessions = session_factory(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def prepare(self) -> None:
        await migrate(self.engine)

    async def editor(self, now: datetime) -> Person:
        async with self.uow() as uow:
            person = await uow.people.by_telegram(ADMIN_ID)
            if person is None:
                person = await uow.people.add(
                    Person(
                        full_name="Анна Петрова",
                        role=Role.admin,
                        telegram_id=ADMIN_ID,
                        created_at=now,
                    )
                )
                await uow.commit()
            return person

    async def schedule(
        self,
        titles: Sequence[str],
        due: Sequence[datetime],
        networks: Iterable[str],
        now: datetime,
    ) -> list[int]:
        """Posts as «Готово» leaves them: scheduled, one outbox row per network, due then."""
        editor = await self.editor(now)
        networks = list(networks)
        ids = []
        async with self.uow() as uow:
            for title, at in zip(titles, due, strict=True):
                report = await uow.reports.add(
                    Report(
                        author_id=editor.id,
                        title=title,
                        event_date=now.date(),
                        place="с. Корнилово",
                        description="",
                        created_at=now,
                    )
                )
                post = await uow.posts.add(
                    Post(
                        report_id=report.id,
                        text=f"{title}\n\n#ТомскийРайон",
                        state=PostState.scheduled,
                        scheduled_at=at,
                        decided_by=editor.id,
                        decided_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
                for network in networks:
                    uow.session.add(
                        Publication(
                            post_id=post.id,
                            network=network,
                            state=PublicationState.scheduled,
                            due_at=at,
                            updated_at=now,
                        )
                    )
                ids.append(post.id)
            await uow.commit()
        return ids

    async def schedule_bare(
        self,
        texts: Sequence[str],
        due: Sequence[datetime],
        networks: Iterable[str],
        now: datetime,
    ) -> None:
        """Posts with no report and no deciding editor (nobody is told of a success: a
        benchmark's thousands of links would only pace the editor's chat), in batches."""
        networks = list(networks)
        items = list(zip(texts, due, strict=True))
        for start in range(0, len(items), 500):
            async with self.uow() as uow:
                for body, at in items[start : start + 500]:
                    post = await uow.posts.add(
                        Post(
                            text=body,
                            state=PostState.scheduled,
                            scheduled_at=at,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    for network in networks:
                        uow.session.add(
                            Publication(
                                post_id=post.id,
                                network=network,
                                state=PublicationState.scheduled,
                                due_at=at,
                                updated_at=now,
                            )
                        )
                await uow.commit()

    async def texts(self) -> dict[int, str]:
        async with self.uow() as uow:
            return dict((await uow.session.exec(select(Post.id, Post.text))).all())

    async def published_at_least(self, count: int, within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            async with self.uow() as uow:
                query = select(func.count()).where(Publication.state == PublicationState.published)
                if (await uow.session.exec(query)).one() >= count:
                    return
            if loop.time() > deadline:
                raise TimeoutError(f"fewer than {count} published after {within} s")
            await asyncio.sleep(0.2)  # polling the database: the condition is its rows

    async def publications(self) -> list[Publication]:
        async with self.uow() as uow:
            query = select(Publication).order_by(Publication.id)
            return list((await uow.session.exec(query)).all())

    async def settled(self, within: float) -> list[Publication]:
        """Wait until no publication is waiting or in flight; the rows then."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        waiting = (
            PublicationState.scheduled,
            PublicationState.sending,
            PublicationState.publishing,
            PublicationState.pending,
        )
        while True:
            # A count, not the rows: the benchmark's 10,000 rows read five times a second
            # took the CPU its emulators answer with.
            async with self.uow() as uow:
                query = select(func.count()).where(col(Publication.state).in_(waiting))
                left = (await uow.session.exec(query)).one()
            if not left:
                return await self.publications()
            if loop.time() > deadline:
                rows = await self.publications()
                states = sorted({r.state for r in rows})
                raise TimeoutError(f"publications still waiting after {within} s: {states}")
            await asyncio.sleep(0.2)  # polling the database: the condition is its rows

    async def close(self) -> None:
        await self.engine.dispose()
