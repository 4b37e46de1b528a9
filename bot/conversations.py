"""Conversation context shared by replicas: each chat's :class:`~faq.context.Context` in the database.

With several webhook replicas behind a load balancer a follow-up ("那20天呢") may reach another replica
than the message before it; so may the message after a crisis reply, which must still end with the help
line. :class:`SharedContexts` keeps each chat's context in the ledger's database (``bot_context``; the
database the shared flood limit uses: a SQLite file, or PostgreSQL for replicas):

- the row is keyed by a keyed hash (HMAC-SHA256, key derived from the bot token) of the chat id, never the
  id itself;
- it holds only the context's fields (intent id, days, platform id, script and variant, the reader's
  vocabulary among :data:`faq.normalize.READER_WORDS`, crisis window and region, the ids of the buttons
  offered, hashes of what was shown, timestamps): no message text, nothing personal;
- it expires :data:`faq.context.EXPIRY_SECONDS` after the last turn (or at the end of the crisis window,
  when that is later) and is purged.

:class:`~bot.service.Assistant` keeps its in-memory :class:`~faq.context.ContextStore` as a cache and as the
fallback: when the database does not answer within :data:`TIMEOUT` seconds the replica goes on with what
it knows (a warning is logged, without text). Without a database (console, tests, no ``DATABASE_URL``) the
in-memory store is the whole story.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ledger import UpdateLedger, bot_context
from bot.log import log_event
from faq.context import EXPIRY_SECONDS, Context, current
from faq.crisis import Region
from faq.engine import Engine
from faq.normalize import READER_WORDS, to_traditional, use_reader_words
from faq.reply import Suggestion
from faq.usage.store import describe_error

logger = logging.getLogger(__name__)

#: Seconds a reply waits for the database before going on with the replica's own memory.
TIMEOUT = 1.0
#: Expired rows are deleted at most this often (by the replica that writes).
PURGE_INTERVAL = 60.0
#: After the database did not answer, replies use the replica's memory this long before asking again.
RETRY_AFTER = 5.0
WARNING_INTERVAL = 60.0
_KEY_CONTEXT = b"loan-faq-bot conversation key v1"
_ID = re.compile(r"^[A-Za-z0-9_.:|-]{1,64}$")
_VOCABULARY = frozenset(word for group in READER_WORDS for word in group)

#: Rebuilds the buttons offered (their titles) from their intent ids, in the context's script.
Buttons = Callable[[Sequence[str], Context], tuple[Suggestion, ...]]


class ContextBackend(Protocol):
    """Where contexts live beyond one process. :meth:`load` raises when the backend did not answer (the
    caller then uses its own memory); :meth:`save` never raises."""

    async def load(self, chat: Hashable, now: float) -> Context | None: ...

    async def save(self, chat: Hashable, context: Context) -> None: ...


class ContextUnavailable(Exception):
    """The shared store did not answer in time (or failed)."""


def _clean_id(value: str | None) -> str | None:
    return value if value is not None and _ID.match(value) else None


def to_row(chat_key: str, context: Context) -> dict[str, object]:
    """The row stored for a context: ids, numbers, flags and hashes only (see the module docstring)."""
    expires = max(context.at + EXPIRY_SECONDS, context.crisis_until)
    offered = [s.intent for s in context.offered if _clean_id(s.intent)]
    return {
        "chat_key": chat_key,
        "intent": _clean_id(context.intent),
        "days": context.days,
        "platform": _clean_id(context.platform),
        "kind": _clean_id(context.kind),
        "traditional": context.traditional,
        "variant": _clean_id(context.variant),
        "words": ",".join(w for w in context.words if w in _VOCABULARY) or None,
        "offered": ",".join(dict.fromkeys(offered)) or None,
        "shown": _clean_id(context.shown),
        "stage_shown": _clean_id(context.stage_shown),
        "last_text": _clean_id(context.last_text),
        "details_shown": context.details_shown,
        "mainland_noted": context.mainland_noted,
        "crisis_until": context.crisis_until,
        "crisis_region": _clean_id(context.crisis_region),
        "at": context.at,
        "expires_at": expires,
    }


def from_row(row: dict[str, object], buttons: Buttons) -> Context:
    words = tuple(w for w in str(row.get("words") or "").split(",") if w in _VOCABULARY)
    context = Context(
        intent=_opt_str(row.get("intent")),
        days=int(days) if isinstance(days := row.get("days"), int) else None,
        platform=_opt_str(row.get("platform")),
        at=float(row.get("at") or 0.0),  # type: ignore[arg-type]
        kind=_opt_str(row.get("kind")),
        shown=_opt_str(row.get("shown")),
        stage_shown=_opt_str(row.get("stage_shown")),
        details_shown=bool(row.get("details_shown")),
        traditional=bool(row.get("traditional")),
        variant=_opt_str(row.get("variant")),
        words=words,
        mainland_noted=bool(row.get("mainland_noted")),
        last_text=_opt_str(row.get("last_text")),
        crisis_until=float(row.get("crisis_until") or 0.0),  # type: ignore[arg-type]
        crisis_region=_opt_str(row.get("crisis_region")),
    )
    ids = [i for i in str(row.get("offered") or "").split(",") if i]
    if ids:
        context = replace(context, offered=buttons(ids, context))
    return context


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


def offered_buttons(engine: Engine, ids: Sequence[str], context: Context) -> tuple[Suggestion, ...]:
    """The buttons an intent id may have been offered under (its ``ask``, its title, a situation label,
    the crisis reply's offer, or its button to the question asked), written as the reader reads them: a typed follow-up is matched against
    these titles (:func:`faq.context.match_offered`), which only ever yields the button's intent id."""
    kb = engine.kb
    out: list[Suggestion] = []
    for intent_id in ids:
        intent = kb.intent(intent_id)
        if intent is None:
            continue
        titles = [intent.ask, intent.title]
        titles += [label for label, situation in kb.texts.situations if situation == intent_id]
        if context.traditional:
            titles = [use_reader_words(to_traditional(t, context.variant), context.words) for t in titles]
        if context.crisis_region is not None:
            with contextlib.suppress(ValueError):
                titles += _crisis_labels(engine, intent_id, Region(context.crisis_region), context)
        out += [Suggestion(intent_id, title) for title in dict.fromkeys(t for t in titles if t)]
    return tuple(out)


def _crisis_labels(engine: Engine, intent_id: str, region: Region, context: Context) -> list[str]:
    """The crisis reply's one button as it was shown: the offer to talk about the debt, or (right after the
    crisis reply) the question asked; the other regions' labels are written in their script already."""
    help = engine.crisis.help_for(region)
    intent = engine.kb.intent(intent_id)
    if engine.kb.crisis.offer_intent == intent_id:
        label = help.offer_button
    elif context.kind == "crisis" and intent is not None:  # the button opened the question asked
        label = help.topic_button(intent.title)
    else:
        return []
    if context.traditional and help.region is Region.MAINLAND:
        label = to_traditional(label)
    return [use_reader_words(label, context.words) if context.traditional else label]


class SharedContexts:
    """Contexts in the ledger's database, keyed by a keyed hash of the chat id (see the module docstring).
    ``buttons`` rebuilds the offered buttons from their ids (:func:`offered_buttons` with the current
    engine); ``clock`` (epoch seconds) decides when expired rows are purged."""

    def __init__(
        self,
        ledger: UpdateLedger,
        secret: str,
        buttons: Buttons,
        *,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.key = hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()
        self.buttons = buttons
        self.timeout = timeout
        self.clock = clock
        self._last_purge = float("-inf")
        self._down_until = float("-inf")
        self._last_warning = -WARNING_INTERVAL

    def chat_key(self, chat: Hashable) -> str:
        return hmac.new(self.key, str(chat).encode(), hashlib.sha256).hexdigest()

    async def load(self, chat: Hashable, now: float) -> Context | None:
        """The chat's context (None: the database has none, or it expired); raises
        :class:`ContextUnavailable` when the database did not answer within :attr:`timeout`, and for
        :data:`RETRY_AFTER` seconds after that without asking (a frozen database costs one wait, not one
        per reply)."""
        if time.monotonic() < self._down_until:
            raise ContextUnavailable("the database did not answer a moment ago")
        try:
            row = await asyncio.wait_for(self._select(self.chat_key(chat), now), self.timeout)
        except Exception as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            self._warn("load", exc)
            raise ContextUnavailable(describe_error(exc)) from exc
        return current(from_row(row, self.buttons), now) if row is not None else None

    async def save(self, chat: Hashable, context: Context) -> None:
        try:
            await asyncio.wait_for(self._upsert(to_row(self.chat_key(chat), context)), self.timeout)
        except Exception as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            self._warn("save", exc)

    async def purge(self) -> int:
        """Delete the rows expired by now; how many."""

        now = self.clock()

        async def work(conn: AsyncConnection) -> int:
            result = await conn.execute(delete(bot_context).where(bot_context.c.expires_at < now))
            return max(result.rowcount or 0, 0)

        return await self.ledger.run(work)

    async def _select(self, chat_key: str, now: float) -> dict[str, object] | None:
        engine = await self.ledger.engine()
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(bot_context).where(bot_context.c.chat_key == chat_key, bot_context.c.expires_at >= now)
                )
            ).mappings().first()
        return dict(row) if row is not None else None

    async def _upsert(self, row: dict[str, object]) -> None:
        insert = (postgresql.insert if self.ledger.dialect == "postgresql" else sqlite.insert)(bot_context)
        statement = insert.values(row).on_conflict_do_update(
            index_elements=[bot_context.c.chat_key],
            set_={name: value for name, value in row.items() if name != "chat_key"},
        )
        now = self.clock()
        purge = now - self._last_purge >= PURGE_INTERVAL
        if purge:
            self._last_purge = now

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(statement)
            if purge:
                await conn.execute(delete(bot_context).where(bot_context.c.expires_at < now))

        await self.ledger.run(work)

    def _warn(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARNING_INTERVAL:
            self._last_warning = now
            log_event(
                "shared_context_unavailable",
                level=logging.WARNING,
                logger=__name__,
                what=what,
                error=describe_error(exc),
            )


__all__ = [
    "ContextBackend",
    "ContextUnavailable",
    "SharedContexts",
    "from_row",
    "offered_buttons",
    "to_row",
]
