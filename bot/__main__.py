"""``python -m bot``: the one entry point. The mode comes from the environment (see ``.env.example``):

- no ``TELEGRAM_BOT_TOKEN``: a console chat on stdin / stdout;
- ``TELEGRAM_BOT_TOKEN``: long polling;
- ``TELEGRAM_BOT_TOKEN`` + ``WEBHOOK_URL``: a webhook server on ``$PORT`` with ``/healthz``.

``BOT_MODE`` (or ``--mode``) forces one: ``auto`` (default), ``console``, ``polling``, ``webhook``.
Exit codes: 0 after a clean stop (EOF, SIGTERM, Ctrl-C), 1 when Telegram cannot be used, 2 for a
configuration or knowledge-base error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.config import Mode, Settings, SettingsError
from bot.log import configure_logging, secrets_from_env
from bot.service import EngineHolder, open_usage_store
from faq.kb import KnowledgeBaseError
from faq.usage import UsageStore
from faq.usage.settings import StoreSettingsError

logger = logging.getLogger("bot")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Telegram assistant for overdue online-loan borrowers (console chat without a token).",
    )
    parser.add_argument(
        "--mode",
        choices=[m.value for m in Mode],
        help="override BOT_MODE: auto (default), console, polling or webhook",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    env = dict(os.environ)
    configure_logging("INFO", "text", secrets_from_env(env))
    try:
        settings = Settings.from_env(env, args.mode)
    except SettingsError as exc:
        print("Configuration error (see .env.example):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2

    level = settings.log_level
    if settings.mode is Mode.CONSOLE and not env.get("LOG_LEVEL"):
        level = "WARNING"  # keep the chat readable
    configure_logging(level, settings.log_format, settings.secrets())
    settings.log_notes(logger)

    try:
        holder = EngineHolder.load(settings.kb_path)
    except KnowledgeBaseError as exc:
        print(f"The knowledge base cannot be loaded ({len(exc.problems)} problem(s)):", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 2
    try:
        store = open_usage_store(env)
    except StoreSettingsError as exc:
        print("Usage log configuration error (see .env.example):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2

    try:
        if settings.mode is Mode.CONSOLE:
            from bot.console import run_console

            return asyncio.run(run_console(holder, store))
        return asyncio.run(_serve(settings, holder, store, env))
    except KeyboardInterrupt:
        return 0
    except InvalidToken:
        logger.error("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots -> API Token)")
        return 1
    except NetworkError as exc:
        logger.error(
            "cannot reach the Telegram Bot API (%s): %s", settings.base_url or "api.telegram.org", exc
        )
        return 1
    except TelegramError as exc:
        logger.error("Telegram refused to start the bot: %s", exc)
        return 1
    except RuntimeError as exc:
        logger.error("%s", exc)
        return 1


async def _serve(settings: Settings, holder: EngineHolder, store: UsageStore, env: dict[str, str]) -> int:
    from bot.app import build_application
    from bot.ledger import ledger_from_env

    ledger = ledger_from_env(env, settings.token)
    application = build_application(settings, holder, store, ledger)
    if settings.mode is Mode.WEBHOOK:
        from bot.webhook import run_webhook

        await run_webhook(application, settings, holder, ledger)
    else:
        from bot.runner import run_polling

        await run_polling(application, holder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
