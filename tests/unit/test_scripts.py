"""The README's ./scripts/test and ./scripts/run on a first run where python3 is a pyenv shim and
uv is missing: uv is installed into the project, called by its path, and the command works.

The machine is faked with small shell scripts on PATH (python3 behaving as pyenv's shim does
after `pip install uv`; uv recording what it was asked), so nothing is downloaded."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# `python3 -m pip install ...`: with --target DIR, a working uv lands in DIR/bin; without it,
# uv goes into the pyenv version and PATH only gets pyenv's shim, which cannot find it.
PYTHON3 = """#!/bin/sh
echo "python3 $*" >> "$FAKE_LOG"
target=""
while [ $# -gt 0 ]; do
    [ "$1" = "--target" ] && target="$2"
    shift
done
if [ -n "$target" ]; then
    mkdir -p "$target/bin"
    cp "$FAKE_UV" "$target/bin/uv"
else
    printf '#!/bin/sh\\necho "pyenv: uv: command not found" >&2\\nexit 127\\n' > "$FAKE_BIN/uv"
    chmod +x "$FAKE_BIN/uv"
fi
"""
UV = """#!/bin/sh
echo "uv $*" >> "$FAKE_LOG"
"""


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.mark.parametrize("script", ["test", "run"])
def test_first_run_with_a_pyenv_shim_installs_uv_into_the_project(
    tmp_path: Path, script: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "scripts", project / "scripts")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for tool in ("bash", "sh", "env", "dirname", "mkdir", "cp", "chmod"):
        (fake_bin / tool).symlink_to(shutil.which(tool))  # PATH holds these and nothing else
    executable(fake_bin / "python3", PYTHON3)
    fake_uv = executable(tmp_path / "uv-binary", UV)
    log = tmp_path / "log"
    env = {
        "PATH": str(fake_bin),
        "HOME": str(tmp_path),
        "FAKE_LOG": str(log),
        "FAKE_UV": str(fake_uv),
        "FAKE_BIN": str(fake_bin),
    }
    done = subprocess.run(
        [str(project / "scripts" / script), "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = log.read_text().splitlines()
    assert done.returncode == 0, (done.stdout, done.stderr, calls)
    [pip] = [c for c in calls if c.startswith("python3")]
    assert "--target .tools/uv" in pip and "uv==" in pip  # into the project, not the interpreter
    assert (project / ".tools" / "uv" / "bin" / "uv").exists()
    assert "uv sync --frozen --compile-bytecode" in calls
    assert any(c.startswith("uv run --frozen") for c in calls)
    assert "uv не найден" in done.stderr  # it says what it installs, and where

    # The second run finds the project's uv and installs nothing.
    log.write_text("")
    again = subprocess.run(
        [str(project / "scripts" / script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and not any(
        c.startswith("python3") for c in log.read_text().splitlines()
    )
