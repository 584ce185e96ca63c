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
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import (
    baseline_rss_mb,
    cpu_seconds,
    desk_pid,
    drop_database,
    fresh_database,
    peak_rss_mb,
    percentile,
    stop,
    wait_polling,
)
from bench.updates_users import (
    EDITOR_ID,
    FIRST_USER,
    TOKEN,
    WARM_UP_USER,
    Driver,
    cards_for_editor,
    echo_dialog,
    reporter_dialog,
    run_phase,
    start_emulator,
    warm_up,
)
from storage.db import create_engine, migrate
from storage.models import Person

PY_SPY = ["py-spy", "record", "--gil", "-r", "200", "-f", "raw"]  # what holds the GIL is CPU


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
        f'[database]\nurl = "{db_url}"\n[storage]\nmedia_dir = "{workdir / "media"}"\n'
        # Telegram's flood pacing off: the users here answer at machine speed (no person does)
        # and the echo reference has none; this bench measures handling, the pace has its tests.
        "[delivery]\ntelegram_per_second = 100000\n"
        "telegram_private_chat = [100000, 1.0]\ntelegram_group_chat = [100000, 1.0]\n",
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
