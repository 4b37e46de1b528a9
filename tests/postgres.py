"""A throw-away PostgreSQL server for the tests: initdb + pg_ctl in a temporary directory, on 127.0.0.1.

:func:`find_binaries` looks for ``initdb`` and ``pg_ctl`` in ``$PG_BIN``, on ``PATH``, in
``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu's ``postgresql`` package, newest version first),
``/usr/pgsql-*/bin`` (RHEL), ``/usr/local/pgsql/bin`` and Homebrew's ``opt`` directories.

PostgreSQL refuses to run as root. As root, :class:`PostgresServer` runs ``initdb`` and ``pg_ctl`` as an
unprivileged user (``$PG_TEST_USER``, else ``postgres``, else ``nobody``) through ``runuser -u`` (or ``su``),
and chowns the temporary directory to it. The server listens on 127.0.0.1 and a free port only, keeps its
unix socket in the temporary directory, trusts local connections (superuser ``postgres``) and runs with
fsync off: it is for tests only. :meth:`PostgresServer.stop` shuts it down and removes everything.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60  # seconds for pg_ctl -w


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server would not start (the message says why)."""


@dataclass(frozen=True)
class Binaries:
    initdb: Path
    pg_ctl: Path

    @property
    def version(self) -> str:
        out = subprocess.run([str(self.initdb), "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip()


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    if os.environ.get("PG_BIN"):
        dirs.append(Path(os.environ["PG_BIN"]))
    dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql*/bin",
                    "/usr/local/opt/postgresql*/bin"):
        dirs += [Path(p) for p in sorted(glob.glob(pattern), key=_version_key, reverse=True)]
    dirs += [Path("/usr/local/pgsql/bin"), Path("/usr/local/bin")]
    return list(dict.fromkeys(dirs))


def find_binaries() -> Binaries | None:
    """The first directory holding both ``initdb`` and ``pg_ctl`` (symlinks are followed: Debian's
    ``/usr/local/bin/initdb`` may point into ``/usr/lib/postgresql/15/bin``)."""
    for directory in candidate_dirs():
        initdb, pg_ctl = directory / "initdb", directory / "pg_ctl"
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return Binaries(initdb.resolve(), pg_ctl.resolve())
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unprivileged_user() -> str:
    for name in (os.environ.get("PG_TEST_USER"), "postgres", "nobody"):
        if not name:
            continue
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in a temporary directory; :meth:`start` it, :meth:`stop` it."""

    binaries: Binaries
    port: int = 0
    root: Path | None = None
    user: str | None = None  # the OS user the server runs as when we are root
    log: list[str] = field(default_factory=list)
    _options: str = ""

    @property
    def url(self) -> str:
        """A libpq-style URL, as a PaaS would give it (``postgresql://``)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _command(self, args: list[str]) -> list[str]:
        if self.user is None:
            return args
        runuser = shutil.which("runuser") or ("/usr/sbin/runuser" if Path("/usr/sbin/runuser").exists() else None)
        if runuser:
            return [runuser, "-u", self.user, "--", *args]
        su = shutil.which("su")
        if su is None:
            raise PostgresUnavailable("running as root without runuser or su to drop privileges")
        return [su, "-s", "/bin/sh", self.user, "-c", " ".join(_quote(a) for a in args)]

    def _run(self, args: list[str], timeout: float = START_TIMEOUT + 30) -> None:
        assert self.root is not None
        result = subprocess.run(
            self._command(args),
            cwd=self.root,  # the server user may not be able to enter the current directory
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        )
        self.log.append(f"$ {' '.join(args)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed ({result.returncode}):\n{self.describe_failure()}")

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            self.user = _unprivileged_user()
        # Not under pytest's tmp_path: its parents are private to root, and the server user must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="faq-pg-", dir=_shared_tmp()))
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        data = self.root / "data"
        self._run(
            [str(self.binaries.initdb), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-locale", "--no-sync"]
        )
        last_error: PostgresUnavailable | None = None
        for _attempt in range(3):  # the free port may be taken between choosing and binding it
            self.port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {self.port}",
                    f"-c unix_socket_directories={self.root}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=100",
                    "-c dynamic_shared_memory_type=mmap",  # containers often have a tiny /dev/shm
                ]
            )
            try:
                self._options = options
                self._run(
                    [str(self.binaries.pg_ctl), "-D", str(data), "-l", str(self.root / "server.log"),
                     "-o", options, "-w", "-t", str(START_TIMEOUT), "start"]
                )
                return self
            except PostgresUnavailable as exc:
                last_error = exc
        self.stop()
        assert last_error is not None
        raise last_error

    def halt(self) -> None:
        """Stop the server but keep its data (an outage); :meth:`resume` starts it again on the same port."""
        assert self.root is not None
        self._run([str(self.binaries.pg_ctl), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"])

    def resume(self) -> None:
        assert self.root is not None
        self._run(
            [str(self.binaries.pg_ctl), "-D", str(self.root / "data"), "-l", str(self.root / "server.log"),
             "-o", self._options, "-w", "-t", str(START_TIMEOUT), "start"]
        )

    def stop(self) -> None:
        if self.root is None:
            return
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                self._run([str(self.binaries.pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"], timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def describe_failure(self) -> str:
        text = "\n".join(self.log[-3:])
        if self.root is not None and (self.root / "server.log").exists():
            with contextlib.suppress(OSError):
                text += "\n--- server.log ---\n" + (self.root / "server.log").read_text(errors="replace")[-3000:]
        return text


def _shared_tmp() -> str:
    """A temporary directory every user can enter (``$TMPDIR`` may be private)."""
    candidate = tempfile.gettempdir()
    mode = os.stat(candidate).st_mode
    return candidate if mode & 0o001 else "/tmp"


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def start_postgres() -> PostgresServer:
    """Find the binaries and start a server; :class:`PostgresUnavailable` says why it could not."""
    binaries = find_binaries()
    if binaries is None:
        raise PostgresUnavailable(
            "PostgreSQL's initdb and pg_ctl were not found (looked in $PG_BIN, PATH, /usr/lib/postgresql/*/bin, "
            "/usr/pgsql-*/bin, /usr/local/pgsql/bin); install the 'postgresql' package"
        )
    return PostgresServer(binaries).start()
