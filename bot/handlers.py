"""The Telegram update handlers: one ``async def`` callback per concern, registered by :mod:`bot.app`.

All the answering logic lives in :class:`bot.service.Assistant` (shared with the console chat); the
callbacks here read the update, apply the group and flood rules, render HTML with :mod:`bot.render` and
send it.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.log import log_event, log_update, traceback_without_messages
from bot.ratelimit import FloodLimiter, Verdict
from bot.render import (
    Chunk,
    FeedbackPress,
    IntentPress,
    decode_callback,
    escape,
    menu_keyboard,
    pre_block,
    render_reply,
    render_text,
    resolve_intent,
    single_message,
    without_feedback,
)
from bot.service import (
    RELOAD_FAILED,
    Answered,
    Assistant,
    Stats,
    script_of,
)
from faq.reply import Reply, ReplyKind, Suggestion
from faq.usage import AnswerEvent, Feedback, new_answer_id

logger = logging.getLogger(__name__)

TRADITIONAL_LANGUAGES = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
MAX_INLINE_TOPICS = 30
MAX_REMEMBERED_USERS = 50_000


class ScriptMemory:
    """Which script (Simplified / Traditional) each user last wrote in; bounded, least recently used out."""

    def __init__(self, size: int = MAX_REMEMBERED_USERS) -> None:
        self.size = size
        self._data: OrderedDict[int, bool] = OrderedDict()

    def get(self, user_id: int) -> bool | None:
        value = self._data.get(user_id)
        if value is not None:
            self._data.move_to_end(user_id)
        return value

    def set(self, user_id: int, traditional: bool) -> None:
        self._data[user_id] = traditional
        self._data.move_to_end(user_id)
        while len(self._data) > self.size:
            self._data.popitem(last=False)


def _user_id(update: Update) -> int:
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat else 0


def _chat_type(update: Update) -> str:
    return update.effective_chat.type if update.effective_chat else "unknown"


def _update_kind(update: Update) -> str:
    if update.edited_message is not None:
        return "edited_message"
    if update.callback_query is not None:
        return "callback_query"
    if update.inline_query is not None:
        return "inline_query"
    return "message"


#: Telegram sends an inline query per keystroke, so inline queries get their own, wider limit (per process:
#: they are cheap, and Telegram caches the answers) rather than eating into the user's message limit.
INLINE_QUERIES_PER_MESSAGE = 5


class Handlers:
    def __init__(self, settings: Settings, assistant: Assistant, limiter: FloodLimiter) -> None:
        self.settings = settings
        self.assistant = assistant
        self.limiter = limiter
        self.inline_limiter = FloodLimiter(limiter.limit * INLINE_QUERIES_PER_MESSAGE, limiter.window)
        self.scripts = ScriptMemory()

    @property
    def stats(self) -> Stats:
        return self.assistant.stats

    # ----------------------------------------------------------------------------------------- helpers

    def _traditional(self, update: Update, text: str | None = None) -> bool:
        """The script to answer in: the text's own, else what the user wrote last, else their app language."""
        user = update.effective_user
        seen = script_of(text) if text else None
        if seen is not None:
            if user is not None:
                self.scripts.set(user.id, seen)
            return seen
        if user is not None:
            remembered = self.scripts.get(user.id)
            if remembered is not None:
                return remembered
            return (user.language_code or "").lower() in TRADITIONAL_LANGUAGES
        return False

    async def _refused_unless_admin(self, update: Update, message: Message) -> bool:
        """Maintainer commands: a polite refusal (and True) for anyone not in ADMIN_IDS."""
        user = update.effective_user
        if self.settings.is_admin(user.id if user else None):
            return False
        trad = self._traditional(update)
        await self._send_chunks(message, self._text_chunks(self.assistant.engine.text("admin_only", trad)))
        log_update(type=_update_kind(update), id=update.update_id, chat=_chat_type(update), kind="refused")
        return True

    async def _allowed(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None
    ) -> bool:
        """The per-user flood limit; admins are exempt, and so is a message of despair (``text``): crisis
        help is never withheld. Over the limit: one polite note per window."""
        user = update.effective_user
        if user is None or self.settings.is_admin(user.id):
            return True
        verdict = await self.limiter.acheck(user.id)
        if verdict is Verdict.ALLOW:
            return True
        if text and self.assistant.is_crisis(text):
            return True
        self.stats.rate_limited += 1
        log_update(
            type=_update_kind(update), id=update.update_id, chat=_chat_type(update), kind="rate_limited"
        )
        note = self.assistant.text("rate_limited", self._traditional(update))
        if update.callback_query is not None:
            await update.callback_query.answer(note if verdict is Verdict.NOTIFY else None)
        elif verdict is Verdict.NOTIFY and update.effective_message is not None:
            await self._send_chunks(update.effective_message, [Chunk(h) for h in render_text(note)])
        return False

    def _addressed(self, message: Message, bot: Bot) -> tuple[bool, str]:
        """In a group: is the message for us (a mention or a reply to us)? And its text minus the mention."""
        text = message.text or message.caption or ""
        username = bot.username or ""
        mentioned = False
        if username:
            # Not \b: "@bot逾期..." (no space before Chinese text) is a mention too.
            pattern = re.compile(rf"@{re.escape(username)}(?![A-Za-z0-9_])", re.IGNORECASE)
            if pattern.search(text):
                mentioned = True
                text = pattern.sub(" ", text)
        entities = message.parse_entities([MessageEntity.TEXT_MENTION]) or message.parse_caption_entities(
            [MessageEntity.TEXT_MENTION]
        )
        if any(e.user is not None and e.user.id == bot.id for e in entities):
            mentioned = True
        original = message.reply_to_message
        replied = (
            original is not None
            and original.forum_topic_created is None
            and original.from_user is not None
            and original.from_user.id == bot.id
        )
        return mentioned or replied, text.strip()

    async def _send_chunks(self, message: Message, chunks: Sequence[Chunk]) -> None:
        group = message.chat.type != ChatType.PRIVATE
        for i, chunk in enumerate(chunks):
            await message.reply_text(
                chunk.html, parse_mode=ParseMode.HTML, reply_markup=chunk.markup, do_quote=group and i == 0
            )

    async def _send_to_chat(self, bot: Bot, chat_id: int, chunks: Sequence[Chunk]) -> None:
        for chunk in chunks:
            await bot.send_message(chat_id, chunk.html, parse_mode=ParseMode.HTML, reply_markup=chunk.markup)

    def _chunks(self, answered: Answered) -> list[Chunk]:
        reply = answered.reply
        label = self.assistant.text("none_of_these", reply.traditional)
        details = self.assistant.text("details_button", reply.traditional) or None
        return render_reply(reply, answered.answer_id, label, details_label=details)

    def _text_chunks(self, text: str, markup: InlineKeyboardMarkup | None = None) -> list[Chunk]:
        chunks = [Chunk(h) for h in render_text(text)] or [Chunk("…")]
        if markup is not None:
            chunks[-1] = Chunk(chunks[-1].html, markup)
        return chunks

    # ---------------------------------------------------------------------------------------- commands

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not await self._allowed(update, context):
            return
        started = time.perf_counter()
        trad = self._traditional(update)
        welcome = self.assistant.text("welcome", trad)
        disclaimer = self.assistant.text("disclaimer", trad)
        if disclaimer not in welcome:
            welcome = f"{welcome}\n\n{disclaimer}"
        menu = menu_keyboard(self.assistant.engine.topics(trad), trad)
        await self._send_chunks(message, self._text_chunks(welcome, menu))
        log_update(
            type=_update_kind(update),
            id=update.update_id,
            chat=_chat_type(update),
            kind="start",
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        # Deep link (t.me/<bot>?start=<intent_id>): show that answer too.
        if context.args and self.assistant.engine.kb.intent(context.args[0]) is not None:
            answered = self.assistant.choose(
                context.args[0], trad, user_id=_user_id(update), chat_type=_chat_type(update)
            )
            if answered is not None:
                await self._send_answer(message, answered, update)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not await self._allowed(update, context):
            return
        trad = self._traditional(update)
        await self._send_chunks(message, self._text_chunks(self.assistant.text("help", trad)))
        log_update(type=_update_kind(update), id=update.update_id, chat=_chat_type(update), kind="help")

    async def topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not await self._allowed(update, context):
            return
        trad = self._traditional(update)
        menu = menu_keyboard(self.assistant.engine.topics(trad), trad)
        await self._send_chunks(
            message, self._text_chunks(self.assistant.engine.text("topics_heading", trad), menu)
        )
        log_update(type=_update_kind(update), id=update.update_id, chat=_chat_type(update), kind="topics")

    async def stage(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not await self._allowed(update, context):
            return
        started = time.perf_counter()
        args = " ".join(context.args or [])
        trad = self._traditional(update, args)
        async with self.assistant.conversation(message.chat.id):
            answered = self.assistant.stage(
                args,
                trad,
                user_id=_user_id(update),
                chat_type=_chat_type(update),
                started=started,
                chat=message.chat.id,
            )
        if answered is None:
            await self._send_chunks(
                message, self._text_chunks(self.assistant.engine.text("stage_usage", trad))
            )
            log_update(type=_update_kind(update), id=update.update_id, chat=_chat_type(update), kind="usage")
            return
        await self._send_answer(message, answered, update)

    async def more(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/more``: the details of the last answer in this chat (as the "详细说明" button)."""
        message = update.effective_message
        if message is None or not await self._allowed(update, context):
            return
        started = time.perf_counter()
        async with self.assistant.conversation(message.chat.id):
            answered = self.assistant.more(
                self._traditional(update),
                user_id=_user_id(update),
                chat_type=_chat_type(update),
                started=started,
                chat=message.chat.id,
            )
        await self._send_answer(message, answered, update)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any other /command in a private chat: the help text."""
        await self.help(update, context)

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if await self._refused_unless_admin(update, message):
            return
        result = await self.assistant.holder.reload()
        if result.ok:
            html_text = escape(f"✅ {result.message}\n{self.assistant.holder.path}")
        else:
            html_text = pre_block(result.message, f"❌ {escape(RELOAD_FAILED)}\n")
        await self._send_chunks(message, [Chunk(html_text)])
        log_update(
            type=_update_kind(update),
            id=update.update_id,
            chat=_chat_type(update),
            kind="reload",
            ok=result.ok,
        )

    async def stats_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if await self._refused_unless_admin(update, message):
            return
        try:
            summary = await self.assistant.store.summary(7)
        except Exception as exc:  # the store promises not to raise; /stats must work anyway
            summary = f"usage log: unavailable ({type(exc).__name__})"
        text = f"{self.stats.render()}\n\nusage log, last 7 days:\n{summary}"
        await self._send_chunks(message, [Chunk(pre_block(text))])
        log_update(type=_update_kind(update), id=update.update_id, chat=_chat_type(update), kind="stats")

    # ---------------------------------------------------------------------------------------- messages

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message (or a captioned photo / file): the engine's answer. Groups: only when addressed."""
        started = time.perf_counter()
        message = update.effective_message
        if message is None:
            return
        if message.via_bot is not None and message.via_bot.id == context.bot.id:
            return  # one of our own inline answers, shared into the chat
        text = message.text or message.caption or ""
        if message.chat.type != ChatType.PRIVATE:
            addressed, text = self._addressed(message, context.bot)
            if not addressed:
                return
        if not await self._allowed(update, context, text):
            return
        traditional = self._traditional(update, text)
        async with self.assistant.conversation(message.chat.id):
            answered = self.assistant.ask(
                text,
                user_id=_user_id(update),
                chat_type=message.chat.type,
                started=started,
                traditional=traditional,
                chat=message.chat.id,
            )
        await self._send_answer(message, answered, update)

    async def _send_answer(self, message: Message, answered: Answered, update: Update) -> None:
        sent = False
        try:
            await self._send_chunks(message, self._chunks(answered))
            sent = True
        finally:
            self.assistant.finish(
                answered, update=_update_kind(update), update_id=update.update_id, sent=sent
            )

    async def non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, files, locations...: ask for a typed question (private chats, or replies
        to us in groups)."""
        message = update.effective_message
        if message is None:
            return
        if message.chat.type != ChatType.PRIVATE and not self._addressed(message, context.bot)[0]:
            return
        if not await self._allowed(update, context):
            return
        self.stats.non_text += 1
        trad = self._traditional(update)
        await self._send_chunks(message, self._text_chunks(self.assistant.text("non_text", trad)))
        log_update(type=_update_kind(update), id=update.update_id, chat=message.chat.type, kind="non_text")

    # ----------------------------------------------------------------------------------------- buttons

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.perf_counter()
        query = update.callback_query
        if query is None:
            return
        press = decode_callback(query.data)
        if press is None:
            await query.answer()
            log_update(type="callback_query", id=update.update_id, kind="unknown_button")
            return
        if not await self._allowed(update, context):
            return
        chat = query.message.chat if query.message is not None else None
        chat_type = chat.type if chat is not None else "inline"
        if isinstance(press, FeedbackPress):
            await self._feedback(update, context, press)
            return
        assert isinstance(press, IntentPress)
        engine = self.assistant.engine
        intent_id = resolve_intent(press, (i.id for i in engine.kb.intents))
        answered: Answered | None = None
        chat_key = chat.id if chat is not None else None
        async with self.assistant.conversation(chat_key if intent_id is not None else None):
            if intent_id is not None and press.details:
                if engine.kb.intent(intent_id) is not None:
                    answered = self.assistant.more(
                        press.traditional,
                        user_id=query.from_user.id,
                        chat_type=chat_type,
                        intent_id=intent_id,
                        started=started,
                        chat=chat_key,
                        days=press.days,
                        platform=press.platform,
                    )
            elif intent_id is not None:
                answered = self.assistant.choose(
                    intent_id,
                    press.traditional,
                    user_id=query.from_user.id,
                    chat_type=chat_type,
                    started=started,
                    chat=chat_key,
                    days=press.days,
                    platform=press.platform if engine.kb.platform(press.platform) else None,
                )
        if answered is None or chat is None:
            await query.answer(
                self.assistant.engine.text("stale_button", press.traditional) if answered is None else None
            )
            log_update(type="callback_query", id=update.update_id, kind="stale_button")
            return
        await query.answer()
        sent = False
        try:
            await self._send_to_chat(context.bot, chat.id, self._chunks(answered))
            sent = True
        finally:
            self.assistant.finish(answered, update="callback_query", update_id=update.update_id, sent=sent)

    async def _feedback(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, press: FeedbackPress
    ) -> None:
        query = update.callback_query
        assert query is not None
        self.assistant.feedback(press.answer_id, query.from_user.id, press.value)
        log_update(type="callback_query", id=update.update_id, kind="feedback", value=press.value.value)
        if press.value is Feedback.NONE_OF_THESE:
            await query.answer()
            if query.message is not None:
                text = self.assistant.text("none_of_these_reply", press.traditional)
                await self._send_to_chat(context.bot, query.message.chat.id, self._text_chunks(text))
            return
        await query.answer(self.assistant.text("feedback_thanks", press.traditional))
        message = query.message
        if isinstance(message, Message) and message.reply_markup is not None:
            try:  # drop the 👍 👎 row so that the vote is not cast twice
                await message.edit_reply_markup(without_feedback(message.reply_markup))
            except TelegramError as exc:
                logger.debug("could not remove the feedback buttons: %s", exc)

    # ------------------------------------------------------------------------------------------ inline

    async def inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``@bot 逾期10天``: the best answer + 1-2 related or suggested ones; empty query: the topics."""
        started = time.perf_counter()
        query = update.inline_query
        if query is None:
            return
        self.stats.inline += 1
        user_id = query.from_user.id
        if not self.settings.is_admin(user_id) and self.inline_limiter.check(user_id) is not Verdict.ALLOW:
            self.stats.rate_limited += 1
            log_update(type="inline_query", id=update.update_id, kind="rate_limited")
            await query.answer([], cache_time=0, is_personal=True)  # stop the client's spinner, say nothing
            return
        text = query.query.strip()
        trad = self._traditional(update, text)
        engine = self.assistant.engine
        results: list[InlineQueryResultArticle] = []
        reply: Reply | None = engine.reply(text) if text else None
        if reply is None or reply.kind is ReplyKind.EMPTY:
            for n, topic in enumerate(engine.topics(trad)[:MAX_INLINE_TOPICS]):
                answer = engine.answer_intent(topic.intent, traditional=trad)
                if answer is not None:
                    results.append(self._article(n, topic.title, answer))
        else:
            extra: Sequence[Suggestion]
            if reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST) or reply.suggestions:
                extra = reply.suggestions[:3]  # no answer to share: offer the likely topics
            else:
                results.append(self._article(0, self._title(reply), reply))
                extra = reply.related[:2]
            for n, suggestion in enumerate(extra, start=len(results)):
                answer = engine.answer_intent(suggestion.intent, traditional=reply.traditional)
                if answer is not None:
                    results.append(self._article(n, suggestion.title, answer))
        # The topic list follows the user's script (remembered or app language): personal; answers to a
        # given text are the same for everybody.
        await query.answer(
            results, cache_time=300, is_personal=reply is None or reply.kind is ReplyKind.EMPTY
        )
        log_update(
            None if reply is not None and reply.crisis else (text or None),  # despair is never logged
            type="inline_query",
            id=update.update_id,
            kind=reply.kind.value if reply else "topics",
            intent=reply.intent if reply else None,
            confidence=round(reply.confidence, 3) if reply else None,
            days=reply.days if reply else None,
            platform=reply.platform if reply else None,
            results=len(results),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _title(self, reply: Reply) -> str:
        if reply.intent and reply.kind is ReplyKind.ANSWER:
            title = self.assistant.engine.title(reply.intent, reply.traditional)
            if title:
                return title
        first = reply.parts[0] if reply.parts else None
        if first is None:
            return "…"
        return (first.heading or first.body.strip().split("\n", 1)[0])[:60]

    @staticmethod
    def _article(n: int, title: str, reply: Reply) -> InlineQueryResultArticle:
        body = reply.parts[0].body if reply.parts else reply.text
        description = " ".join(body.split())[:100]
        result_id = f"{n}:{reply.intent or reply.kind.value}"[:64]
        return InlineQueryResultArticle(
            id=result_id,
            title=title,
            description=description,
            input_message_content=InputTextMessageContent(single_message(reply), parse_mode=ParseMode.HTML),
        )

    async def chosen_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline answer was shared (arrives only with BotFather's /setinlinefeedback): log its usage."""
        chosen = update.chosen_inline_result
        if chosen is None:
            return
        intent = chosen.result_id.split(":", 1)[-1]
        known = self.assistant.engine.kb.intent(intent) is not None
        event = AnswerEvent(
            answer_id=new_answer_id(),
            user_id=chosen.from_user.id,
            chat_type="inline",
            intent=intent if known else None,
            confidence=1.0 if known else 0.0,
            days=None,
            platform=None,
            fell_back=not known,
            latency_ms=0.0,
            kind=ReplyKind.ANSWER.value if known else intent,
            question=chosen.query,
        )
        self.assistant.spawn(self.assistant.store.record_answer(event))
        log_update(type="chosen_inline_result", id=update.update_id, intent=event.intent)

    # ------------------------------------------------------------------------------------------ errors

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error (the log handler redacts secrets) and tell the user with a short apology."""
        self.stats.errors += 1
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):  # the user blocked the bot or left the group: nothing to say
            log_event("forbidden", logger=__name__, id=update_id, error=str(error)[:200])
            return
        if isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest):
            # Telegram unreachable or slow (TimedOut), or still 429 after AIORateLimiter's retries (RetryAfter
            # is no NetworkError): no traceback, and no apology that would be refused the same way.
            log_event(
                "network_error", level=logging.WARNING, logger=__name__, id=update_id, error=repr(error)
            )
            return
        if error is None:
            logger.error("error id=%s error=None", update_id)
        elif isinstance(error, TelegramError):  # Telegram's own words: they never quote the user's text
            logger.error(
                "error id=%s error=%s",
                update_id,
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
        else:
            # Any other exception's message may quote the user's text (a KeyError, a ValueError): the stack
            # at ERROR without the messages, the messages only at DEBUG (like the texts themselves).
            logger.error(
                "error id=%s error=%s\n%s", update_id, type(error).__name__, traceback_without_messages(error)
            )
            logger.debug("error id=%s message=%s", update_id, error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_message is None and update.callback_query is None:
            return
        if update.effective_chat.type != ChatType.PRIVATE and update.callback_query is None:
            message = update.effective_message
            if message is None:
                return
            if not (message.text or "").startswith("/") and not self._addressed(message, context.bot)[0]:
                return
        try:
            trad = self._traditional(update)
            text = self.assistant.text("error", trad)
            if update.callback_query is not None:
                await update.callback_query.answer(text)
            else:
                await context.bot.send_message(
                    update.effective_chat.id, escape(text), parse_mode=ParseMode.HTML
                )
        except Exception as exc:  # the apology is best effort (the user may have blocked the bot)
            logger.debug("could not send the apology: %s", type(exc).__name__)
