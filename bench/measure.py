"""What bench/updates.py reads about the processes it runs: CPU time, peak memory, the bot's own
process under a profiler, the imports-only baseline; how it waits for a bot to poll and stops
it; its database (SQLite, or a fresh PostgreSQL one); percentiles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from emulators.telegram import TelegramEmulator
from storage.db import create_engine

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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
