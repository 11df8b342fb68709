#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite.
#
#   bash scripts/test.sh               system deps + Python deps + ruff + mypy + import contracts + both pytest passes
#   bash scripts/test.sh --deps-only   only install the missing system packages (apt), then exit
#
# Idempotent: a machine that already has everything skips apt and pip entirely.
# Environment knobs:
#   REDBRIDGE_TEST_WORKERS=N    pytest-xdist workers (only used when pytest-xdist is installed;
#                               default min(nproc, 4); 0 disables xdist)
#   REDBRIDGE_PIP_INSTALL=always  re-run `pip install -e .[test]` even if it looks up to date
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

DEPS_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --deps-only) DEPS_ONLY=1 ;;
        -h | --help)
            sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "scripts/test.sh: unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

SECONDS=0
step() { printf '\n==> [%4ss] %s\n' "$SECONDS" "$*"; }

# ----------------------------------------------------------------------------- system packages

pg_server_installed() {
    # Debian layout: /usr/lib/postgresql/<version>/bin/{initdb,pg_ctl,postgres}
    local bindir
    for bindir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$bindir/initdb" && -x "$bindir/pg_ctl" && -x "$bindir/postgres" ]]; then
            return 0
        fi
    done
    return 1
}

dpkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing_system_packages() {
    local missing=()
    pg_server_installed || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    dpkg_installed fonts-noto-cjk || missing+=(fonts-noto-cjk)
    # Screenshots (scripts/screenshots.py) show the demo's emoji, not empty boxes.
    dpkg_installed fonts-noto-color-emoji || missing+=(fonts-noto-color-emoji)
    echo "${missing[@]}"
}

apt_install() {
    # Called as `apt_install ... || rc=$?`, where errexit is off: chain the steps with &&.
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 update -qq &&
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 \
            install -y -qq --no-install-recommends "$@"
}

install_system_packages() {
    local missing=()
    read -r -a missing <<<"$(missing_system_packages)"
    if ((${#missing[@]} == 0)); then
        echo "system packages: all present (postgresql, redis-server, ffmpeg, chromium, fonts-noto-cjk, fonts-noto-color-emoji)"
        return 0
    fi
    echo "system packages missing: ${missing[*]}"
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo -n)
        else
            echo "error: need root (or sudo) to apt-get install: ${missing[*]}" >&2
            return 1
        fi
    fi
    # Keep package post-install scripts from starting system-wide PostgreSQL/Redis services:
    # the tests start their own servers on free loopback ports.
    local policy=/usr/sbin/policy-rc.d added_policy=0 rc=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
        "${SUDO[@]}" chmod 755 "$policy"
        added_policy=1
    fi
    apt_install "${missing[@]}" || rc=$?
    if [[ "$added_policy" == 1 ]]; then
        "${SUDO[@]}" rm -f "$policy"
    fi
    if [[ "$rc" != 0 ]]; then
        echo "error: apt-get failed (exit $rc)" >&2
        return "$rc"
    fi
    read -r -a missing <<<"$(missing_system_packages)"
    if ((${#missing[@]} != 0)); then
        echo "error: still missing after apt-get install: ${missing[*]}" >&2
        return 1
    fi
    echo "system packages: installed"
}

step "system packages"
install_system_packages
if [[ "$DEPS_ONLY" == 1 ]]; then
    exit 0
fi

# ----------------------------------------------------------------------------- Python packages

# Exit 0 when this checkout is already installed (editable) into this interpreter with the
# current pyproject.toml and every `test` requirement is present; 1 otherwise.
python_deps_current() {
    python - "$ROOT" "$STAMP" <<'PY'
import hashlib
import json
import pathlib
import sys
import tomllib
import urllib.parse
from importlib import metadata

root, stamp = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
pyproject = (root / "pyproject.toml").read_bytes()
name = tomllib.loads(pyproject.decode())["project"]["name"]
try:
    dist = metadata.distribution(name)
    direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
except (metadata.PackageNotFoundError, ValueError):
    sys.exit(1)
if not direct_url.get("dir_info", {}).get("editable"):
    sys.exit(1)
if urllib.parse.unquote(direct_url.get("url", "")).removeprefix("file://") != str(root):
    sys.exit(1)
if not stamp.is_file() or stamp.read_text().strip() != hashlib.sha256(pyproject).hexdigest():
    sys.exit(1)
try:
    from pip._vendor.packaging.requirements import Requirement
except ImportError:
    sys.exit(1)
for spec in dist.requires or []:
    req = Requirement(spec)
    if req.marker is not None and not req.marker.evaluate({"extra": "test"}):
        continue
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        sys.exit(1)
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        sys.exit(1)
PY
}

STAMP_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/redbridge"
STAMP="$STAMP_DIR/pip-$(python -c 'import hashlib, sys; print(hashlib.sha256((sys.prefix + "|" + sys.argv[1]).encode()).hexdigest()[:16])' "$ROOT")"

step "python packages (pip install -e .[test])"
if [[ "${REDBRIDGE_PIP_INSTALL:-}" != always ]] && python_deps_current; then
    echo "python packages: up to date"
else
    python -m pip install -q --disable-pip-version-check -e '.[test]'
    mkdir -p "$STAMP_DIR"
    python -c 'import hashlib, sys; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())' >"$STAMP"
fi

# ----------------------------------------------------------------------------- lint + types

step "ruff check ."
python -m ruff check .

step "mypy"
python -m mypy

step "architecture contracts (import-linter, [tool.importlinter] in pyproject.toml)"
lint-imports

# ----------------------------------------------------------------------------- test suite

XDIST_ARGS=()
if python -c 'import xdist' >/dev/null 2>&1; then
    workers="${REDBRIDGE_TEST_WORKERS:-}"
    if [[ -z "$workers" ]]; then
        workers="$(nproc 2>/dev/null || echo 1)"
        if ((workers > 4)); then
            workers=4
        fi
    fi
    if ((workers > 1)); then
        XDIST_ARGS=(-n "$workers")
    fi
fi

run_pytest() {
    local label="$1"
    shift
    local rc=0
    "$@" || rc=$?
    case "$rc" in
        0) echo "pytest ($label): passed" ;;
        5)
            echo "error: pytest ($label) collected no tests (exit 5)" >&2
            return 5
            ;;
        *)
            echo "error: pytest ($label) failed (exit $rc)" >&2
            return "$rc"
            ;;
    esac
}

step "pytest, embedded backends (SQLite)"
run_pytest "sqlite" env -u REDBRIDGE_TEST_BACKEND \
    python -m pytest -q -p no:cacheprovider "${XDIST_ARGS[@]}"

step "pytest, cluster backends (PostgreSQL + Redis)"
run_pytest "postgres" env REDBRIDGE_TEST_BACKEND=postgres \
    python -m pytest -q -p no:cacheprovider -m "not sqlite_only" "${XDIST_ARGS[@]}" tests/

step "all checks passed"
