"""The usage log's tables, their migrations, and the database engine both the store and the report use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from faq.usage.settings import DatabaseTarget

SCHEMA_VERSION = 1
_PG_MIGRATION_LOCK = 0x6661715F75736167  # pg_advisory_xact_lock key: "faq_usag"

# ---------------------------------------------------------------------------------------------- schema

metadata = MetaData()

schema_version = Table(
    "faq_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime, nullable=False),
)

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid alias must be INTEGER

answers = Table(
    "faq_answers",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),  # UTC, without time zone
    Column("answer_id", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("chat_type", String(16), nullable=False),
    Column("intent", String(64)),
    Column("confidence", Float, nullable=False),
    Column("days", Integer),
    Column("platform", String(32)),
    Column("fell_back", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("question", Text),  # redacted; only when it helps the FAQ
    Column("question_reason", String(16)),  # why it was kept: fallback | out_of_scope | low_confidence
    Index("ix_faq_answers_at", "at"),
    Index("ix_faq_answers_answer_id", "answer_id"),
)

feedback = Table(
    "faq_feedback",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("answer_id", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("value", String(16), nullable=False),  # faq.usage.Feedback
    Column("question", Text),  # redacted text of the answered message, for 👎 and 都不是
    Index("ix_faq_feedback_at", "at"),
    Index("ix_faq_feedback_answer_id", "answer_id"),
)


def _migration_1(conn: Connection) -> None:
    # Version 1 is the tables as first released. Later versions append a function that ALTERs them.
    for table in (answers, feedback):
        table.create(conn, checkfirst=True)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migration_1}


class SchemaTooNewError(RuntimeError):
    pass


def migrate(conn: Connection) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's transaction; return the version found.
    Two replicas starting at once are serialised by an advisory lock (PostgreSQL) or ``BEGIN IMMEDIATE``
    (SQLite, see :func:`_sqlite_begin`)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
    schema_version.create(conn, checkfirst=True)
    found = int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the usage log's schema is version {found}; this code knows {SCHEMA_VERSION}"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
        conn.execute(insert(schema_version).values(version=version, applied_at=_utc_naive(_now())))
    return found


# ------------------------------------------------------------------------------------------------ time


def _now() -> datetime:
    return datetime.now(UTC)


def _utc_naive(at: datetime) -> datetime:
    """Stored timestamps are UTC without a time zone (the same in SQLite and PostgreSQL)."""
    if at.tzinfo is None:
        return at
    return at.astimezone(UTC).replace(tzinfo=None)


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# ---------------------------------------------------------------------------------------------- engine


def open_engine(target: DatabaseTarget, *, writer: bool) -> AsyncEngine:
    if target.dialect == "sqlite":
        if target.sqlite_path is None:
            engine = create_async_engine(target.url, poolclass=StaticPool)
        else:
            engine = create_async_engine(target.url, connect_args={"timeout": 5.0})
        _configure_sqlite(engine, writer=writer)
        return engine
    connect_args = {"timeout": 5.0, "command_timeout": 30.0, **target.connect_args}
    return create_async_engine(
        target.url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=10.0,
        pool_recycle=1800,
    )


_Prepared = TypeVar("_Prepared")


async def prepare_writer(
    target: DatabaseTarget, engine: AsyncEngine | None, prepare: Callable[[Connection], _Prepared]
) -> tuple[AsyncEngine, _Prepared]:
    """The writer engine for ``target`` (``engine`` when already open), with a SQLite file's folder created
    and ``prepare`` (create tables, migrate) run in one ``BEGIN IMMEDIATE`` transaction."""
    if target.sqlite_path is not None:
        await asyncio.to_thread(target.sqlite_path.parent.mkdir, parents=True, exist_ok=True)
    if engine is None:
        engine = open_engine(target, writer=True)
    async with engine.connect() as conn:
        await conn.execution_options(faq_immediate=True)
        async with conn.begin():
            result = await conn.run_sync(prepare)
    return engine, result


def _configure_sqlite(engine: AsyncEngine, *, writer: bool) -> None:
    """WAL mode and a busy timeout, and transactions that SQLAlchemy begins itself (the recipe for
    pysqlite/aiosqlite): ``BEGIN IMMEDIATE`` when the ``faq_immediate`` execution option is set."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 5000")
            if writer:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get("faq_immediate") else "BEGIN"
        )
