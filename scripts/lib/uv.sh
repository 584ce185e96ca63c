# Sourced by scripts/run and scripts/test: sets UV to a uv that really runs.
# A uv on PATH is used when it answers; `command -v` alone is not enough, because a pyenv shim
# exists for every version's executables and fails with «pyenv: uv: command not found» when
# the active Python has no uv. Otherwise uv is installed once into the project's own .tools/uv
# (pip --target: never into the system or pyenv interpreter) and called by that path.
UV_VERSION="0.13.9"
UV_HOME=".tools/uv"
if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
    UV="uv"
elif [ -x "$UV_HOME/bin/uv" ] && "$UV_HOME/bin/uv" --version >/dev/null 2>&1; then
    UV="$UV_HOME/bin/uv"
else
    echo "uv не найден: ставлю uv $UV_VERSION в $UV_HOME (только для этого проекта)." >&2
    python3 -m pip install --quiet --disable-pip-version-check --target "$UV_HOME" "uv==$UV_VERSION"
    UV="$UV_HOME/bin/uv"
fi
