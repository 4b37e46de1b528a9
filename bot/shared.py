"""What replicas share through the database besides the update ledger: the flood limit and the knowledge
base's version.

- :class:`SharedFloodLimiter`: the per-user flood limit counted in ``bot_flood`` (one row per user and
  window, incremented with an upsert), so that N replicas together allow ``limit`` messages per window,
  not N times as many. User ids are stored only as a keyed hash. Fixed windows (the count restarts each
  ``window`` seconds) instead of the in-memory sliding window. When the database does not answer, the
  replica falls back to its own in-memory limiter.
- :class:`KnowledgeBaseVersion`: ``/reload`` (or SIGHUP) on one replica bumps a version row; every replica
  polls it every :data:`POLL_INTERVAL` seconds and reloads its knowledge base when it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Hashable
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import UpdateLedger, bot_flood, bot_kb_version
from bot.log import log_event
from bot.ratelimit import FloodLimiter, Verdict
from faq.usage.store import describe_error

logger = logging.getLogger(__name__)

TIMEOUT = 2.0
POLL_INTERVAL = 2.0
WARNING_INTERVAL = 60.0
_KEY_CONTEXT = b"loan-faq-bot flood key v1"


class _Warner:
    def __init__(self) -> None:
        self._last = -WARNING_INTERVAL

    def __call__(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last >= WARNING_INTERVAL:
            self._last = now
            log_event("shared_state_unavailable", level=logging.WARNING, logger=__name__, what=what,
                      error=describe_error(exc))


class SharedFloodLimiter(FloodLimiter):
    """A :class:`~bot.ratelimit.FloodLimiter` whose counts live in the database (see the module docstring);
    :meth:`check` (synchronous) stays the local limiter, :meth:`acheck` is the shared one."""

    def __init__(
        self,
        ledger: UpdateLedger,
        secret: str,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window)
        self.ledger = ledger
        self.key = hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()
        self.wall = clock
        self._warn = _Warner()
        self._last_purge = 0.0

    def user_key(self, key: Hashable) -> str:
        return hmac.new(self.key, str(key).encode(), hashlib.sha256).hexdigest()

    async def acheck(self, key: Hashable) -> Verdict:
        if not self.enabled:
            return Verdict.ALLOW
        try:
            hits = await asyncio.wait_for(self._hit(self.user_key(key)), TIMEOUT)
        except Exception as exc:
            self._warn("flood limit", exc)
            return self.check(key)
        if hits <= self.limit:
            return Verdict.ALLOW
        return Verdict.NOTIFY if hits == self.limit + 1 else Verdict.DROP

    async def _hit(self, user_key: str) -> int:
        now = self.wall()
        window = int(now // self.window * self.window)
        insert = (postgresql.insert if self.ledger.dialect == "postgresql" else sqlite.insert)(bot_flood)
        statement = (
            insert.values(user_key=user_key, window=window, hits=1)
            .on_conflict_do_update(
                index_elements=[bot_flood.c.user_key, bot_flood.c.window],
                set_={"hits": bot_flood.c.hits + 1},
            )
            .returning(bot_flood.c.hits)
        )
        purge = now - self._last_purge > self.window
        if purge:
            self._last_purge = now

        async def work(conn: AsyncConnection) -> int:
            hits = int((await conn.execute(statement)).scalar_one())
            if purge:
                await conn.execute(delete(bot_flood).where(bot_flood.c.window < window - self.window))
            return hits

        return await self.ledger.run(work)


class KnowledgeBaseVersion:
    """The shared knowledge-base version (see the module docstring). ``reload`` reloads this replica's
    knowledge base (:meth:`bot.service.EngineHolder.reload` without broadcasting)."""

    def __init__(self, ledger: UpdateLedger, reload: Callable[[], object], interval: float = POLL_INTERVAL):
        self.ledger = ledger
        self.reload = reload
        self.interval = interval
        self.seen: int | None = None
        self._warn = _Warner()
        self._task: asyncio.Task[None] | None = None

    async def current(self) -> int | None:
        try:
            engine = await self.ledger.engine()
            async with engine.connect() as conn:
                value = (await conn.execute(select(bot_kb_version.c.version).where(bot_kb_version.c.id == 1))).scalar()
            return int(value or 0)
        except Exception as exc:
            self._warn("knowledge-base version", exc)
            return None

    async def bump(self) -> bool:
        """This replica reloaded: tell the others."""
        try:
            engine = await self.ledger.engine()
            insert = (postgresql.insert if self.ledger.dialect == "postgresql" else sqlite.insert)(bot_kb_version)
            statement = (
                insert.values(id=1, version=1, at=datetime.now(UTC).replace(tzinfo=None))
                .on_conflict_do_update(
                    index_elements=[bot_kb_version.c.id],
                    set_={"version": bot_kb_version.c.version + 1, "at": func.now()},
                )
                .returning(bot_kb_version.c.version)
            )
            async with engine.begin() as conn:
                self.seen = int((await conn.execute(statement)).scalar_one())
            log_event("reload_broadcast", logger=__name__, version=self.seen)
            return True
        except Exception as exc:
            self._warn("knowledge-base version", exc)
            return False

    async def poll_once(self) -> bool:
        """Reload when another replica bumped the version; True when it did."""
        version = await self.current()
        if version is None:
            return False
        if self.seen is None:
            self.seen = version
            return False
        if version == self.seen:
            return False
        self.seen = version
        log_event("reload_requested", logger=__name__, version=version)
        result = self.reload()
        if asyncio.iscoroutine(result):
            await result
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:
                logger.exception("knowledge-base version poll failed")
            await asyncio.sleep(self.interval)
