"""The usage log's interface: what the front ends record, and the store they record it in.

Front ends (the Telegram bot, the console chat) build an :class:`AnswerEvent` for every answered message
and hand it to a :class:`UsageStore` without waiting for it (writes never block replies); 👍 / 👎 and
"都不是" presses become feedback on the answer's ``answer_id``, which the front end generates itself so that
it can put it into the buttons before anything is written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol


class Feedback(StrEnum):
    UP = "up"  # 👍
    DOWN = "down"  # 👎
    NONE_OF_THESE = "none_of_these"  # "都不是" under suggestions


def new_answer_id() -> str:
    """A short random id for an answer (fits in Telegram's 64-byte callback data with room to spare)."""
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class AnswerEvent:
    answer_id: str
    user_id: int | str  # raw id: the store keeps only a keyed hash of it
    chat_type: str  # "private" | "group" | "supergroup" | "channel" | "inline" | "console"
    intent: str | None
    confidence: float
    days: int | None
    platform: str | None
    fell_back: bool
    latency_ms: float
    kind: str  # faq.reply.ReplyKind value
    question: str | None = None  # raw text; the store decides whether to keep it and redacts it
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class UsageStore(Protocol):
    async def start(self) -> None:
        """Create or migrate the schema and purge rows past retention."""

    async def record_answer(self, event: AnswerEvent) -> bool:
        """Record one answer; False (with a logged warning) when it could not be recorded. Never raises."""

    async def record_feedback(self, answer_id: str, user_id: int | str, value: Feedback) -> bool:
        """Record 👍 / 👎 / "都不是" against an answer. Never raises."""

    async def summary(self, days: int = 7) -> str:
        """A few lines for /stats: the last ``days`` days."""

    async def close(self) -> None: ...


class NullStore:
    """Records nothing (used when the log is switched off)."""

    async def start(self) -> None:
        return None

    async def record_answer(self, event: AnswerEvent) -> bool:
        return False

    async def record_feedback(self, answer_id: str, user_id: int | str, value: Feedback) -> bool:
        return False

    async def summary(self, days: int = 7) -> str:
        return "usage log: off"

    async def close(self) -> None:
        return None
