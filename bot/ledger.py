"""The update ledger: which Telegram updates this bot (every replica of it) has accepted and handled.

One table, ``bot_updates``, in the usage log's database (``DATABASE_URL``: PostgreSQL for replicas; for
one machine with SQLite, a file next to the usage log's), keyed by ``update_id``:

- **dedupe**: an update is *claimed* by inserting its id; a second delivery of the same id (Telegram
  redelivers when a webhook was slow or failed, possibly to another replica) finds the row and is not
  handled again;
- **inbox**: the claim stores the update (encrypted: AES-GCM with a key derived from the bot token, so
  no message text or name reaches the database readable) and a lease; the row is marked done, and its
  body deleted, once handled. A row still pending when its lease runs out (its replica was stopped or
  died) is taken over and handled by any replica: what Telegram was told is accepted is handled even
  after a restart;
- done rows are purged after :data:`KEEP_DONE` (Telegram gives up redelivering long before).

Every method catches database errors, gives up after a timeout and reports it (``Claim.UNAVAILABLE``,
False): the bot keeps answering while the database is down, deduplicating in memory only.
:class:`RecentIds` is that in-process part (bounded, least recently used out).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Double,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.log import log_event
from faq.usage.schema import prepare_writer
from faq.usage.settings import DatabaseTarget, database_target, default_database_url
from faq.usage.store import describe_error, is_unreachable

logger = logging.getLogger(__name__)

#: Seconds a claim holds an update before another replica may take it over (handling takes milliseconds;
#: sends retry for at most 20 s).
LEASE = 60.0
#: Done rows are kept this long for deduplication, then purged.
KEEP_DONE = timedelta(hours=26)
PURGE_INTERVAL = 3600.0
TIMEOUT = 10.0
WARNING_INTERVAL = 60.0
RECENT_IDS = 100_000
_PG_LOCK = 0x6661715F6C656467  # "faq_ledg"
_KEY_CONTEXT = b"loan-faq-bot update ledger key v1"

#: Writes grouped into one transaction at most.
BATCH = 200

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]

metadata = MetaData()

bot_updates = Table(
    "bot_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("state", String(8), nullable=False),  # pending | done
    Column("lease_until", DateTime, nullable=False),  # UTC, naive
    Column("received_at", DateTime, nullable=False),
    Column("body", LargeBinary),  # AES-GCM(nonce + ciphertext) of the update's JSON; NULL once done
    Index("ix_bot_updates_pending", "state", "lease_until"),
    Index("ix_bot_updates_received", "received_at"),
)

#: Flood-limit counts shared by replicas (bot/shared.py): hits of one user (keyed hash) in one window.
bot_flood = Table(
    "bot_flood",
    metadata,
    Column("user_key", String(64), primary_key=True),
    Column("window", BigInteger, primary_key=True, autoincrement=False),  # window start, epoch seconds
    Column("hits", BigInteger, nullable=False),
)

#: The knowledge base's version (one row): a /reload on any replica bumps it, every replica reloads.
bot_kb_version = Table(
    "bot_kb_version",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    Column("at", DateTime, nullable=False),
)

#: Each chat's conversation context, shared by replicas (bot/conversations.py): keyed by a keyed hash of
#: the chat id; ids, numbers, flags and hashes only (no message text); rows expire (``expires_at``, epoch
#: seconds) 30 minutes after the last turn, or at the end of a crisis window, and are purged.
bot_context = Table(
    "bot_context",
    metadata,
    Column("chat_key", String(64), primary_key=True),
    Column("intent", String(64)),
    Column("days", BigInteger),
    Column("platform", String(64)),
    Column("kind", String(64)),
    Column("traditional", Boolean, nullable=False, default=False),
    Column("variant", String(64)),
    Column("words", String(64)),  # the reader's vocabulary among faq.normalize.READER_WORDS
    Column("offered", String(1024)),  # intent ids of the buttons offered, comma-separated
    Column("shown", String(64)),
    Column("stage_shown", String(64)),
    Column("last_text", String(64)),  # a hash of the last reply's first block
    Column("details_shown", Boolean, nullable=False, default=False),
    Column("mainland_noted", Boolean, nullable=False, default=False),
    Column("crisis_until", Double, nullable=False, default=0.0),
    Column("crisis_region", String(64)),
    Column("at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Index("ix_bot_context_expires", "expires_at"),
)

PENDING = "pending"
DONE = "done"


class Claim(Enum):
    NEW = "new"  # ours to handle (first delivery, or a pending update whose lease ran out)
    DUPLICATE = "duplicate"  # handled already, or being handled
    UNAVAILABLE = "unavailable"  # the database did not answer: handle it, deduplicating in memory only


def derive_key(secret: str) -> bytes:
    """The 256-bit AES key of the ledger's bodies, derived from the bot token (same on every replica)."""
    return hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def seal(key: bytes, update_id: int, body: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, body, str(update_id).encode())


def unseal(key: bytes, update_id: int, sealed: bytes) -> bytes | None:
    try:
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], str(update_id).encode())
    except (InvalidTag, ValueError):
        return None


class RecentIds:
    """Update ids seen by this process, bounded (least recently seen out)."""

    def __init__(self, size: int = RECENT_IDS) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._ids

    def add(self, update_id: int) -> bool:
        """Remember ``update_id``; False when it was already there."""
        if update_id in self._ids:
            self._ids.move_to_end(update_id)
            return False
        self._ids[update_id] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def discard(self, update_id: int) -> None:
        self._ids.pop(update_id, None)

    def __len__(self) -> int:
        return len(self._ids)


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


class UpdateLedger:
    """See the module docstring. ``clock`` returns aware UTC datetimes (injectable for tests)."""

    def __init__(
        self,
        database_url: str,
        secret: str,
        *,
        lease: float = LEASE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.target: DatabaseTarget = database_target(database_url)
        self.key = derive_key(secret)
        self.lease = lease
        self.clock = clock
        self._engine: AsyncEngine | None = None
        self._ready = False
        self._lock = asyncio.Lock()
        self._purger: asyncio.Task[None] | None = None
        self._last_warning = -WARNING_INTERVAL
        self._queue: list[tuple[Work[Any], asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"UpdateLedger({self.target.describe()})"

    # ------------------------------------------------------------------------------------- lifecycle

    async def start(self) -> bool:
        ok = await self._guard(self._ensure_ready(), "cannot open the update ledger", False)
        if self._purger is None:
            self._purger = asyncio.get_running_loop().create_task(self._purge_hourly())
        return bool(ok)

    async def close(self) -> None:
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._writer), TIMEOUT)
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(BaseException):
                await self._purger
            self._purger = None
        if self._engine is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._engine.dispose(), TIMEOUT)
            self._engine = None
            self._ready = False

    # ---------------------------------------------------------------------------------------- claims

    async def claim(self, update_id: int, body: bytes | None) -> Claim:
        """Claim an update for handling (see :class:`Claim`); ``body`` (its JSON) is kept, encrypted, until
        :meth:`done`, so that it can be handled after a restart. Without a body (polling) the update is
        recorded as done at once: deduplication only."""
        result = await self._guard(self._claim(update_id, body), "could not claim an update", None)
        return result if isinstance(result, Claim) else Claim.UNAVAILABLE

    async def done(self, update_id: int) -> bool:
        """The update was handled: forget its body, keep its id for deduplication."""
        return bool(await self._guard(self._done(update_id), "could not mark an update done", False))

    async def release(self, update_ids: Iterable[int]) -> bool:
        """End our leases now (shutting down): the next replica to look takes these updates over."""
        ids = list(update_ids)
        if not ids:
            return True
        return bool(await self._guard(self._release(ids), "could not release updates", False))

    async def renew(self, update_ids: Iterable[int]) -> bool:
        """Extend our leases on updates still waiting or being handled here."""
        ids = list(update_ids)
        if not ids:
            return True
        until = _naive(self.clock() + timedelta(seconds=self.lease))

        async def work(conn: AsyncConnection) -> bool:
            await conn.execute(
                update(bot_updates)
                .where(bot_updates.c.update_id.in_(ids), bot_updates.c.state == PENDING)
                .values(lease_until=until)
            )
            return True

        return bool(await self._guard(self.run(work), "could not renew leases", False))

    async def take_over(self, limit: int = 20) -> list[tuple[int, bytes]]:
        """Pending updates whose lease ran out, now leased to us: (update_id, JSON body) to handle."""
        result = await self._guard(self._take_over(limit), "could not look for pending updates", [])
        return result if isinstance(result, list) else []

    async def pending(self) -> int | None:
        """How many updates are accepted but not yet handled (None when the database did not answer)."""
        result = await self._guard(self._count(PENDING), "could not count pending updates", None)
        return result if isinstance(result, int) else None

    async def purge(self) -> int | None:
        result = await self._guard(self._purge(), "could not purge the update ledger", None)
        return result if isinstance(result, int) else None

    # -------------------------------------------------------------------------------- implementation

    async def _guard(self, work: object, what: str, default: object) -> object:
        assert asyncio.iscoroutine(work)
        try:
            return await asyncio.wait_for(work, TIMEOUT)
        except Exception as exc:
            now = time.monotonic()
            if now - self._last_warning >= WARNING_INTERVAL:
                self._last_warning = now
                log_event(
                    "ledger_unavailable",
                    level=logging.WARNING,
                    logger=__name__,
                    what=what,
                    error=describe_error(exc),
                )
            return default

    async def engine(self) -> AsyncEngine:
        """The ledger's engine, ready (tables created); for the other state replicas share (bot/shared.py)."""
        return await self._engine_ready()

    @property
    def dialect(self) -> str:
        return self.target.dialect

    async def run(self, work: Work[T]) -> T:
        """Run ``work(conn)`` in a transaction shared with the other writes queued meanwhile (group commit:
        a burst of updates costs a few transactions, and SQLite sees one writer). Its result once that
        transaction committed; the exception if it failed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        future.add_done_callback(_retrieve)  # a caller that gave up (timeout) must not leave it unread
        self._queue.append((work, future))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_queued())
        return await asyncio.shield(future)

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            try:
                results = await self._transaction([work for work, _future in batch])
            except Exception as exc:
                if len(batch) == 1 or not _retryable(exc):
                    _fail(batch, exc)
                    continue
                # One write spoiled the shared transaction (e.g. a deadlock with another replica writing
                # the same ids in another order): each on its own, so that only a real failure fails.
                for work, future in batch:
                    try:
                        result = (await self._transaction([work]))[0]
                    except Exception as single:
                        _fail([(work, future)], single)
                    else:
                        if not future.done():
                            future.set_result(result)
                continue
            except BaseException:
                _fail(batch, RuntimeError("the ledger's writer was cancelled"))
                raise
            for (_work, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _transaction(self, works: list[Work[Any]]) -> list[Any]:
        engine = await self._engine_ready()
        results: list[Any] = []
        async with engine.begin() as conn:
            for work in works:
                results.append(await work(conn))
        return results

    async def _engine_ready(self) -> AsyncEngine:
        if not self._ready:
            await self._ensure_ready()
        assert self._engine is not None
        return self._engine

    async def _ensure_ready(self) -> bool:
        async with self._lock:
            if self._ready:
                return True
            self._engine, _ = await prepare_writer(self.target, self._engine, _create_tables)
            self._ready = True
            return True

    def _insert(self, dialect: str) -> postgresql.Insert | sqlite.Insert:
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(bot_updates)

    async def _claim(self, update_id: int, body: bytes | None) -> Claim:
        now = self.clock()
        row = {
            "update_id": update_id,
            "state": PENDING if body is not None else DONE,
            "lease_until": _naive(now + timedelta(seconds=self.lease)),
            "received_at": _naive(now),
            "body": seal(self.key, update_id, body) if body is not None else None,
        }
        statement = self._insert(self.target.dialect).values(row).on_conflict_do_nothing()
        c = bot_updates.c

        async def work(conn: AsyncConnection) -> Claim:
            if (await conn.execute(statement)).rowcount == 1:
                return Claim.NEW
            taken = await conn.execute(
                update(bot_updates)
                .where(c.update_id == update_id, c.state == PENDING, c.lease_until < _naive(now))
                .values(lease_until=row["lease_until"])
            )
            return Claim.NEW if taken.rowcount == 1 else Claim.DUPLICATE

        return await self.run(work)

    async def _done(self, update_id: int) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            await conn.execute(
                update(bot_updates).where(bot_updates.c.update_id == update_id).values(state=DONE, body=None)
            )
            return True

        return await self.run(work)

    async def _release(self, ids: list[int]) -> bool:
        past = _naive(self.clock() - timedelta(seconds=1))

        async def work(conn: AsyncConnection) -> bool:
            await conn.execute(
                update(bot_updates)
                .where(bot_updates.c.update_id.in_(ids), bot_updates.c.state == PENDING)
                .values(lease_until=past)
            )
            return True

        return await self.run(work)

    async def _take_over(self, limit: int) -> list[tuple[int, bytes]]:
        now = self.clock()
        c = bot_updates.c
        until = _naive(now + timedelta(seconds=self.lease))

        async def work(conn: AsyncConnection) -> list[tuple[int, bytes]]:
            taken: list[tuple[int, bytes]] = []
            candidates = (
                await conn.execute(
                    select(c.update_id, c.body)
                    .where(c.state == PENDING, c.lease_until < _naive(now))
                    .order_by(c.update_id)
                    .limit(limit)
                )
            ).all()
            for update_id, sealed in candidates:
                result = await conn.execute(
                    update(bot_updates)
                    .where(c.update_id == update_id, c.state == PENDING, c.lease_until < _naive(now))
                    .values(lease_until=until)
                )
                if result.rowcount != 1:
                    continue  # another replica took it first
                body = unseal(self.key, int(update_id), sealed) if sealed else None
                if body is None:  # unreadable (another token's key): nothing can be done with it
                    await conn.execute(
                        update(bot_updates).where(c.update_id == update_id).values(state=DONE, body=None)
                    )
                    continue
                taken.append((int(update_id), body))
            return taken

        return await self.run(work)

    async def _count(self, state: str) -> int:
        engine = await self._engine_ready()
        async with engine.connect() as conn:
            query = select(func.count()).select_from(bot_updates).where(bot_updates.c.state == state)
            return int((await conn.execute(query)).scalar() or 0)

    async def _purge(self) -> int:
        cutoff = _naive(self.clock() - KEEP_DONE)

        async def work(conn: AsyncConnection) -> int:
            result = await conn.execute(
                delete(bot_updates).where(bot_updates.c.state == DONE, bot_updates.c.received_at < cutoff)
            )
            return max(result.rowcount or 0, 0)

        return await self.run(work)

    async def _purge_hourly(self) -> None:
        while True:
            await self.purge()
            await asyncio.sleep(PURGE_INTERVAL)


def _fail(batch: list[tuple[Work[Any], asyncio.Future[Any]]], exc: Exception) -> None:
    for _work, future in batch:
        if not future.done():
            future.set_exception(exc)


def _retryable(exc: BaseException) -> bool:
    """Not a connection problem (then every write would fail again at once): worth one more try each."""
    return not isinstance(exc, OSError | TimeoutError) and not is_unreachable(exc)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def ledger_url(database_url: str) -> str:
    """The ledger's database: ``DATABASE_URL`` itself for PostgreSQL (shared by replicas); for SQLite a
    file of its own next to the usage log (``faqbot.sqlite3`` -> ``faqbot-updates.sqlite3``), so that the
    two never wait for each other's write lock."""
    target = database_target(database_url)
    if target.sqlite_path is None:
        return database_url
    path = target.sqlite_path
    return f"sqlite:///{path.with_name(path.stem + '-updates' + (path.suffix or '.sqlite3'))}"


def ledger_from_env(env: Mapping[str, str], token: str | None) -> UpdateLedger | None:
    """The ledger for ``DATABASE_URL`` (else next to the usage log's default SQLite file; see
    :func:`ledger_url`), keyed by the bot token; None without a token, or with the usage log switched off
    and no ``DATABASE_URL`` (then deduplication is in memory only)."""
    if not token:
        return None
    explicit = (env.get("DATABASE_URL") or "").strip()
    if not explicit and (env.get("USAGE_LOG") or "").strip().lower() in ("0", "false", "no", "off"):
        return None
    return UpdateLedger(ledger_url(default_database_url(env)), token)


def _create_tables(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    metadata.create_all(conn, checkfirst=True)
