"""Reading the usage log back: every answer and feedback row (for `faq report` and the tests)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from faq.usage.schema import _aware, _utc_naive, answers, feedback, open_engine
from faq.usage.settings import database_target


@dataclass(frozen=True, slots=True)
class AnswerRow:
    at: datetime  # UTC, aware
    answer_id: str
    user_hash: str
    chat_type: str
    intent: str | None
    confidence: float
    days: int | None
    platform: str | None
    fell_back: bool
    latency_ms: float
    kind: str
    question: str | None
    question_reason: str | None


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    at: datetime  # UTC, aware
    answer_id: str
    user_hash: str
    value: str
    question: str | None


@dataclass(frozen=True)
class UsageData:
    answers: list[AnswerRow]
    feedback: list[FeedbackRow]


async def fetch_usage(engine: AsyncEngine, since: datetime | None = None) -> UsageData:
    cutoff = _utc_naive(since) if since is not None else None
    a, f = answers.c, feedback.c
    answer_query = select(*[a[col.name] for col in fields(AnswerRow)]).order_by(a.at, a.id)
    feedback_query = select(*[f[col.name] for col in fields(FeedbackRow)]).order_by(f.at, f.id)
    if cutoff is not None:
        answer_query = answer_query.where(a.at >= cutoff)
        feedback_query = feedback_query.where(f.at >= cutoff)
    async with engine.connect() as conn:
        answer_rows = (await conn.execute(answer_query)).all()
        feedback_rows = (await conn.execute(feedback_query)).all()
    return UsageData(
        answers=[AnswerRow(_aware(r[0]), *r[1:]) for r in answer_rows],
        feedback=[FeedbackRow(_aware(r[0]), *r[1:]) for r in feedback_rows],
    )


class UsageLogMissingError(Exception):
    """There is no usage log at the address given (nothing recorded yet, or a wrong address)."""


async def read_usage(database_url: str, since: datetime | None = None) -> UsageData:
    """Read the usage log at ``database_url`` without changing it (the maintainer's report). Raises
    :class:`UsageLogMissingError` when there is none, and the driver's errors when it cannot be read."""
    target = database_target(database_url)
    if target.sqlite_path is not None and not target.sqlite_path.is_file():
        raise UsageLogMissingError(f"no usage log at {target.describe()} (nothing recorded yet?)")
    engine = open_engine(target, writer=False)
    try:
        async with engine.connect() as conn:
            has_tables = await conn.run_sync(
                lambda sync: (
                    sync.dialect.has_table(sync, answers.name) and sync.dialect.has_table(sync, feedback.name)
                )
            )
        if not has_tables:
            raise UsageLogMissingError(f"{target.describe()} holds no usage log (nothing recorded yet?)")
        return await fetch_usage(engine, since)
    finally:
        await engine.dispose()
