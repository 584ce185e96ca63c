"""The README's commands work when typed as written: `pressdesk` lives in the project's .venv,
not on PATH, so every command line that calls it says `uv run pressdesk …`."""

from __future__ import annotations

import re
from pathlib import Path

from bot import cli

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"(?<![\w./-])pressdesk (run|sandbox|classify|moderation|doctor|\w+)\b")


def bare_calls(text: str) -> list[str]:
    """`pressdesk <command>` in code (spans and blocks) without `uv run ` before it."""
    code = re.findall(r"```.*?```|`[^`\n]+`", text, flags=re.S)
    return [
        snippet
        for snippet in code
        for match in CALL.finditer(snippet)
        if not snippet[: match.start()].endswith("uv run ")
    ]


def test_readme_commands_are_run_through_uv() -> None:
    assert bare_calls((ROOT / "README.md").read_text()) == []


def test_the_bot_points_to_the_sandbox_the_same_way() -> None:
    assert cli.HOW_TO_GET_TOKENS.rstrip().endswith("uv run pressdesk sandbox")
