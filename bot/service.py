"""The reply logic shared by the Telegram handlers and the console chat.

- :class:`EngineHolder` owns the current :class:`~faq.engine.Engine`; ``/reload`` (or SIGHUP) loads the
  knowledge base again and swaps it in one assignment, keeping the last good one when the file is invalid.
- :class:`Assistant` turns a message, a button press or ``/stage N`` into an :class:`Answered` (the engine's
  reply + a fresh answer id), counts it, logs one structured line and hands the usage event to the store
  without waiting for it.
- :class:`Stats`: the in-process counters for ``/stats``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.log import log_event, log_update
from faq import memory
from faq.context import Context, ContextStore
from faq.engine import DEFAULT_KB_PATH, Engine
from faq.kb import KnowledgeBaseError
from faq.normalize import is_traditional, safe_text, to_traditional
from faq.reply import Reply, ReplyKind
from faq.usage import AnswerEvent, Feedback, NullStore, UsageStore, new_answer_id

if TYPE_CHECKING:
    from bot.conversations import ContextBackend

logger = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], object]
#: Votes remembered for /stats so that a double tap on 👍 counts once (the oldest are forgotten first).
MAX_REMEMBERED_VOTES = 10_000
MAX_STAGE_DAYS = 36_500
_HAN = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"(?<!\d)([-+]?\d{1,18})")

# Bot-level texts (the knowledge base holds the borrower-facing ones); Simplified, converted on demand.
RELOAD_OK = "知识库已重新加载:{intents} 个话题,{examples} 条例句。"
RELOAD_FAILED = "新的知识库有错误,没有加载;机器人继续使用之前的版本。请修改后再发 /reload:"


def localize(text: str, traditional: bool) -> str:
    return to_traditional(text) if traditional else text


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def valid_text(text: str) -> str:
    """``text`` with lone surrogates and other unencodable code points replaced (uncut): Telegram's JSON may
    carry them, and neither OpenCC, the logs nor the database accept them."""
    return safe_text(text, len(text))


def script_of(text: str) -> bool | None:
    """True / False when the text shows the user's script (it has Chinese characters), else None."""
    text = valid_text(text)
    return is_traditional(text) if has_han(text) else None


# ------------------------------------------------------------------------------------------- the engine


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    message: str  # a summary when ok, else the KnowledgeBaseError text (one line per problem)
    intents: int = 0
    examples: int = 0


class EngineHolder:
    """The current engine; ``engine`` is replaced atomically (one attribute assignment) on reload."""

    def __init__(self, engine: Engine, path: Path | None = None) -> None:
        self.engine = engine
        self.path = Path(path) if path else DEFAULT_KB_PATH
        self._lock = asyncio.Lock()
        #: Called after a successful reload asked for here (/reload, SIGHUP), to make the other replicas
        #: reload too (bot.shared.KnowledgeBaseVersion.bump).
        self.broadcast: Callable[[], Coroutine[Any, Any, object]] | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> EngineHolder:
        """Load the knowledge base (raises :class:`KnowledgeBaseError` when it is invalid)."""
        return cls(Engine.load(path), path)

    async def reload(self, *, broadcast: bool = True) -> ReloadResult:
        """Load the knowledge base again; with ``broadcast`` (the default) other replicas follow."""
        result = await self._reload()
        if result.ok and broadcast and self.broadcast is not None:
            await self.broadcast()
        return result

    async def _reload(self) -> ReloadResult:
        async with self._lock:
            try:
                engine = await asyncio.to_thread(Engine.load, self.path)
            except KnowledgeBaseError as exc:
                log_event(
                    "reload", level=logging.WARNING, logger=__name__, ok=False, problems=len(exc.problems)
                )
                return ReloadResult(False, str(exc))
            except Exception as exc:  # never lose the running knowledge base
                logger.exception("reload failed")
                return ReloadResult(False, f"{self.path}: {type(exc).__name__}: {exc}")
            self.engine = engine
            # The previous engine is garbage once the messages it is answering are done: give its memory back.
            await asyncio.to_thread(memory.release)
            kb = engine.kb
            log_event("reload", logger=__name__, ok=True, intents=len(kb.intents), examples=kb.example_count)
            return ReloadResult(
                True,
                RELOAD_OK.format(intents=len(kb.intents), examples=kb.example_count),
                len(kb.intents),
                kb.example_count,
            )


# ------------------------------------------------------------------------------------------------ stats


@dataclass
class Stats:
    started: float = field(default_factory=time.time)
    messages: int = 0  # text messages (and captions) received
    answered: int = 0  # replies with an answer or a stage block
    fallbacks: int = 0  # fallback / did-you-mean / out-of-scope replies
    crisis: int = 0
    buttons: int = 0  # topic / related / suggestion presses
    feedback: Counter[str] = field(default_factory=Counter)  # one vote per user and answer: the latest
    inline: int = 0
    non_text: int = 0
    rate_limited: int = 0
    errors: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    _votes: OrderedDict[tuple[str, str], str] = field(default_factory=OrderedDict, repr=False)

    def vote(self, answer_id: str, user_id: int | str, value: str) -> None:
        """Count a 👍 / 👎 / "都不是": a double tap counts once, a changed mind moves the vote."""
        key = (answer_id, str(user_id))
        previous = self._votes.pop(key, None)
        if previous is not None:
            self.feedback[previous] -= 1
        self._votes[key] = value
        self.feedback[value] += 1
        if len(self._votes) > MAX_REMEMBERED_VOTES:
            self._votes.popitem(last=False)

    def count(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.CRISIS:
            self.crisis += 1
        if reply.fell_back:
            self.fallbacks += 1
        elif reply.kind in (ReplyKind.ANSWER, ReplyKind.STAGE, ReplyKind.APR) or (
            reply.kind is ReplyKind.CRISIS and reply.intent
        ):
            self.answered += 1
        if reply.intent and not reply.fell_back:
            self.intents[reply.intent] += 1

    def render(self) -> str:
        uptime = int(time.time() - self.started)
        hours, rest = divmod(uptime, 3600)
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.started))
        lines = [
            f"since start ({started}, up {hours}h{rest // 60:02d}m):",
            f"messages: {self.messages}",
            f"answered: {self.answered}",
            f"fallbacks: {self.fallbacks}",
            f"crisis: {self.crisis}",
            f"button presses: {self.buttons}",
            f"feedback: 👍 {self.feedback['up']}  👎 {self.feedback['down']}  "
            f"none of these {self.feedback['none_of_these']}",
            f"inline queries: {self.inline}",
            f"non-text: {self.non_text}",
            f"rate-limited: {self.rate_limited}",
            f"errors: {self.errors}",
            "top intents: "
            + (", ".join(f"{intent} {n}" for intent, n in self.intents.most_common(5)) or "-"),
        ]
        return "\n".join(lines)


# -------------------------------------------------------------------------------------------- assistant


@dataclass(frozen=True, slots=True)
class Answered:
    reply: Reply
    answer_id: str
    user_id: int | str
    chat_type: str
    question: str | None
    started: float  # time.perf_counter() when the update arrived


def parse_stage_args(engine: Engine, args: str) -> tuple[int, str | None] | None:
    """``"10 极融"`` -> (10, "jirong"); also "10天", "极融 十天", "两个月"; None without a day count."""
    args = args.strip()
    if not args:
        return None
    platform = engine.parse_platform(args)
    match = _NUMBER.search(args)
    if match is not None:
        days = int(match.group(1))
    else:
        days_found = engine.understand(args).days
        if days_found is None:
            return None
        days = days_found
    return max(-MAX_STAGE_DAYS, min(days, MAX_STAGE_DAYS)), platform


class Assistant:
    def __init__(
        self,
        holder: EngineHolder,
        store: UsageStore | None = None,
        stats: Stats | None = None,
        spawn: Spawn | None = None,
        shared: ContextBackend | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.holder = holder
        self.store: UsageStore = store or NullStore()
        self.stats = stats or Stats()
        self.spawner = spawn
        self._tasks: set[asyncio.Task[Any]] = set()
        #: The conversation of each chat (30 minutes, bounded): follow-ups, days, platform, script. With a
        #: ``shared`` backend (replicas: bot/conversations.py) this is the replica's cache and fallback,
        #: filled by :meth:`conversation`.
        self.contexts = ContextStore()
        self.shared = shared
        self.clock = clock
        self._turn_locks: dict[Hashable, asyncio.Lock] = {}
        self._turns: dict[Hashable, int] = {}

    @property
    def engine(self) -> Engine:
        return self.holder.engine

    def text(self, key: str, traditional: bool = False) -> str:
        return self.engine.text(key, traditional)

    def is_crisis(self, text: str) -> bool:
        """Whether the message speaks of self-harm or despair (the engine's own check), anywhere in it: not
        only in the first MAX_INPUT_CHARS characters the engine matches on."""
        return self.engine.speaks_of_crisis(text)

    # --- understanding ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def conversation(self, chat: Hashable | None) -> AsyncIterator[None]:
        """Around a turn of ``chat`` (:meth:`ask`, :meth:`choose`, :meth:`more`, :meth:`stage`): its context
        is read from the shared backend first (another replica may have served the last turn) and written
        back after. When the backend does not answer, the turn goes on with this replica's memory."""
        if chat is None or self.shared is None:
            yield
            return
        from bot.conversations import ContextUnavailable

        # One turn of a chat at a time in this replica (updates are handled concurrently): a second message
        # of the same chat reads the context the first one wrote.
        lock = self._turn_locks.setdefault(chat, asyncio.Lock())
        self._turns[chat] = self._turns.get(chat, 0) + 1
        try:
            async with lock:
                now = self.clock()
                before: Context | None
                shared = True
                try:
                    before = await self.shared.load(chat, now)
                except ContextUnavailable:  # go on with this replica's memory; do not wait a second time
                    before, shared = self.contexts.peek(chat), False
                else:
                    if before is None:
                        self.contexts.discard(chat)
                    else:
                        self.contexts.set(chat, before)
                yield
                after = self.contexts.peek(chat)
                if shared and after is not None and after is not before:
                    await self.shared.save(chat, after)
        finally:
            self._turns[chat] -= 1
            if not self._turns[chat]:
                del self._turns[chat], self._turn_locks[chat]

    def ask(
        self,
        text: str,
        *,
        user_id: int | str,
        chat_type: str,
        started: float | None = None,
        traditional: bool | None = None,
        chat: Hashable | None = None,
    ) -> Answered:
        """Answer a message; ``traditional`` is the user's script when the text itself does not show it.
        With ``chat`` the message continues that chat's conversation (follow-ups, day count, platform)."""
        started = time.perf_counter() if started is None else started
        self.stats.messages += 1
        text = valid_text(text)
        forced = traditional if script_of(text) is None else None
        if chat is None:
            reply = self.engine.reply(text, traditional=forced)
        else:
            now = self.clock()
            reply, context = self.engine.converse(text, self.contexts.get(chat, now), now, traditional=forced)
            self.contexts.set(chat, context)
        return Answered(reply, new_answer_id(), user_id, chat_type, text, started)

    def choose(
        self,
        intent_id: str,
        traditional: bool,
        *,
        user_id: int | str,
        chat_type: str,
        started: float | None = None,
        chat: Hashable | None = None,
        days: int | None = None,
        platform: str | None = None,
    ) -> Answered | None:
        """A topic / related / situation button (carrying the day count and platform of its answer)."""
        started = time.perf_counter() if started is None else started
        now = self.clock()
        context = self.contexts.get(chat, now) if chat is not None else None
        pressed = self.engine.press(intent_id, context, now, traditional, days, platform)
        if pressed is None:
            return None
        reply, context = pressed
        if chat is not None:
            self.contexts.set(chat, context)
        self.stats.buttons += 1
        return Answered(reply, new_answer_id(), user_id, chat_type, None, started)

    def more(
        self,
        traditional: bool,
        *,
        user_id: int | str,
        chat_type: str,
        intent_id: str | None = None,
        started: float | None = None,
        chat: Hashable | None = None,
        days: int | None = None,
        platform: str | None = None,
    ) -> Answered:
        """The details behind "详细说明" (a button: ``intent_id``) or ``/more`` (the chat's last topic)."""
        started = time.perf_counter() if started is None else started
        now = self.clock()
        context = self.contexts.get(chat, now) if chat is not None else None
        reply, context = self.engine.more(context, now, traditional, intent_id, days, platform)
        if chat is not None:
            self.contexts.set(chat, context)
        return Answered(reply, new_answer_id(), user_id, chat_type, None, started)

    def stage(
        self,
        args: str,
        traditional: bool,
        *,
        user_id: int | str,
        chat_type: str,
        started: float | None = None,
        chat: Hashable | None = None,
    ) -> Answered | None:
        """``/stage N [platform]``; None when no day count was given (show the ``stage_usage`` text)."""
        started = time.perf_counter() if started is None else started
        parsed = parse_stage_args(self.engine, args)
        if parsed is None:
            return None
        days, platform = parsed
        now = self.clock()
        context = self.contexts.get(chat, now) if chat is not None else None
        reply, context = self.engine.stage_turn(days, platform, traditional, context, now)
        if chat is not None:
            self.contexts.set(chat, context)
        return Answered(reply, new_answer_id(), user_id, chat_type, None, started)

    # --- bookkeeping -----------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a store write in the background (never awaited in the reply path)."""
        if self.spawner is not None:
            self.spawner(coro)
            return
        self.track(coro)

    def track(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` as a task of our own, awaited by :meth:`drain`."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for background writes started with the default spawner (the console's exit)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def finish(
        self, answered: Answered, *, update: str, update_id: int | None = None, sent: bool = True
    ) -> None:
        """Count the reply, record its usage event in the background and log the update's line."""
        reply = answered.reply
        latency_ms = (time.perf_counter() - answered.started) * 1000
        # Words of despair are never stored nor logged, at any level.
        question = None if reply.crisis else answered.question
        self.stats.count(reply)
        event = AnswerEvent(
            answer_id=answered.answer_id,
            user_id=answered.user_id,
            chat_type=answered.chat_type,
            intent=reply.intent,
            confidence=reply.confidence,
            days=reply.days,
            platform=reply.platform,
            fell_back=reply.fell_back,
            latency_ms=latency_ms,
            kind=reply.kind.value,
            question=question,
        )
        self.spawn(self.store.record_answer(event))
        log_update(
            question,
            type=update,
            id=update_id,
            chat=answered.chat_type,
            kind=reply.kind.value,
            intent=reply.intent,
            confidence=round(reply.confidence, 3),
            days=reply.days,
            platform=reply.platform,
            traditional=reply.traditional,
            sent=sent,
            latency_ms=round(latency_ms, 1),
        )

    def feedback(self, answer_id: str, user_id: int | str, value: Feedback) -> None:
        self.stats.vote(answer_id, user_id, value.value)
        self.spawn(self.store.record_feedback(answer_id, user_id, value))


async def start_store(store: UsageStore) -> UsageStore:
    """``await store.start()``; a store that cannot start is replaced by :class:`NullStore` (the bot keeps
    answering without the usage log)."""
    try:
        await store.start()
    except Exception:
        logger.exception("usage log: could not start the store; continuing without the usage log")
        return NullStore()
    return store


def open_usage_store(env: Mapping[str, str]) -> UsageStore:
    """The usage store the environment asks for (:mod:`faq.usage.store`: SQLite by default, PostgreSQL with
    ``DATABASE_URL``, off with ``USAGE_LOG=0``); not started yet. Raises
    :class:`faq.usage.settings.StoreSettingsError` for unusable settings."""
    from faq.usage.settings import StoreSettings
    from faq.usage.store import open_store

    return open_store(StoreSettings.from_env(env))
