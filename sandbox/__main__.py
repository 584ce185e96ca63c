"""`pressdesk sandbox`: the web page at once, then the emulators, the real bot and demo people.

One process, one event loop. The bot is the production Application; only its API base URLs point
at the local emulators. The page answers before the bot's heavy modules are imported, and shows
«Запускаю…» until the demo world is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bot.config import Config
from sandbox.web import SandboxWeb

NOISY_LOGGERS = ("alembic", "aiogram", "aiohttp.access", "vkbottle", "apscheduler")


async def serve(config: Config, data_dir: Path, port: int) -> None:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    page = SandboxWeb()
    world = None
    try:
        url = await page.start(config.sandbox.host, port)
        print(f"Песочница pressdesk: откройте {url}", flush=True)
        # Imported in a thread so the page keeps answering meanwhile.
        module = await asyncio.to_thread(importlib.import_module, "sandbox.world")
        if not stop.is_set():
            world = module.Sandbox(config, data_dir, page)
            await world.start()
            took = time.monotonic() - started
            print(f"Бот и эмуляторы запущены за {took:.1f} с. Остановить: Ctrl-C.", flush=True)
            await stop.wait()
    finally:
        print("Останавливаю песочницу…", flush=True)
        await page.stop()
        if world is not None:
            await world.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def run_sandbox(config: Config, data_dir: Path | None = None, port: int | None = None) -> int:
    """Runs until Ctrl-C; the demo database is temporary unless `data_dir` is given."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    temporary = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="pressdesk-sandbox-")) if temporary else data_dir
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve(config, folder, config.sandbox.port if port is None else port))
    except KeyboardInterrupt:
        pass  # a second Ctrl-C during shutdown
    except OSError as exc:
        print(f"Не удалось запустить песочницу: {exc}", file=sys.stderr)
        return 1
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main(["sandbox", *sys.argv[1:]]))
