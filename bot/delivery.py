"""Sending to Telegram under faults: retries that never repeat a message Telegram may already have, and
429 pauses that hold back only the chat Telegram named.

Every Bot API request of the application goes through :class:`RetryingLimiter` (PTB's
:class:`~telegram.ext.BaseRateLimiter` hook, polling and webhook alike). PTB's own
:class:`~telegram.ext.AIORateLimiter` pauses *every* chat on a 429; here:

- **429** (:class:`~telegram.error.RetryAfter`): that chat waits ``retry_after`` seconds (later requests for
  the same chat wait too), every other chat goes on;
- **5xx** and **connection errors** (refused, reset, closed before the answer): tried again after a short
  backoff (0.25 s, 0.5 s, 1 s, then 2 s, with jitter);
- **a timeout after the request was sent** (:class:`~telegram.error.TimedOut` from a read or write
  timeout): *not* retried: Telegram may have delivered the message, and a second copy is worse than a
  missing one (the error handler logs it). A connect or pool timeout (nothing sent) is retried;
- everything else (400, 403, ...) is raised at once.

A request is tried at most ``max_attempts`` times and never past ``budget`` seconds after the first try
(7 retries within 20 s by default), so that a reply is either sent soon or given up, not held forever.
An overall send rate (``SEND_RATE_LIMIT`` per second, Telegram's ~30/s) throttles without ever pausing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

from bot.log import log_event

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, JSONResult]]

#: Tries of one request in all (the first + retries) and the seconds they may take together: at a 30 %
#: fault rate, 8 tries fail together for 1 message in 15,000.
MAX_ATTEMPTS = 8
RETRY_BUDGET = 20.0
BACKOFF = (0.25, 0.5, 1.0, 2.0)
#: Chats whose 429 pause is remembered at most (bounded memory; expired pauses are dropped first).
MAX_PAUSED_CHATS = 10_000

#: httpx errors raised before Telegram could have acted on the request (or with no answer at all).
_NOT_DELIVERED = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,  # the connection closed without an answer (e.g. a stale keep-alive)
    httpx.ReadError,
    httpx.WriteError,
)


class Verdict(Enum):
    RETRY = "retry"  # safe to send again after a backoff
    WAIT = "wait"  # 429: this chat waits retry_after, then sends again
    GIVE_UP = "give_up"  # not retryable (or possibly delivered already)


def classify(exc: BaseException) -> Verdict:
    """What to do after a failed request (pure: depends on the exception only)."""
    if isinstance(exc, RetryAfter):
        return Verdict.WAIT
    if isinstance(exc, TimedOut):
        cause = exc.__cause__
        return Verdict.RETRY if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout) else Verdict.GIVE_UP
    if isinstance(exc, NetworkError) and type(exc) is NetworkError:
        cause = exc.__cause__
        if cause is None:
            return Verdict.RETRY  # an HTTP error status PTB has no class for: 5xx (502 Bad Gateway, 500...)
        return Verdict.RETRY if isinstance(cause, _NOT_DELIVERED) else Verdict.GIVE_UP
    return Verdict.GIVE_UP


def retry_after_seconds(exc: RetryAfter) -> float:
    return max(0.0, exc._retry_after.total_seconds())  # the timedelta: no deprecation warning


def chat_key(data: dict[str, Any] | None) -> int | str | None:
    """The chat a request writes to (``chat_id``), if any."""
    if not data:
        return None
    value = data.get("chat_id")
    if value is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(value)
    return str(value)


@dataclass
class DeliveryStats:
    retried: int = 0
    waited_429: int = 0
    given_up: int = 0


class RetryingLimiter(BaseRateLimiter[int]):
    """See the module docstring. ``clock`` and ``sleep`` are injectable for tests of the schedule."""

    def __init__(
        self,
        overall_rate: float = 0.0,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        budget: float = RETRY_BUDGET,
        backoff: tuple[float, ...] = BACKOFF,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        self.max_attempts = max(1, max_attempts)
        self.budget = budget
        self.backoff = backoff
        self.clock = clock
        self.sleep = sleep
        self.stats = DeliveryStats()
        self._overall = AsyncLimiter(overall_rate, 1.0) if overall_rate > 0 else None
        self._paused: dict[int | str, float] = {}  # chat -> clock() until which it waits (429)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat = chat_key(data)
        attempts = rate_limit_args + 1 if rate_limit_args is not None else self.max_attempts
        deadline = self.clock() + self.budget
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for_chat(chat, deadline)
            try:
                if self._overall is not None and chat is not None:
                    async with self._overall:
                        return await callback(*args, **kwargs)
                return await callback(*args, **kwargs)
            except Exception as exc:
                verdict = classify(exc)
                if verdict is Verdict.GIVE_UP:
                    raise
                wait = self._delay(verdict, exc, attempt)
                if attempt >= attempts or self.clock() + wait > deadline:
                    self.stats.given_up += 1
                    log_event(
                        "send_given_up",
                        level=logging.WARNING,
                        logger=__name__,
                        method=endpoint,
                        attempts=attempt,
                        error=type(exc).__name__,
                    )
                    raise
                if verdict is Verdict.WAIT:
                    self.stats.waited_429 += 1
                    if chat is not None:
                        self._pause(chat, wait)
                else:
                    self.stats.retried += 1
                log_event(
                    "send_retry",
                    logger=__name__,
                    method=endpoint,
                    attempt=attempt,
                    wait_s=round(wait, 2),
                    error=type(exc).__name__,
                )
                if verdict is Verdict.RETRY or chat is None:
                    await self.sleep(wait)

    def _delay(self, verdict: Verdict, exc: BaseException, attempt: int) -> float:
        if verdict is Verdict.WAIT and isinstance(exc, RetryAfter):
            return retry_after_seconds(exc) + 0.05
        base = self.backoff[min(attempt - 1, len(self.backoff) - 1)] if self.backoff else 0.0
        return base * (0.75 + random.random() / 2)

    def _pause(self, chat: int | str, seconds: float) -> None:
        until = self.clock() + seconds
        if chat not in self._paused and len(self._paused) >= MAX_PAUSED_CHATS:
            now = self.clock()
            for key in [k for k, t in self._paused.items() if t <= now]:
                del self._paused[key]
            while len(self._paused) >= MAX_PAUSED_CHATS:
                del self._paused[next(iter(self._paused))]
        self._paused[chat] = max(until, self._paused.get(chat, 0.0))

    async def _wait_for_chat(self, chat: int | str | None, deadline: float) -> None:
        """Hold a request for a chat Telegram asked to wait (only that chat)."""
        if chat is None:
            return
        until = self._paused.get(chat)
        if until is None:
            return
        now = self.clock()
        if until <= now:
            self._paused.pop(chat, None)
            return
        await self.sleep(min(until, deadline) - now)

    def paused_chats(self) -> int:
        now = self.clock()
        return sum(1 for t in self._paused.values() if t > now)
