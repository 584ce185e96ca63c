"""Publishing benchmark: N posts due within a window, K real `pressdesk run` instances sharing
one database, one instance SIGKILLed mid-run and restarted.

The Telegram, VK and MAX emulators run in this process and enforce the real limits (Telegram:
20 messages a minute in a channel, 1 a second in a private chat; VK: 3 requests a second for the
community admin's user token; MAX: 30 requests a second for the bot, 429 beyond); every post
goes to the channel, the wall and the MAX channel (`--networks` chooses). OK is left out: OK
publishes no request limit for an application (the emulator's 20 a second is its own guess), so
there is no real limit for a floor to be made of. PostgreSQL when
BENCH_PG_URL is set (a database of its own per run, dropped after), SQLite otherwise. The same
run is then made with one instance, as the reference.

With BENCH_REDIS_URL the instances run with `[redis] url` and so share each token's budget.
`--networks vk` (or `max`, `telegram`) publishes to some of them only: VK's 3 requests a second
allow thousands of posts in minutes, MAX's 30 ten thousand, where the channel's 20 a minute
allow 30.

floor_s is the 99th percentile of the lateness the limits alone impose: each publication's
earliest moment in its network's window of limits, computed from the schedule. Lateness is
measured from each post's own time (a retry moves its row's `due_at`, not the post's).
`in_flight_at_kill` counts the killed instance's rows the database had in flight with a request
that may have been out the moment it died; `waiting_at_kill` its rows claimed but waiting for
their turn with nothing out (bot/wire.py), which must come out published, not uncertain. The
LAST line printed is one JSON object:
{"posts", "instances", "published", "duplicates", "lost", "uncertain", "in_flight_at_kill",
 "waiting_at_kill", "p50_late_s", "p99_late_s", "floor_s", "posts_per_s",
 "desk_cpu_ms_per_publication", "bench_cpu_ms_per_publication", "single_instance_posts_per_s",
 "single_instance_desk_cpu_ms_per_publication"}
The CPU figures are the desks' CPU (all instances, /proc) and the bench process's own (its
emulators), from scheduling the posts until the rows settle, per publication published: unlike
the rates and the lateness, they hardly move with the machine's other load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bench.publish_trace import Trace
from bot.domain import PublicationState
from sandbox.processes import DeskProcess, Ledger, write_config
from sandbox.stage import CHANNEL_ID, MAX_CHANNEL_ID, VK_GROUP_ID, Stage
from storage.db import create_engine
from storage.models import Post, Publication
from storage.outbox import IN_FLIGHT

# The limits the emulators enforce, as (count, seconds) windows: what the floor is made of.
LIMITS = {"telegram": (20, 60.0), "vk": (3, 1.0), "max": (30, 1.0)}
NETWORKS = ("telegram", "vk", "max")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def floor_lateness(due: list[float], limit: tuple[int, float]) -> list[float]:
    """Each publication's lateness if it went out at the first moment the window allows, in
    the order due: not before the one due before it, nor before the one `count` before it is
    `seconds` old (the emulators refuse a call that makes more than `count` in `seconds`).
    Until 2026-12-01 the calls a wait passed were dropped from the window, so posts due at
    once were counted as going out together beyond the limit (evenly spread ones were not)."""
    count, seconds = limit
    sent: deque[float] = deque(maxlen=count)  # the last `count` moments
    late = []
    for at in sorted(due):
        moment = max(at, sent[-1]) if sent else at
        if len(sent) == count:
            moment = max(moment, sent[0] + seconds)
        sent.append(moment)
        late.append(moment - at)
    return late


class Collector:
    """The emulators run in this process, and their state grows with the run (every post, every
    call they answered): a full collection of it stalled them for 0.28 s once in each 10,000-post
    run, where no network's servers would, and the desks' turns in the window passed meanwhile,
    for good (a window counted from when calls arrive). While the run goes, what was made is
    frozen each second (gc.freeze: never scanned again); the full collections still made, and
    how long each held the emulators, are counted."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []  # (moment, seconds) of each full collection
        self._began = 0.0

    def _seen(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((time.time(), time.perf_counter() - self._began))

    async def run(self) -> None:
        gc.callbacks.append(self._seen)
        try:
            while True:
                gc.freeze()
                await asyncio.sleep(1.0)
        finally:
            gc.callbacks.remove(self._seen)
            gc.unfreeze()

    def longest(self) -> float:
        return round(max((took for _, took in self.pauses), default=0.0), 3)


class Database:
    """A database of the run's own: a fresh PostgreSQL database, or a SQLite file."""

    def __init__(self, folder: Path) -> None:
        self.admin_url = os.environ.get("BENCH_PG_URL")
        self.name = f"bench_{uuid.uuid4().hex[:10]}"
        if self.admin_url:
            self.url = make_url(self.admin_url).set(database=self.name).render_as_string(False)
        else:
            self.url = f"sqlite+aiosqlite:///{folder / 'desk.db'}"

    async def __aenter__(self) -> Database:
        if self.admin_url:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            await admin.dispose()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.admin_url:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            await admin.dispose()


async def started(stage: Stage, runs: int, within: float = 180) -> None:
    """Every instance is up: each one's start-up sets the bot's commands once."""
    await stage.tg.wait_until(
        lambda: sum(c[0] == "setMyCommands" for c in stage.tg.calls) >= runs, timeout=within
    )


def cpu_seconds(pid: int | None) -> float:
    """A process's CPU (user + system) so far, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DeskCPU:
    """The desks' CPU from the moment the posts are scheduled until the rows settle (their
    start-up before it left out; a restarted one's counted in): what publishing costs them."""

    def __init__(self, desks: list[DeskProcess]) -> None:
        self.desks = desks
        self.spent = 0.0
        self.start = {d.name: cpu_seconds(d.proc and d.proc.pid) for d in desks}

    def before_exit(self, desk: DeskProcess) -> None:
        """Its CPU up to now, before it is killed or stopped."""
        self.spent += cpu_seconds(desk.proc and desk.proc.pid) - self.start.pop(desk.name, 0.0)

    def total(self) -> float:
        for desk in self.desks:
            self.before_exit(desk)
        return self.spent


def keep_logs(folder: Path, to: Path) -> None:
    to.mkdir(exist_ok=True)
    for log in folder.glob("*.log"):
        shutil.copy(log, to / log.name)


def _first(text: str) -> str:
    return text.strip().split("\n", 1)[0]


async def database_work(ledger: Ledger) -> dict[str, int]:
    """PostgreSQL's own counts for the run's database (none on SQLite): its transactions and
    the row versions written to `publication` (a claim and an outcome are one each; a row's
    "waiting" mark and its clearing two more)."""
    if ledger.engine.dialect.name != "postgresql":
        return {}
    await asyncio.sleep(1.5)  # the counts reach the statistics within a second or so
    async with ledger.engine.connect() as conn:
        transactions = (
            await conn.execute(
                text(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                    " WHERE datname = current_database()"
                )
            )
        ).scalar_one()
        updates = (
            await conn.execute(
                text("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'publication'")
            )
        ).scalar_one()
    return {"transactions": int(transactions), "publication_updates": int(updates)}


async def at_the_kill(ledger: Ledger, pid: int) -> tuple[int, int]:
    """The killed instance's rows as the database has them the moment it died: in flight with
    a request that may be out (what reconciliation has to ask about where there is no key),
    and claimed but waiting for their turn with nothing out (bot/wire.py)."""
    async with ledger.uow() as uow:
        query = select(Publication.waiting).where(
            col(Publication.state).in_(IN_FLIGHT),
            col(Publication.claimed_by).contains(f":{pid}:"),
        )
        marks = list((await uow.session.exec(query)).all())
    return sum(not m for m in marks), sum(bool(m) for m in marks)


async def scheduled_times(ledger: Ledger) -> dict[int, datetime]:
    """Each post's own time: a retry moves its row's `due_at`, lateness is from the post's."""
    async with ledger.uow() as uow:
        rows = (await uow.session.exec(select(Post.id, Post.scheduled_at))).all()
    return {post_id: at for post_id, at in rows if at is not None}


async def scenario(
    posts: int,
    instances: int,
    window: float,
    folder: Path,
    networks: tuple[str, ...],
    trace_to: Path | None = None,
) -> dict:
    await asyncio.to_thread(folder.mkdir, parents=True)
    stage = Stage(folder)
    await stage.start_emulators()
    stage.tg.validate_responses = False  # Telegram checks nothing of the kind
    stage.tg.enforce_flood_limits(private=(1, 1.0), group=LIMITS["telegram"])
    stage.vk.user_rps = LIMITS["vk"][0]
    async with Database(folder) as database:
        ledger = Ledger(database.url)
        await ledger.prepare()
        sections: dict[str, dict] = {
            "publish": {"lease_seconds": 5.0, "poll_seconds": 0.5},
            # As deployed (the tests' stage looks for polls and contests to close twice a
            # second): these sweeps are not what is measured, and took 7 % of a desk's CPU.
            "formats": {"check_every_seconds": 60.0},
        }
        if "max" in networks:
            # The bot's dialogs are read as deployed (once a minute), not each second as the
            # tests have it: each read is a request in the same 30 a second as the posts.
            sections["max"] = {**stage.raw_config()["max"], "check_comments_every_seconds": 60.0}
        if redis := os.environ.get("BENCH_REDIS_URL"):
            # The instances share each token's budget (networks/shared_pace.py), as deployed.
            sections["redis"] = {"url": redis, "key_prefix": database.name}
        config = write_config(stage, folder / "config.toml", database.url, **sections)
        desks = [DeskProcess(stage, config, f"desk{n}") for n in range(instances)]
        trace = Trace(ledger, stage.vk, stage.max) if trace_to is not None else None
        collector = Collector()
        collecting = asyncio.create_task(collector.run())
        try:
            for desk in desks:
                desk.start()
            await started(stage, instances)
            cpu = DeskCPU(desks)
            own_cpu = time.process_time()
            t0 = datetime.now(UTC) + timedelta(seconds=2)
            step = window / max(posts - 1, 1)
            due = [t0 + timedelta(seconds=i * step) for i in range(posts)]
            titles = [f"Публикация № {i}" for i in range(posts)]
            await ledger.schedule_bare(titles, due, networks, datetime.now(UTC))
            if trace is not None:
                trace.start()
            # SIGKILL the first instance once half the publications are out, and restart it.
            await ledger.published_at_least(posts * len(networks) // 2, within=window + 36000)
            assert desks[0].proc is not None
            pid = desks[0].proc.pid
            cpu.before_exit(desks[0])
            desks[0].kill()
            in_flight, waiting = await at_the_kill(ledger, pid)
            desks[0].start()
            if trace is not None:
                trace.event(f"killed {pid}, started again")
                restarted = asyncio.create_task(started(stage, instances + 1, within=600))
                restarted.add_done_callback(lambda _: trace.event("restarted: up"))
            slowest = min(LIMITS[n][0] / LIMITS[n][1] for n in networks)
            deadline = window + 3 * posts / slowest + 300
            rows = await ledger.settled(within=deadline)
            desk_cpu, own_cpu = cpu.total(), time.process_time() - own_cpu
            work = await database_work(ledger)
            texts = await ledger.texts()
            times = await scheduled_times(ledger)
            if trace is not None and trace_to is not None:
                trace.events += [
                    (at, f"bench: full collection, {took:.3f} s") for at, took in collector.pauses
                ]
                await trace.stop()
                trace.write(trace_to, rows, times, LIMITS)
        finally:
            collecting.cancel()
            await asyncio.gather(collecting, return_exceptions=True)
            for desk in desks:
                desk.stop()
            await ledger.close()
            if trace_to is not None:  # the desks' own logs beside the trace
                await asyncio.to_thread(keep_logs, folder, trace_to.with_suffix(".logs"))
        # By the first line: the house style (bot/style.py) adds the office's hashtags and
        # signature below the text, and each bench post's first line is its unique title.
        channel = Counter(_first(m.get("text", "")) for m in stage.tg.chat_messages(CHANNEL_ID))
        wall = Counter(_first(p["text"]) for p in stage.vk.wall_posts(-VK_GROUP_ID))
        max_channel = Counter(_first(p["body"]["text"]) for p in stage.max.posts(MAX_CHANNEL_ID))
    await stage.stop()

    out = {"telegram": channel, "vk": wall, "max": max_channel}
    duplicates = sum(max(0, n - 1) for counts in out.values() for n in counts.values())
    lost = 0
    late, by_network = [], {n: [] for n in networks}
    late_on: dict[str, list[float]] = {n: [] for n in networks}
    for row in rows:
        due_at = times[row.post_id]
        if row.state == PublicationState.published:
            if out[row.network][_first(texts[row.post_id])] == 0:
                lost += 1  # said published, not there
            late.append((row.published_at - due_at).total_seconds())
            late_on[row.network].append(late[-1])
        elif row.state != PublicationState.uncertain:
            lost += 1
        by_network[row.network].append(due_at.timestamp())
    floor = [x for n in networks for x in floor_lateness(by_network[n], LIMITS[n])]
    published_at = [r.published_at for r in rows if r.published_at is not None]
    span = (max(published_at) - min(times.values())).total_seconds() or 1.0
    posts_out = len({r.post_id for r in rows if r.state == PublicationState.published})
    out_rows = sum(r.state == PublicationState.published for r in rows) or 1
    return {
        "posts": posts,
        "instances": instances,
        "published": sum(r.state == PublicationState.published for r in rows),
        "duplicates": duplicates,
        "lost": lost,
        "uncertain": sum(r.state == PublicationState.uncertain for r in rows),
        "in_flight_at_kill": in_flight,
        "waiting_at_kill": waiting,
        "p50_late_s": round(percentile(late, 0.5), 3),
        "p99_late_s": round(percentile(late, 0.99), 3),
        "floor_s": round(percentile(floor, 0.99), 3),
        "posts_per_s": round(posts_out / span, 3),
        # CPU per published publication (post × network): the desks' (independent of the
        # machine's load, unlike the rates), and the bench process's own (its emulators)
        "desk_cpu_ms_per_publication": round(1000 * desk_cpu / out_rows, 2),
        "bench_cpu_ms_per_publication": round(1000 * own_cpu / out_rows, 2),
        "bench_longest_full_collection_s": collector.longest(),
        # per network: p50 and p99 lateness and the floor's p99, for reading the figures
        # PostgreSQL's counts per publication published (stderr only), e.g. 2 updates each
        "db_per_publication": {k: round(v / out_rows, 2) for k, v in work.items()},
        "by_network": {
            n: [
                round(percentile(late_on[n], 0.5), 3),
                round(percentile(late_on[n], 0.99), 3),
                round(percentile(floor_lateness(by_network[n], LIMITS[n]), 0.99), 3),
            ]
            for n in networks
        },
    }


async def main(
    posts: int,
    instances: int,
    window: float,
    networks: tuple[str, ...],
    trace_to: Path | None = None,
    reference: bool = True,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        started_at = time.monotonic()
        result = await scenario(posts, instances, window, Path(tmp) / "many", networks, trace_to)
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
        single = {"posts_per_s": None, "desk_cpu_ms_per_publication": None}
        if reference:
            single = await scenario(posts, 1, window, Path(tmp) / "one", networks)
            print(json.dumps(single, ensure_ascii=False), file=sys.stderr, flush=True)
        print(f"took {time.monotonic() - started_at:.0f} s", file=sys.stderr)
    result.pop("by_network")  # on stderr above; the last line keeps the agreed keys
    result.pop("db_per_publication")
    result.pop("bench_longest_full_collection_s")
    return {
        **result,
        "single_instance_posts_per_s": single["posts_per_s"],
        "single_instance_desk_cpu_ms_per_publication": single["desk_cpu_ms_per_publication"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument(
        "--window", type=float, default=None, help="seconds the posts are due within"
    )
    parser.add_argument(
        "--networks",
        default=",".join(NETWORKS),
        help="comma-separated, of telegram,vk,max (vk or max alone allow thousands in minutes)",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="write each publication's lateness against the floor, its claims and VK's "
        "answers to this file (JSON lines, the worst first; bench/publish_trace.py)",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the single-instance run (single_instance_posts_per_s is then null)",
    )
    args = parser.parse_args()
    window = args.window if args.window is not None else max(args.posts / 10, 1.0)
    chosen = tuple(n for n in args.networks.split(",") if n)
    assert chosen and set(chosen) <= set(NETWORKS), f"--networks of {NETWORKS}"
    result = asyncio.run(
        main(args.posts, args.instances, window, chosen, args.trace, not args.no_reference)
    )
    print(json.dumps(result, ensure_ascii=False))
