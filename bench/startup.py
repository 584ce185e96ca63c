"""Sandbox start-up benchmark: how long `pressdesk sandbox` takes to answer its page and to have
the demo world (the bot, the emulators, the demo people and posts) ready, over several starts.

The reference, measured in the same run: a Python process that only imports the desk's modules
(`import bot.app, sandbox.stage`), i.e. what any start pays before doing anything. The LAST line
printed is one JSON object: {"runs", "page_s", "ready_s", "imports_s", "ready_vs_imports"}
(medians in seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait(url: str, proc: subprocess.Popen[bytes], deadline: float) -> float:
    started = time.monotonic()
    while not _ok(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer (exit {proc.poll()})")
        time.sleep(0.05)  # polling a port: the answer is the condition
    return time.monotonic() - started


def one_start() -> tuple[float, float]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = Path(sys.executable).parent / "pressdesk"
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(command), "sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _wait(f"{base}/", proc, started + 180)
        page = time.monotonic() - started
        _wait(f"{base}/api/setup", proc, started + 300)
        ready = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return page, ready


def imports() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import bot.app, sandbox.stage"], cwd=ROOT, check=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pages, readies, refs = [], [], []
    for n in range(args.runs):
        page, ready = one_start()
        ref = imports()
        pages.append(page)
        readies.append(ready)
        refs.append(ref)
        print(f"start {n + 1}: page {page:.2f} s, demo world {ready:.2f} s; imports {ref:.2f} s")
    result = {
        "runs": args.runs,
        "page_s": round(statistics.median(pages), 2),
        "ready_s": round(statistics.median(readies), 2),
        "imports_s": round(statistics.median(refs), 2),
    }
    result["ready_vs_imports"] = round(result["ready_s"] / result["imports_s"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
