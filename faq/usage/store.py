"""The usage log: what users asked and how it went, in SQLite (default) or PostgreSQL (``DATABASE_URL``).

One code path for both: SQLAlchemy 2 Core with async drivers (aiosqlite, asyncpg). The front ends call
:func:`open_store` with :meth:`faq.usage.settings.StoreSettings.from_env` and then the
:class:`faq.usage.UsageStore` methods.

Privacy, by construction:

* user ids are kept only as a keyed hash (HMAC-SHA256, :func:`user_hash`) with a secret from
  ``USER_HASH_SECRET``, else derived from ``TELEGRAM_BOT_TOKEN``, else (console mode) generated once and
  kept next to the SQLite file;
* a message's text is kept only when it helps the FAQ (fallbacks, refusals as out of scope, low confidence,
  "都不是" and 👎; see
  :func:`keep_reason`), always redacted (:mod:`faq.usage.redact`), and never with ``LOG_QUESTIONS=0``;
* rows older than ``LOG_RETENTION_DAYS`` are deleted at start and then daily (:meth:`SqlStore.purge_expired`).

Writes never block or break replies: every method catches every error, gives up after a timeout (2 s) and
returns False / a short text; warnings are logged at most once a minute and never contain user text.
Concurrent writes are grouped into one transaction (group commit), so a burst of updates costs one round
trip, and SQLite sees a single writer. The database engine is created lazily and reconnects by itself: a
database that is down at start is retried on the next write. Rows the database could not take because
it was unreachable (down, frozen) are kept in a bounded buffer (:data:`OUTAGE_BUFFER` rows, oldest dropped
first) and written, in order, once it answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from faq.normalize import safe_text
from faq.usage.events import AnswerEvent, Feedback, NullStore, UsageStore
from faq.usage.read import UsageData, fetch_usage
from faq.usage.redact import redact
from faq.usage.schema import (
    SCHEMA_VERSION,
    SchemaTooNewError,
    _now,
    _utc_naive,
    answers,
    feedback,
    migrate,
    prepare_writer,
)
from faq.usage.settings import StoreSettings, database_target, user_hash

logger = logging.getLogger(__name__)

#: Creating or migrating the schema at start may take longer (first connection, TLS handshake).
START_TIMEOUT = 10.0
PURGE_INTERVAL = 24 * 3600.0
WARNING_INTERVAL = 60.0
#: Writes waiting for the database beyond this are refused at once (a slow database must not fill memory).
MAX_PENDING = 10_000
BATCH_SIZE = 500
#: Rows kept in memory while the database is unreachable, written when it is back (oldest dropped first).
OUTAGE_BUFFER = 20_000
#: Seconds between attempts to write the outage buffer: doubling from the first to the last.
OUTAGE_RETRY = (1.0, 30.0)
#: Recent answers' redacted texts kept in memory so that a later 👎 / "都不是" can attach the question.
RECENT_TEXTS = 10_000
RECENT_TEXTS_TTL = 3600.0
#: Kinds whose low confidence means the user's question was not really answered (faq.reply.ReplyKind).
LOW_CONFIDENCE_KINDS = frozenset({"answer", "stage"})
#: Kinds whose text is never kept: a crisis message is nobody's FAQ material.
NEVER_KEEP_KINDS = frozenset({"crisis", "empty"})


# ----------------------------------------------------------------------------------------- pure helpers


def keep_reason(event: AnswerEvent, low_confidence: float) -> str | None:
    """Why the text of an answered message is worth keeping, or None (then it is not stored)."""
    if event.kind in NEVER_KEEP_KINDS:
        return None
    if event.kind == "out_of_scope":  # refused as not ours: where missing topics hide (`faq report`)
        return "out_of_scope"
    if event.fell_back:
        return "fallback"
    if is_low_confidence(event.kind, event.confidence, low_confidence):
        return "low_confidence"
    return None


def is_low_confidence(kind: str, confidence: float, low_confidence: float) -> bool:
    """An answer (or a stage block given because no intent matched) the engine was unsure of. A stage block
    with confidence 0 answered a bare day count ("逾期15天"): that is the right answer, not an unsure one."""
    if kind == "stage" and confidence <= 0.0:
        return False
    return kind in LOW_CONFIDENCE_KINDS and confidence < low_confidence


def _short(value: object, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    return text[:limit]


def _finite(value: float) -> float:
    number = float(value)
    return number if math.isfinite(number) else 0.0


def _days(value: int | None) -> int | None:
    # Outside this range it is not a day count anyone meant (and it would overflow INTEGER).
    return value if value is not None and -100_000 <= value <= 100_000 else None


def answer_row(event: AnswerEvent, secret: str, text: str | None, reason: str | None) -> dict[str, Any]:
    """The database row of an answer: the user id hashed, strings cut to their columns."""
    return {
        "at": _utc_naive(event.at),
        "answer_id": _short(event.answer_id, 32) or "",
        "user_hash": user_hash(secret, event.user_id),
        "chat_type": _short(event.chat_type, 16) or "",
        "intent": _short(event.intent, 64),
        "confidence": _finite(event.confidence),
        "days": _days(event.days),
        "platform": _short(event.platform, 32),
        "fell_back": bool(event.fell_back),
        "latency_ms": _finite(event.latency_ms),
        "kind": _short(event.kind, 16) or "",
        "question": text,
        "question_reason": reason if text is not None else None,
    }


class RecentTexts:
    """Redacted texts of recent answers by answer id, bounded in number and age (in memory only)."""

    def __init__(
        self,
        limit: int = RECENT_TEXTS,
        ttl: float = RECENT_TEXTS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.ttl = ttl
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def put(self, answer_id: str, text: str) -> None:
        self._items[answer_id] = (self.clock(), text)
        self._items.move_to_end(answer_id)
        self._expire()

    def get(self, answer_id: str) -> str | None:
        self._expire()
        item = self._items.get(answer_id)
        return item[1] if item else None

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self) -> None:
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        horizon = self.clock() - self.ttl
        while self._items:
            first = next(iter(self._items.values()))
            if first[0] >= horizon:
                break
            self._items.popitem(last=False)


def describe_error(exc: BaseException) -> str:
    """A short description of a database error that cannot contain user text: class names, plus the message
    only for connection-level errors (SQLAlchemy's own messages would include the statement's parameters)."""
    names: list[str] = []
    detail = ""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(names) < 4:
        seen.add(id(current))
        names.append(type(current).__name__)
        if not detail and _safe_to_show(current):
            detail = str(current)[:200]
        current = getattr(current, "orig", None) or current.__cause__
    text = " <- ".join(dict.fromkeys(names))
    return f"{text}: {detail}" if detail else text


#: SQLSTATE classes of errors about reaching the server, never about a row: connection exceptions (08),
#: authorization (28), unknown database (3D), too many connections (53), server shutting down (57P).
_SERVER_SQLSTATES = ("08", "28", "3D", "53", "57P")


def is_unreachable(exc: BaseException) -> bool:
    """Whether an error says the database cannot be reached (down, frozen, refusing connections) rather
    than that a row was wrong: then the rows are worth keeping for later."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError | TimeoutError) or (
            _safe_to_show(current) and not isinstance(current, SchemaTooNewError)
        ):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def _safe_to_show(exc: BaseException) -> bool:
    if isinstance(exc, OSError | TimeoutError | SchemaTooNewError):
        return True
    if type(exc).__module__ == "sqlite3" and type(exc).__name__ == "OperationalError":
        return True  # "unable to open database file", "database is locked", "readonly database"...
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_SERVER_SQLSTATES)


class _Warner:
    """Logs a warning at most once per ``interval`` seconds (counting the ones it held back)."""

    def __init__(
        self, interval: float = WARNING_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self._last = -math.inf
        self._held = 0

    def __call__(self, message: str, *args: object) -> None:
        now = self.clock()
        if now - self._last < self.interval:
            self._held += 1
            return
        held, self._held, self._last = self._held, 0, now
        suffix = f" ({held} similar warnings held back)" if held else ""
        logger.warning("usage log: " + message + "; replies are not affected" + suffix, *args)


# ----------------------------------------------------------------------------------------------- store


@dataclass
class _Pending:
    table: Table
    row: dict[str, Any]
    future: asyncio.Future[bool]


class SqlStore:
    """The :class:`faq.usage.UsageStore` on SQLite or PostgreSQL (see the module docstring)."""

    def __init__(self, settings: StoreSettings, clock: Callable[[], datetime] = _now) -> None:
        if not settings.hash_secret:
            logger.warning(
                "usage log: no user-hash secret given; using a temporary one (hashes change at restart)"
            )
            settings = replace(settings, hash_secret=secrets.token_hex(32))
        self.settings = settings
        self.clock = clock
        self.target = database_target(settings.database_url)
        self.recent = RecentTexts()
        self._engine: AsyncEngine | None = None
        self._ready = False
        self._ready_lock: asyncio.Lock | None = None
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self.outage_limit = OUTAGE_BUFFER
        self._outage: deque[tuple[Table, dict[str, Any]]] = deque()
        self._outage_dropped = 0
        self._outage_writer: asyncio.Task[None] | None = None
        self._purger: asyncio.Task[None] | None = None
        self._warn = _Warner()
        self._closed = False

    def __repr__(self) -> str:
        return f"SqlStore({self.target.describe()})"

    # ---------------------------------------------------------------------------------- UsageStore

    async def start(self) -> None:
        """Create or migrate the schema, purge expired rows and schedule the daily purge. Never raises: a
        database that is down now is tried again on the next write."""
        try:
            ok = await asyncio.wait_for(self._ensure_ready(), START_TIMEOUT)
        except Exception as exc:
            self._warn("cannot open %s (%s)", self.target.describe(), describe_error(exc))
            ok = False
        if ok:
            logger.info("usage log: recording to %s", self.target.describe())
            await self.purge_expired()
        if self._purger is None and self.settings.retention_days > 0:
            self._purger = asyncio.get_running_loop().create_task(self._purge_daily())

    async def record_answer(self, event: AnswerEvent) -> bool:
        try:
            text: str | None = None
            reason: str | None = None
            if self.settings.log_questions and event.question and event.kind not in NEVER_KEEP_KINDS:
                redacted = redact(safe_text(event.question, len(event.question)))
                self.recent.put(event.answer_id, redacted)
                reason = keep_reason(event, self.settings.low_confidence)
                text = redacted if reason else None
            return await self._submit(answers, answer_row(event, self.settings.hash_secret, text, reason))
        except Exception as exc:
            self._warn("could not record an answer (%s)", describe_error(exc))
            return False

    async def record_feedback(self, answer_id: str, user_id: int | str, value: Feedback) -> bool:
        try:
            value = Feedback(value)
            text = None
            if self.settings.log_questions and value in (Feedback.DOWN, Feedback.NONE_OF_THESE):
                text = self.recent.get(answer_id)
            row = {
                "at": _utc_naive(self.clock()),
                "answer_id": _short(answer_id, 32) or "",
                "user_hash": user_hash(self.settings.hash_secret, user_id),
                "value": value.value,
                "question": text,
            }
            return await self._submit(feedback, row)
        except Exception as exc:
            self._warn("could not record feedback (%s)", describe_error(exc))
            return False

    async def summary(self, days: int = 7) -> str:
        try:
            return await asyncio.wait_for(self._summary(days), max(self.settings.timeout, 5.0))
        except Exception as exc:
            self._warn("could not read the summary (%s)", describe_error(exc))
            return f"usage log: not available right now ({type(exc).__name__})"

    @property
    def buffered(self) -> int:
        """Rows waiting in memory for the database to come back."""
        return len(self._outage)

    async def close(self) -> None:
        self._closed = True
        if self._outage_writer is not None:
            self._outage_writer.cancel()
            with contextlib.suppress(BaseException):
                await self._outage_writer
            self._outage_writer = None
        if self._outage:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._write_outage(), self.settings.timeout)
            if self._outage:
                self._warn("%d rows kept during a database outage are lost at shutdown", len(self._outage))
        for task in (self._purger,):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self._purger = None
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._flusher), self.settings.timeout + 1.0)
        if self._engine is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._engine.dispose(), self.settings.timeout)
            self._engine = None
            self._ready = False

    # ----------------------------------------------------------------------------------- retention

    async def purge_expired(self) -> int | None:
        """Delete rows older than ``retention_days``; the number deleted, or None when it failed (or when
        retention is off). Call it at start and then daily (:meth:`start` schedules that itself)."""
        days = self.settings.retention_days
        if days <= 0:
            return None
        cutoff = _utc_naive(self.clock() - timedelta(days=days))
        try:
            return await asyncio.wait_for(self._purge(cutoff), START_TIMEOUT)
        except Exception as exc:
            self._warn("could not delete expired rows (%s)", describe_error(exc))
            return None

    async def _purge(self, cutoff: datetime) -> int:
        engine = await self._ready_engine()
        total = 0
        async with engine.begin() as conn:
            for table in (answers, feedback):
                result = await conn.execute(delete(table).where(table.c.at < cutoff))
                total += max(result.rowcount or 0, 0)
        if total:
            logger.info("usage log: deleted %d rows older than %d days", total, self.settings.retention_days)
        return total

    async def _purge_daily(self) -> None:
        while True:
            await asyncio.sleep(PURGE_INTERVAL)
            await self.purge_expired()

    # ------------------------------------------------------------------------------------- reading

    async def fetch(self, since: datetime | None = None) -> UsageData:
        """Every answer and feedback row since ``since`` (for reports and tests; no timeout)."""
        engine = await self._ready_engine()
        return await fetch_usage(engine, since)

    async def _summary(self, days: int) -> str:
        engine = await self._ready_engine()
        now = self.clock()
        since = _utc_naive(now - timedelta(days=days))
        low = self.settings.low_confidence
        a = answers.c
        async with engine.connect() as conn:
            totals = (
                await conn.execute(
                    select(
                        func.count(),
                        func.count(a.user_hash.distinct()),
                        func.coalesce(func.sum(case((a.fell_back, 1), else_=0)), 0),
                        func.coalesce(
                            func.sum(
                                case(
                                    (
                                        a.kind.in_(sorted(LOW_CONFIDENCE_KINDS))
                                        & (a.confidence < low)
                                        & ((a.kind != "stage") | (a.confidence > 0.0)),
                                        1,
                                    ),
                                    else_=0,
                                )
                            ),
                            0,
                        ),
                        func.avg(a.latency_ms),
                    ).where(a.at >= since)
                )
            ).one()
            top = (
                await conn.execute(
                    select(a.intent, func.count().label("n"))
                    .where(a.at >= since, a.intent.is_not(None))
                    .group_by(a.intent)
                    .order_by(func.count().desc(), a.intent)
                    .limit(3)
                )
            ).all()
            # One vote per user and answer, the latest: a double tap or a changed mind is not two votes.
            latest = (
                select(func.max(feedback.c.id))
                .where(feedback.c.at >= since)
                .group_by(feedback.c.answer_id, feedback.c.user_hash)
            )
            vote_rows = await conn.execute(
                select(feedback.c.value, func.count())
                .where(feedback.c.id.in_(latest.scalar_subquery()))
                .group_by(feedback.c.value)
            )
            votes: dict[str, int] = {str(value): int(n) for value, n in vote_rows}
        return format_summary(days, totals, top, votes)

    # ------------------------------------------------------------------------------------- writing

    async def _submit(self, table: Table, row: dict[str, Any]) -> bool:
        if self._closed:
            return False
        if len(self._queue) >= MAX_PENDING:
            self._warn("%d writes are waiting for the database; dropping new ones", len(self._queue))
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.append(_Pending(table, row, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.settings.timeout)
        except TimeoutError:
            self._warn("the database did not answer within %.1f s", self.settings.timeout)
            return False

    async def _flush(self) -> None:
        """Write everything queued, in batches, one transaction each (group commit)."""
        while self._queue:
            batch, self._queue = self._queue[:BATCH_SIZE], self._queue[BATCH_SIZE:]
            try:
                await asyncio.wait_for(self._write(batch), self.settings.timeout)
                ok = True
            except Exception as exc:
                unreachable = is_unreachable(exc)
                self._warn(
                    "could not record %d rows in %s (%s)%s",
                    len(batch),
                    self.target.describe(),
                    describe_error(exc),
                    "; keeping them until it is back" if unreachable else "",
                )
                if unreachable:
                    self._keep_for_later(batch)
                ok = False
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_result(ok)

    def _keep_for_later(self, batch: Sequence[_Pending]) -> None:
        """Keep rows the database could not take (it is down or frozen) and write them when it is back."""
        if self._closed:
            return
        for pending in batch:
            if len(self._outage) >= self.outage_limit:
                self._outage.popleft()
                self._outage_dropped += 1
            self._outage.append((pending.table, pending.row))
        if self._outage_writer is None or self._outage_writer.done():
            self._outage_writer = asyncio.get_running_loop().create_task(self._drain_outage())

    async def _drain_outage(self) -> None:
        delay, longest = OUTAGE_RETRY
        while self._outage and not self._closed:
            await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(self._write_outage(), max(self.settings.timeout, 5.0))
            except Exception as exc:
                logger.debug("usage log: the database is still unreachable (%s)", describe_error(exc))
                delay = min(delay * 2, longest)
                continue
        if self._outage_dropped:
            self._warn("%d rows were dropped during a database outage (buffer full)", self._outage_dropped)
            self._outage_dropped = 0

    async def _write_outage(self) -> None:
        """Write the outage buffer, a batch at a time; a batch leaves the buffer once it is committed."""
        written = 0
        while self._outage:
            batch = list(itertools.islice(self._outage, BATCH_SIZE))
            await self._write_rows(batch)
            for _ in batch:
                self._outage.popleft()
            written += len(batch)
        if written:
            logger.info("usage log: wrote %d rows kept during a database outage", written)

    async def _write(self, batch: Sequence[_Pending]) -> None:
        await self._write_rows([(pending.table, pending.row) for pending in batch])

    async def _write_rows(self, items: Sequence[tuple[Table, dict[str, Any]]]) -> None:
        engine = await self._ready_engine()
        by_table: dict[str, list[dict[str, Any]]] = {}
        tables: dict[str, Table] = {}
        for table, row in items:
            by_table.setdefault(table.name, []).append(row)
            tables[table.name] = table
        async with engine.begin() as conn:
            for name, rows in by_table.items():
                await conn.execute(insert(tables[name]), rows)

    # ------------------------------------------------------------------------------------- engine

    async def _ready_engine(self) -> AsyncEngine:
        if not self._ready:
            await self._ensure_ready()
        assert self._engine is not None
        return self._engine

    async def _ensure_ready(self) -> bool:
        if self._ready_lock is None:
            self._ready_lock = asyncio.Lock()
        async with self._ready_lock:
            if self._ready:
                return True
            self._engine, found = await prepare_writer(self.target, self._engine, migrate)
            if found < SCHEMA_VERSION:
                logger.info("usage log: schema at version %d (was %d)", SCHEMA_VERSION, found)
            self._ready = True
            return True


def format_summary(
    days: int, totals: Sequence[Any], top: Iterable[Sequence[Any]], votes: Mapping[str, int]
) -> str:
    """The few lines /stats shows."""
    count, users, fell_back, low, latency = totals
    count, users, fell_back, low = int(count or 0), int(users or 0), int(fell_back or 0), int(low or 0)
    if not count:
        lines = [f"最近{days}天 / last {days} days: no answers recorded"]
    else:
        lines = [
            f"最近{days}天 / last {days} days: {count} answers to {users} users",
            f"fell back: {fell_back} ({fell_back / count:.1%}) · low confidence: {low} ({low / count:.1%})",
            "top: " + (" · ".join(f"{intent} {n}" for intent, n in top) or "-"),
            f"avg latency: {float(latency or 0):.0f} ms",
        ]
    lines.append(
        f"👍 {votes.get(Feedback.UP.value, 0)} · 👎 {votes.get(Feedback.DOWN.value, 0)}"
        f" · 都不是 {votes.get(Feedback.NONE_OF_THESE.value, 0)}"
    )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ open


def open_store(settings: StoreSettings) -> UsageStore:
    """The store the settings ask for (not started: ``await store.start()``); :class:`NullStore` when the
    usage log is switched off (``USAGE_LOG=0``)."""
    if not settings.enabled:
        return NullStore()
    return SqlStore(settings)
