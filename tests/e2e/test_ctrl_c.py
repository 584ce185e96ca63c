"""`pressdesk run` stopped with Ctrl-C (SIGINT) ends cleanly: exit 0, no ERROR line, no
traceback, whatever request was in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox.stage import BOT_TOKEN, CHANNEL_ID, VK_GROUP_ID, Stage

ROOT = Path(__file__).resolve().parents[2]


async def test_ctrl_c_stops_the_bot_without_an_error(tmp_path: Path) -> None:
    stage = Stage(tmp_path)
    await stage.start_emulators()
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[desk]
admins = [1001]
[telegram]
api_base_url = "{stage.tg.base_url}"
channel_id = {CHANNEL_ID}
request_timeout = 5.0
[vk]
api_base_url = "{stage.vk.base_url}/method/"
group_id = {VK_GROUP_ID}
[database]
url = "{stage.config().database.url}"
[storage]
media_dir = "{tmp_path / "media"}"
[web]
enabled = false
""",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PRESSDESK_TELEGRAM_TOKEN": BOT_TOKEN,
        "PRESSDESK_VK_USER_TOKEN": stage.vk_user_token,
        "PRESSDESK_VK_GROUP_TOKEN": stage.vk_group_token,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PRESSDESK_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "pressdesk"),
        "run",
        "--config",
        str(config),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # the bot is up and its long poll is waiting in getUpdates (and VK's in a_check)
        await stage.tg.wait_until(
            lambda: sum(m == "getUpdates" for m, _ in stage.tg.calls) >= 1, timeout=60
        )
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await stage.stop()
    text = err.decode() + out.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text, text
    assert " ERROR " not in text, text
