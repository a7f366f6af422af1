# Sourced by scripts/main and scripts/test: create or refresh .venv with exactly the versions in
# constraints.txt (the set the tests last passed with; regenerate it as docs/development.md says).
# Re-installs only when pyproject.toml or constraints.txt changed since the last install, so repeat runs are
# quick. RECONCILER_LATEST_DEPS=1 builds .venv-latest instead, with the newest release of every dependency
# and no constraints: scripts/test-latest uses it to find out early what the next lock will break.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${RECONCILER_LATEST_DEPS:-0}" = 1 ]; then
    venv="$root/.venv-latest"
    pin=()
    want="latest-$(date +%F)"  # re-resolve at most once a day
else
    venv="$root/.venv"
    pin=(--constraint "$root/constraints.txt")
    want="$(cat "$root/pyproject.toml" "$root/constraints.txt" | sha256sum | cut -d' ' -f1)"
fi
stamp="$venv/.installed-from"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet --upgrade "${pin[@]}" -e "$root[test]"
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
