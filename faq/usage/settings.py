"""The usage log's settings, read from the environment: where the log lives (``DATABASE_URL``, else a SQLite
file), the secret that keys user-id hashes, what is kept and for how long.

``postgres(ql)://`` URLs as Heroku, Render and Railway give them are rewritten here for SQLAlchemy's async
drivers (:func:`database_target`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import secrets
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

logger = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = Path("data") / "faqbot.sqlite3"
SECRET_FILE_NAME = "user_hash_secret"
DEFAULT_RETENTION_DAYS = 90
DEFAULT_LOW_CONFIDENCE = 0.5
#: Every store method gives up after this many seconds (writes, feedback, /stats).
DEFAULT_TIMEOUT = 2.0
_SECRET_CONTEXT = b"loan-faq-bot usage-log user hash v1"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class StoreSettingsError(ValueError):
    """The environment's usage-log settings cannot be used; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class StoreSettings:
    database_url: str = field(repr=False)  # may hold a password
    hash_secret: str = field(repr=False)
    log_questions: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS  # 0 keeps rows forever
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    enabled: bool = True
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> StoreSettings:
        """Read ``USAGE_LOG``, ``DATABASE_URL``, ``USER_HASH_SECRET`` (or ``TELEGRAM_BOT_TOKEN``),
        ``LOG_QUESTIONS``, ``LOG_RETENTION_DAYS`` and ``LOW_CONFIDENCE``; raise :class:`StoreSettingsError`
        listing every bad value. In console mode (no secret, no token) the hash secret is generated once and
        kept in the data directory next to the SQLite file."""
        env = os.environ if environ is None else environ
        base = cwd or Path.cwd()
        problems: list[str] = []

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() or None if value is not None else None

        enabled = _parse_bool(get("USAGE_LOG"), True, "USAGE_LOG", problems)
        log_questions = _parse_bool(get("LOG_QUESTIONS"), True, "LOG_QUESTIONS", problems)
        retention = _parse_number(
            get("LOG_RETENTION_DAYS"), DEFAULT_RETENTION_DAYS, "LOG_RETENTION_DAYS", problems
        )
        if retention < 0 or retention != int(retention):
            problems.append(f"LOG_RETENTION_DAYS must be a whole number of days >= 0 (got {retention})")
        low = _parse_number(get("LOW_CONFIDENCE"), DEFAULT_LOW_CONFIDENCE, "LOW_CONFIDENCE", problems)
        if not 0.0 <= low <= 1.0:
            problems.append(f"LOW_CONFIDENCE must be between 0 and 1 (got {low})")
        database_url = default_database_url(env, base)
        try:
            target = database_target(database_url, base)
        except StoreSettingsError as exc:
            problems += exc.problems
            target = None
        if problems:
            raise StoreSettingsError(problems)
        if target is not None and target.sqlite_path is not None:
            database_url = f"sqlite:///{target.sqlite_path}"  # absolute: independent of a later chdir
        secret = ""
        if enabled and target is not None:
            data_dir = (
                target.sqlite_path.parent if target.sqlite_path else (base / DEFAULT_SQLITE_PATH).parent
            )
            secret = resolve_hash_secret(env, data_dir)
        return cls(
            database_url=database_url,
            hash_secret=secret,
            log_questions=log_questions,
            retention_days=int(retention),
            low_confidence=low,
            enabled=enabled,
        )


def default_database_url(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """``DATABASE_URL``, else the SQLite file ``data/faqbot.sqlite3`` under ``cwd`` (the current directory)."""
    env = os.environ if environ is None else environ
    explicit = (env.get("DATABASE_URL") or "").strip()
    if explicit:
        return explicit
    return f"sqlite:///{((cwd or Path.cwd()) / DEFAULT_SQLITE_PATH).resolve()}"


def _parse_bool(value: str | None, default: bool, name: str, problems: list[str]) -> bool:
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    problems.append(f"{name} must be 1 or 0 (also true/false, yes/no, on/off); got {value!r}")
    return default


def _parse_number(value: str | None, default: float, name: str, problems: list[str]) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        problems.append(f"{name} must be a number (got {value!r})")
        return default
    if not math.isfinite(number):
        problems.append(f"{name} must be a finite number (got {value!r})")
        return default
    return number


def resolve_hash_secret(environ: Mapping[str, str], data_dir: Path) -> str:
    """``USER_HASH_SECRET``; else an HMAC of a fixed label keyed with ``TELEGRAM_BOT_TOKEN`` (every replica
    derives the same one); else a random secret generated once and kept in ``data_dir`` (console mode)."""
    explicit = (environ.get("USER_HASH_SECRET") or "").strip()
    if explicit:
        return explicit
    token = (environ.get("TELEGRAM_BOT_TOKEN") or "").strip()
    if token:
        return hmac.new(token.encode(), _SECRET_CONTEXT, hashlib.sha256).hexdigest()
    return _local_secret(data_dir / SECRET_FILE_NAME)


def _local_secret(path: Path) -> str:
    try:
        existing = path.read_text(encoding="ascii").strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("usage log: cannot read %s (%s); using a temporary user-hash secret", path, exc)
        return secrets.token_hex(32)
    secret = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text(encoding="ascii").strip() or secret
    except OSError as exc:
        logger.warning(
            "usage log: cannot keep the user-hash secret in %s (%s); hashes will change at the next start",
            path,
            type(exc).__name__,
        )
        return secret
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret


def user_hash(secret: str, user_id: int | str) -> str:
    """The keyed hash that stands for a user id in the log (HMAC-SHA256, hex)."""
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------- database address


@dataclass(frozen=True)
class DatabaseTarget:
    """A database URL rewritten for SQLAlchemy's async drivers."""

    url: URL = field(repr=False)
    connect_args: dict[str, Any] = field(default_factory=dict, repr=False)
    sqlite_path: Path | None = None  # None for PostgreSQL and for ":memory:"

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.drivername.startswith("sqlite") else "postgresql"

    def describe(self) -> str:
        """The address without its password (for messages)."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.sqlite_path}" if self.sqlite_path else "sqlite (in memory)"
        return str(self.url.set(drivername="postgresql").render_as_string(hide_password=True))


_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def database_target(database_url: str, cwd: Path | None = None) -> DatabaseTarget:
    """``sqlite:///PATH`` (relative to ``cwd``) or ``postgres(ql)://...`` as Heroku, Render and Railway give
    it -> the async driver's URL and connect arguments. libpq's ``sslmode`` (which asyncpg does not accept
    in the URL) becomes asyncpg's ``ssl`` argument; ``sslrootcert`` a verifying SSL context;
    ``connect_timeout`` asyncpg's ``timeout``; ``application_name`` a server setting."""
    raw = database_url.strip()
    try:
        url = make_url(raw)
    except ArgumentError:
        raise StoreSettingsError(
            [
                "DATABASE_URL is not a database URL (expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB)"
            ]
        ) from None
    backend = url.drivername.split("+", 1)[0]
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            return DatabaseTarget(url.set(drivername="sqlite+aiosqlite", database=":memory:"), {}, None)
        path = Path(database).expanduser()
        if not path.is_absolute():
            path = (cwd or Path.cwd()) / path
        return DatabaseTarget(url.set(drivername="sqlite+aiosqlite", database=str(path)), {}, path)
    if backend not in ("postgres", "postgresql"):
        raise StoreSettingsError(
            [f"DATABASE_URL: unsupported database {backend!r} (use sqlite:///PATH or postgresql://...)"]
        )
    query = dict(url.query)
    connect_args: dict[str, Any] = {}
    sslmode = _query_value(query.pop("sslmode", None))
    rootcert = _query_value(query.pop("sslrootcert", None))
    if sslmode is not None:
        if sslmode not in _SSLMODES:
            raise StoreSettingsError([f"DATABASE_URL: unknown sslmode {sslmode!r}"])
        connect_args["ssl"] = sslmode
    if rootcert and sslmode in ("verify-ca", "verify-full"):
        context = ssl.create_default_context(cafile=rootcert)
        context.check_hostname = sslmode == "verify-full"
        connect_args["ssl"] = context
    timeout = _query_value(query.pop("connect_timeout", None))
    if timeout is not None:
        try:
            connect_args["timeout"] = float(timeout)
        except ValueError:
            raise StoreSettingsError(
                [f"DATABASE_URL: connect_timeout must be a number (got {timeout!r})"]
            ) from None
    application = _query_value(query.pop("application_name", None))
    if application:
        connect_args["server_settings"] = {"application_name": application}
    for libpq_only in (
        "sslcert",
        "sslkey",
        "sslcrl",
        "channel_binding",
        "target_session_attrs",
        "gssencmode",
    ):
        query.pop(libpq_only, None)
    return DatabaseTarget(url.set(drivername="postgresql+asyncpg", query=query), connect_args, None)


def _query_value(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value[-1] if value else None
