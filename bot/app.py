"""Builds the python-telegram-bot :class:`~telegram.ext.Application`: settings, handlers, rate limiting, and
the start-up / shutdown hooks (command list, usage store)."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Mode, Settings
from bot.conversations import SharedContexts, offered_buttons
from bot.delivery import RetryingLimiter
from bot.handlers import Handlers
from bot.ledger import Claim, RecentIds, UpdateLedger
from bot.log import log_event
from bot.ratelimit import FloodLimiter
from bot.service import Assistant, EngineHolder, Stats, start_store
from bot.shared import KnowledgeBaseVersion, SharedFloodLimiter
from bot.tools import register_tools
from faq.usage import UsageStore

logger = logging.getLogger(__name__)

#: The updates the bot asks Telegram for (polling and webhook alike).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.CHOSEN_INLINE_RESULT,
]

COMMANDS = [
    BotCommand("start", "开始:功能介绍和话题菜单"),
    BotCommand("topics", "全部常见问题"),
    BotCommand("stage", "逾期N天会怎样,例如 /stage 10 或 /stage 10 极融"),
    BotCommand("rate", "算借款的真实年化利率"),
    BotCommand("complaint", "生成催收投诉信"),
    BotCommand("more", "上一个回答的详细说明和法律依据"),
    BotCommand("help", "怎么提问"),
]

#: Retries of a failed request (429 after the wait Telegram asks for, 5xx, connection errors), all within
#: bot.delivery.RETRY_BUDGET seconds: see :mod:`bot.delivery`.
MAX_SEND_RETRIES = 7
#: Seconds to wait for Telegram's answer to a request once it is sent (PTB's default). A request that
#: timed out may have been delivered: it is not sent again.
READ_TIMEOUT = 5.0

#: The handler group of the polling deduplicator: before every other group (the /rate and /complaint
#: forms are group -1, the question handlers group 0).
DEDUPE_GROUP = -2
BotApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    settings: Settings, holder: EngineHolder, store: UsageStore, ledger: UpdateLedger | None = None
) -> BotApplication:
    """The application for polling (with an updater) or webhook mode (without one: updates come from
    :mod:`bot.webhook`, which deduplicates them itself). In polling mode a repeated ``update_id`` is dropped
    (in memory, and through ``ledger`` across restarts). Nothing is contacted until it is initialised."""
    if not settings.token:
        raise ValueError("build_application needs a bot token")
    stats = Stats()
    limiter = FloodLimiter(settings.flood_limit, settings.flood_window)
    kb_version: KnowledgeBaseVersion | None = None
    if ledger is not None:  # replicas share the flood limit and /reload through the ledger's database
        limiter = SharedFloodLimiter(ledger, settings.token, settings.flood_limit, settings.flood_window)
        kb_version = KnowledgeBaseVersion(ledger, lambda: holder.reload(broadcast=False))
        holder.broadcast = kb_version.bump
    shared: SharedContexts | None = None
    if ledger is not None:  # ... and each chat's conversation context
        shared = SharedContexts(ledger, settings.token, lambda ids, ctx: offered_buttons(holder.engine, ids, ctx))
    assistant = Assistant(holder, store, stats, shared=shared)
    handlers = Handlers(settings, assistant, limiter)

    async def post_init(application: BotApplication) -> None:
        assistant.store = await start_store(assistant.store)
        if ledger is not None and settings.mode is not Mode.WEBHOOK:
            await ledger.start()
        if kb_version is not None:
            kb_version.start()
        try:
            await application.bot.set_my_commands(COMMANDS)
        except TelegramError as exc:
            logger.warning("could not register the command list: %s", exc)

    async def post_shutdown(application: BotApplication) -> None:
        await assistant.drain()
        if kb_version is not None:
            await kb_version.stop()
        if ledger is not None and settings.mode is not Mode.WEBHOOK:
            await ledger.close()
        try:
            await assistant.store.close()
        except Exception:
            logger.exception("usage log: error while closing the store")

    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .concurrent_updates(settings.concurrent_updates)
        .rate_limiter(RetryingLimiter(settings.send_rate_limit, max_attempts=MAX_SEND_RETRIES + 1))
        .read_timeout(READ_TIMEOUT)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
        if settings.base_file_url:
            builder = builder.base_file_url(settings.base_file_url)
    if settings.mode is Mode.WEBHOOK:
        builder = builder.updater(None)
    application: BotApplication = builder.build()

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        # Store writes: tracked by PTB (awaited by stop()) while running; during shutdown our own tasks,
        # awaited in post_shutdown before the store closes.
        if application.running:
            application.create_task(coro)
        else:
            assistant.track(coro)

    assistant.spawner = spawn
    if settings.mode is not Mode.WEBHOOK:
        application.add_handler(TypeHandler(Update, deduplicator(ledger)), group=DEDUPE_GROUP)
    register_handlers(application, handlers)
    register_tools(application, handlers)
    application.bot_data["handlers"] = handlers
    return application


def deduplicator(ledger: UpdateLedger | None) -> Any:
    """A callback (for a DEDUPE_GROUP TypeHandler) that stops an update whose id was seen before."""
    recent = RecentIds()

    async def dedupe(update: Update, context: Any) -> None:
        update_id = update.update_id
        duplicate = not recent.add(update_id)
        if not duplicate and ledger is not None:
            duplicate = await ledger.claim(update_id, None) is Claim.DUPLICATE
        if duplicate:
            log_event("duplicate_update", logger=__name__, id=update_id)
            raise ApplicationHandlerStop

    return dedupe


def register_handlers(application: BotApplication, handlers: Handlers) -> None:
    messages = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    application.add_handler(CommandHandler("start", handlers.start, filters=messages))
    application.add_handler(CommandHandler("help", handlers.help, filters=messages))
    application.add_handler(CommandHandler("topics", handlers.topics, filters=messages))
    application.add_handler(CommandHandler(["stage", "days"], handlers.stage, filters=messages))
    application.add_handler(CommandHandler("more", handlers.more, filters=messages))
    application.add_handler(CommandHandler("reload", handlers.reload, filters=messages))
    application.add_handler(CommandHandler("stats", handlers.stats_command, filters=messages))
    application.add_handler(
        MessageHandler(messages & filters.COMMAND & filters.ChatType.PRIVATE, handlers.unknown_command)
    )
    application.add_handler(
        MessageHandler(messages & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND, handlers.text)
    )
    application.add_handler(
        MessageHandler(messages & ~filters.COMMAND & ~filters.StatusUpdate.ALL, handlers.non_text)
    )
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(handlers.inline))
    application.add_handler(ChosenInlineResultHandler(handlers.chosen_inline))
    application.add_error_handler(handlers.error)


def handlers_of(application: BotApplication) -> Handlers:
    handlers = application.bot_data["handlers"]
    assert isinstance(handlers, Handlers)
    return handlers
