"""Per-user flood limit: at most ``limit`` messages in a sliding ``window`` of seconds.

The first message over the limit gets one polite note (:attr:`Verdict.NOTIFY`); the others in the same
window are dropped silently (:attr:`Verdict.DROP`) so that a flooding user cannot make the bot flood back.
State lives in memory (per process); :class:`bot.shared.SharedFloodLimiter` counts in the database instead,
so that several webhook replicas share one limit. Handlers call :meth:`FloodLimiter.acheck`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import Enum

#: Forget idle users once this many are tracked (bounded memory under a flood of distinct ids).
MAX_TRACKED = 50_000


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit: tell the user once
    DROP = "drop"  # over the limit and already told


@dataclass
class _Bucket:
    hits: deque[float] = field(default_factory=deque)
    notified: bool = False


class FloodLimiter:
    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def check(self, key: Hashable) -> Verdict:
        if not self.enabled:
            return Verdict.ALLOW
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket()
        hits = bucket.hits
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            bucket.notified = False
            return Verdict.ALLOW
        if bucket.notified:
            return Verdict.DROP
        bucket.notified = True
        return Verdict.NOTIFY

    async def acheck(self, key: Hashable) -> Verdict:
        """:meth:`check`, awaitable (the shared limiter asks the database)."""
        return self.check(key)

    def _prune(self, now: float) -> None:
        stale = [k for k, b in self._buckets.items() if not b.hits or b.hits[-1] <= now - self.window]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= MAX_TRACKED:  # everyone is active: drop the oldest half
            for key in list(self._buckets)[: MAX_TRACKED // 2]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
