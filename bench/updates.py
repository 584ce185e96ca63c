"""Update throughput: `uv run --frozen python -m bench.updates [--reporters N] [--rounds R]
[--repeat K]`.

N simulated reporters go through the whole /report dialog R times in a row (8 updates each, one
photo; R = 3 by default) against the Telegram emulator, while the desk runs as its own process
(`python -m bot run`) polling it over HTTP, as in production; the run ends when the editor has
every report's card. In the same run a bare aiogram echo bot answers the same number of updates
from the same number of users on a fresh emulator: the ratio of the two throughputs says what the
desk's own work costs on top of aiogram's dispatch. Each bot runs K times (5), taking turns, and
the medians are compared. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from emulators.telegram import TelegramEmulator
from storage.db import create_engine, migrate
from storage.models import Person

TOKEN = "7100000001:BENCH-token"
EDITOR_ID = 10
FIRST_USER = 1000
WARM_UP_USER = 999
PHOTO = b"\xff\xd8\xff\xe0" + b"bench-photo" * 200
Dialog = Callable[["Driver", int, int], Awaitable[None]]  # driver, user, rounds
Done = Callable[["Driver", int], Awaitable[None]] | None  # waits for that many dialogs' work
PY_SPY = ["py-spy", "record", "--gil", "-r", "200", "-f", "raw"]  # what holds the GIL is CPU
BASELINE_IMPORTS = "import aiogram, vkbottle, sqlmodel, apscheduler"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def desk_pid(proc: subprocess.Popen, profiled: bool) -> int:
    """The bot's own process: under py-spy, the profiler's child."""
    if not profiled:
        return proc.pid
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return int(children[0])


def baseline_rss_mb() -> float:
    peak = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    code = f"{BASELINE_IMPORTS}; {peak}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


class Driver:
    """Plays users: each action waits for the bot's next message in that user's chat.

    Bot messages are routed to the waiting user from the emulator's event stream, so the
    driver's own cost stays constant per update and does not blur the bot's figures."""

    def __init__(self, tg: TelegramEmulator, bot_id: int) -> None:
        self.tg = tg
        self.bot_id = bot_id
        self.latencies: list[float] = []
        self.by_step: dict[int, list[float]] = {}
        self._waiting: dict[int, tuple[asyncio.Future[dict], int | None]] = {}
        self.editor_cards = 0  # the editors' cards seen since this driver started
        self.card_arrived = asyncio.Event()
        self._events = tg.subscribe()
        self._router = asyncio.create_task(self._route())

    async def _route(self) -> None:
        while True:
            event = await self._events.get()
            message = event.get("message") or {}
            if message.get("from", {}).get("id") != self.bot_id:
                continue
            if event["chat_id"] == EDITOR_ID and event.get("type") == "message":
                if "Новое сообщение" in (message.get("text") or message.get("caption") or ""):
                    self.editor_cards += 1
                    self.card_arrived.set()
            waiting = self._waiting.get(event["chat_id"])
            if waiting is None:
                continue
            waiter, edit_of = waiting
            answered = (
                event.get("type") == "message"
                if edit_of is None
                else event.get("type") == "edit" and message.get("message_id") == edit_of
            )
            if answered and not waiter.done():
                del self._waiting[event["chat_id"]]
                waiter.set_result(message)

    async def step(
        self, user_id: int, action: Callable[[], object], index: int, edit_of: int | None = None
    ) -> dict:
        """Act, and wait for the bot's next message in the chat (or its edit of `edit_of`)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[user_id] = (waiter, edit_of)
        started = time.perf_counter()
        action()
        message = await asyncio.wait_for(waiter, 30)
        elapsed = time.perf_counter() - started
        self.latencies.append(elapsed)
        self.by_step.setdefault(index, []).append(elapsed)
        return message

    def press(self, user_id: int, message: dict, text: str) -> Callable[[], object]:
        return lambda: self.tg.press(user_id, user_id, message["message_id"], text)

    async def close(self) -> None:
        self._router.cancel()
        self.tg.unsubscribe(self._events)


async def reporter_dialog(driver: Driver, user_id: int, rounds: int) -> None:
    for _ in range(rounds):
        await report_once(driver, user_id)


async def report_once(driver: Driver, user_id: int) -> None:
    tg = driver.tg
    steps = iter(range(8))

    async def step(action: Callable[[], object], edit_of: int | None = None) -> dict:
        return await driver.step(user_id, action, next(steps), edit_of)

    await step(lambda: tg.user_sends_text(user_id, "/report"))
    await step(lambda: tg.user_sends_text(user_id, f"Субботник № {user_id}"))
    await step(lambda: tg.user_sends_text(user_id, "Вчера"))  # the button under the input field
    await step(lambda: tg.user_sends_text(user_id, "Парк Победы"))
    await step(lambda: tg.user_sends_text(user_id, "Жители убрали парк и посадили деревья."))
    status = await step(lambda: tg.user_sends_photos(user_id, [PHOTO]))
    summary = await step(driver.press(user_id, status, "Готово"))
    # The answer to «Отправить» is the summary turned into the receipt.
    done = await step(driver.press(user_id, summary, "Отправить"), summary["message_id"])
    assert "Сообщение №" in done["text"], done["text"]


async def echo_dialog(driver: Driver, user_id: int, rounds: int) -> None:
    for index in range(8 * rounds):
        text = f"эхо {index}"
        await driver.step(user_id, lambda t=text: driver.tg.user_sends_text(user_id, t), index % 8)


async def cards_for_editor(driver: Driver, count: int) -> None:
    """The desk's work for a report ends when the editor has its card. Counted from the event
    stream: reading the editor's whole chat at each change would load the emulator's process
    more the longer the run, and slow the desk's calls with it."""
    async with asyncio.timeout(60):
        while driver.editor_cards < count:
            driver.card_arrived.clear()
            await driver.card_arrived.wait()


async def warm_up(tg: TelegramEmulator, dialog: Dialog, done: Done = None) -> float:
    """One unmeasured dialog first, for either bot: the first update through each code path
    pays one-time costs (lazy imports, SQLAlchemy's statement cache, pydantic's first
    validation of each type) that a running bot has long paid. Returns its duration."""
    driver = Driver(tg, int(TOKEN.split(":")[0]))
    started = time.perf_counter()
    try:
        await dialog(driver, WARM_UP_USER, 1)
        if done is not None:
            await done(driver, 1)
    finally:
        await driver.close()
    return time.perf_counter() - started


async def run_phase(
    tg: TelegramEmulator, users: list[int], dialog: Dialog, rounds: int, done: Done = None
) -> tuple[Driver, float]:
    """Time the dialogs, and whatever the bot still does for them after its last answer
    (`done`, given how many dialogs ran so far): throughput counts all of the work."""
    driver = Driver(tg, int(TOKEN.split(":")[0]))
    # The emulator and driver live in this process: a full collection here would stall both
    # bots' figures alike by a fifth of a second, so it waits until the phase is over (the
    # phase collected just before it took its CPU readings).
    gc.disable()
    started = time.perf_counter()
    try:
        await asyncio.gather(*(dialog(driver, user, rounds) for user in users))
        if done is not None:
            answered = time.perf_counter()
            await done(driver, len(users) * rounds)
            tail_ms = (time.perf_counter() - answered) * 1000
            print(f"background work done {tail_ms:.0f} ms after the last answer")
    finally:
        elapsed = time.perf_counter() - started
        gc.enable()
        await driver.close()
    return driver, elapsed


async def start_emulator(users: list[int]) -> TelegramEmulator:
    tg = TelegramEmulator()
    # The emulator's self-check (its every answer parsed with aiogram's types, as the tests keep
    # it) took a third of each call here: Telegram does no such thing, and the bot that makes
    # more calls would pay for it.
    tg.validate_responses = False
    await tg.start()
    tg.add_bot(TOKEN, username="bench_bot")
    for user in [*users, WARM_UP_USER, EDITOR_ID]:
        tg.add_user(user, "Пользователь", str(user))
        tg.open_private_chat(user)
    return tg


async def wait_polling(tg: TelegramEmulator, proc: subprocess.Popen) -> None:
    def polling() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"bot process exited with {proc.returncode}")
        return any(method == "getUpdates" for method, _ in tg.calls)

    await tg.wait_until(polling, timeout=60)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def fresh_database(workdir: Path) -> str:
    """SQLite in the run's folder, as by default; or, when BENCH_PG_URL names a PostgreSQL
    server (postgresql+asyncpg://user@host/db), a new database on it for this run."""
    server = os.environ.get("BENCH_PG_URL")
    if not server:
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    from sqlalchemy import text

    name = f"pressdesk_bench_{workdir.name.rsplit('-', 1)[-1].lower()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


async def drop_database(db_url: str) -> None:
    server = os.environ.get("BENCH_PG_URL")
    if not server:
        return  # SQLite: the run's folder goes with it
    from sqlalchemy import text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{db_url.rsplit("/", 1)[1]}"'))
    await admin.dispose()


async def desk_phase(users: list[int], workdir: Path, rounds: int) -> tuple[Driver, float, float]:
    tg = await start_emulator(users)
    db_url = await fresh_database(workdir)
    engine = create_engine(db_url)
    await migrate(engine)
    from sqlmodel.ext.asyncio.session import AsyncSession

    now = datetime.now(UTC)
    async with AsyncSession(engine) as session:
        session.add(
            Person(full_name="Редактор", role="editor", telegram_id=EDITOR_ID, created_at=now)
        )
        for user in [*users, WARM_UP_USER]:
            session.add(
                Person(
                    full_name=f"Руководитель {user}",
                    role="reporter",
                    telegram_id=user,
                    created_at=now,
                )
            )
        await session.commit()
    await engine.dispose()
    config = workdir / "config.toml"
    config.write_text(
        f'[telegram]\napi_base_url = "{tg.base_url}"\n[vk]\nenabled = false\n'
        f'[database]\nurl = "{db_url}"\n[storage]\nmedia_dir = "{workdir / "media"}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PRESSDESK_TELEGRAM_TOKEN": TOKEN}
    env.pop("PRESSDESK_DATABASE_URL", None)
    profile = (
        ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
        if os.environ.get("BENCH_PROFILE")
        else []
    )
    spy = [*PY_SPY, "-o", os.environ["BENCH_PYSPY"], "--"] if os.environ.get("BENCH_PYSPY") else []
    proc = subprocess.Popen(  # noqa: ASYNC220 - Popen starts the process and returns at once
        [*spy, sys.executable, *profile, "-m", "bot", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "bot.log").open("w"),
    )
    try:
        await wait_polling(tg, proc)
        cold = await warm_up(tg, reporter_dialog, cards_for_editor)
        print(f"desk warm-up dialog (not measured): {cold * 1000:.1f} ms")
        gc.collect()
        bot = desk_pid(proc, profiled=bool(spy))
        bot_cpu, own_cpu = cpu_seconds(bot), time.process_time()
        driver, elapsed = await run_phase(tg, users, reporter_dialog, rounds, cards_for_editor)
        rss = peak_rss_mb(bot)
        calls = Counter(method for method, _ in tg.calls if method != "getUpdates")
        print(f"desk Bot API calls besides getUpdates: {dict(calls.most_common())}")
        print(
            f"desk phase CPU: bot {cpu_seconds(bot) - bot_cpu:.2f} s, "
            f"emulator and driver {time.process_time() - own_cpu:.2f} s, wall {elapsed:.2f} s"
        )
    finally:
        stop(proc)
        await tg.stop()
        await drop_database(db_url)
    return driver, elapsed, rss


async def echo_phase(users: list[int], rounds: int) -> tuple[Driver, float]:
    tg = await start_emulator(users)
    proc = subprocess.Popen(  # noqa: ASYNC220 - Popen starts the process and returns at once
        [sys.executable, "-m", "bench.echo_bot", tg.base_url, TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await wait_polling(tg, proc)
        cold = await warm_up(tg, echo_dialog)
        print(f"echo warm-up dialog (not measured): {cold * 1000:.1f} ms")
        gc.collect()
        bot_cpu, own_cpu = cpu_seconds(proc.pid), time.process_time()
        polls = sum(method == "getUpdates" for method, _ in tg.calls)
        driver, elapsed = await run_phase(tg, users, echo_dialog, rounds)
        polls = sum(method == "getUpdates" for method, _ in tg.calls) - polls
        print(f"echo getUpdates calls: {polls}")
        print(
            f"echo phase CPU: bot {cpu_seconds(proc.pid) - bot_cpu:.2f} s, "
            f"emulator and driver {time.process_time() - own_cpu:.2f} s, wall {elapsed:.2f} s"
        )
        return driver, elapsed
    finally:
        stop(proc)
        await tg.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(reporters: int, rounds: int, repeat: int) -> dict:
    """`repeat` runs of each bot, taking turns; throughputs are the runs' medians (one run
    swings by a fifth on this machine), latencies are pooled over the runs."""
    users = list(range(FIRST_USER, FIRST_USER + reporters))
    desk_rates, echo_rates, desk_latencies, echo_latencies, rss = [], [], [], [], 0.0
    by_step: dict[int, list[float]] = {}
    for _ in range(repeat):
        workdir = Path(tempfile.mkdtemp(prefix="pressdesk-bench-"))
        try:
            desk, desk_time, desk_rss = await desk_phase(users, workdir, rounds)
        except Exception:
            print(f"the desk phase failed; its log: {workdir / 'bot.log'}", file=sys.stderr)
            raise
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
        echo, echo_time = await echo_phase(users, rounds)
        desk_rates.append(len(desk.latencies) / desk_time)
        echo_rates.append(len(echo.latencies) / echo_time)
        desk_latencies += desk.latencies
        echo_latencies += echo.latencies
        for step, values in desk.by_step.items():
            by_step.setdefault(step, []).extend(values)
        rss = max(rss, desk_rss)
    desk_rate, echo_rate = statistics.median(desk_rates), statistics.median(echo_rates)
    result = {
        "updates": len(desk_latencies) // repeat,
        "updates_per_s": round(desk_rate, 1),
        "echo_updates_per_s": round(echo_rate, 1),
        "ratio": round(desk_rate / echo_rate, 3),
        "p99_ms": round(percentile(desk_latencies, 0.99) * 1000, 1),
        "rss_mb": round(rss, 1),
        "baseline_rss_mb": round(baseline_rss_mb(), 1),
    }
    print(
        f"desk: {result['updates']} updates per run from {reporters} reporters, "
        f"{rounds} reports each; updates/s by run {[round(r) for r in desk_rates]}; "
        f"p50 {percentile(desk_latencies, 0.5) * 1000:.1f} ms, p99 {result['p99_ms']} ms"
    )
    print(
        f"echo: updates/s by run {[round(r) for r in echo_rates]}; "
        f"p50 {percentile(echo_latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(echo_latencies, 0.99) * 1000:.1f} ms"
    )
    steps = dict(sorted(by_step.items()))
    print(
        "desk p99 by dialog step (ms):", [round(percentile(v, 0.99) * 1000) for v in steps.values()]
    )
    print(
        "desk p50 by dialog step (ms):",
        [round(percentile(v, 0.5) * 1000, 1) for v in steps.values()],
    )
    print(
        f"desk peak RSS {result['rss_mb']} MB; "
        f"baseline (imports only) {result['baseline_rss_mb']} MB"
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--reporters", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="reports per reporter")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each bot, taking turns")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.reporters, args.rounds, args.repeat))))
