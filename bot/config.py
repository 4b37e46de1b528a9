"""The bot's settings, read once from the environment and validated with friendly messages.

Every variable is documented in ``.env.example``. :meth:`Settings.from_env` collects *all* problems before
raising :class:`SettingsError`, so a maintainer fixes a deployment in one go.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PORT = 8080
DEFAULT_LISTEN_HOST = "0.0.0.0"
DEFAULT_FLOOD_LIMIT = 20  # messages per user per minute
DEFAULT_SEND_RATE_LIMIT = 30.0  # messages per second overall (Telegram's broadcast limit)
DEFAULT_CONCURRENT_UPDATES = 64
#: setWebhook's max_connections: how many updates Telegram sends at once (the webhook's backpressure).
DEFAULT_MAX_CONNECTIONS = 40
FLOOD_WINDOW_SECONDS = 60.0
#: The health check's path (bot.webhook serves it next to the webhook).
HEALTH_PATH = "/healthz"
#: Liveness: answers 200 whenever the process serves, also while starting or stopping.
LIVENESS_PATH = "/livez"

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
#: Telegram accepts 1-256 characters; fewer than 16 is guessable (and too short to redact from logs safely).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """The environment cannot be used; ``str()`` is one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Mode(StrEnum):
    AUTO = "auto"
    CONSOLE = "console"
    POLLING = "polling"
    WEBHOOK = "webhook"


def derive_webhook_secret(token: str) -> str:
    """A webhook secret derived from the bot token (HMAC-SHA256, hex): every replica computes the same one,
    and it cannot be guessed without the token."""
    return hmac.new(token.encode(), b"loan-faq-bot webhook secret v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Settings:
    mode: Mode
    token: str | None = field(default=None, repr=False)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen_host: str = DEFAULT_LISTEN_HOST
    port: int = DEFAULT_PORT
    base_url: str | None = None
    base_file_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    kb_path: Path | None = None
    flood_limit: int = DEFAULT_FLOOD_LIMIT
    flood_window: float = FLOOD_WINDOW_SECONDS
    send_rate_limit: float = DEFAULT_SEND_RATE_LIMIT
    concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    log_level: str = "INFO"
    log_format: str = "text"
    #: Things worth a warning at start (not errors), e.g. "PORT is set but WEBHOOK_URL is not".
    notes: tuple[str, ...] = ()

    @property
    def webhook_path(self) -> str:
        """The path part of ``WEBHOOK_URL`` that the webhook server serves ("/telegram")."""
        path = urlsplit(self.webhook_url or "").path
        return path if path else "/"

    def secrets(self) -> list[str]:
        """Strings that must never reach a log (the token, its secret half, the webhook secret)."""
        out: list[str] = []
        if self.token:
            out.append(self.token)
            out.append(self.token.split(":", 1)[-1])
        if self.webhook_secret:
            out.append(self.webhook_secret)
        return [s for s in out if s]

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    @classmethod
    def from_env(cls, env: Mapping[str, str], mode_override: str | None = None) -> Settings:
        problems: list[str] = []
        notes: list[str] = []

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is not None and not _TOKEN.match(token):
            problems.append(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters, digits, "
                "'_' or '-', as BotFather gives it); check for quotes or spaces"
            )

        raw_mode = (mode_override or get("BOT_MODE") or "auto").lower()
        try:
            mode = Mode(raw_mode)
        except ValueError:
            problems.append(f"BOT_MODE must be one of auto, console, polling, webhook (got {raw_mode!r})")
            mode = Mode.AUTO

        webhook_url = get("WEBHOOK_URL")
        if webhook_url is not None:
            parts = urlsplit(webhook_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(
                    "WEBHOOK_URL must be a full URL such as https://my-app.example.com/telegram "
                    f"(got {webhook_url!r})"
                )
            elif parts.scheme == "http":
                notes.append("WEBHOOK_URL uses http: Telegram's public Bot API only delivers to https URLs")
            if (parts.path or "/") in (HEALTH_PATH, LIVENESS_PATH):
                problems.append(
                    f"WEBHOOK_URL's path must not be {HEALTH_PATH} or {LIVENESS_PATH} (health checks); "
                    "use e.g. https://my-app.example.com/telegram"
                )

        if mode is Mode.AUTO:
            if token is None:
                mode = Mode.CONSOLE
            elif webhook_url is not None:
                mode = Mode.WEBHOOK
            else:
                mode = Mode.POLLING
                if get("PORT") is not None:
                    notes.append(
                        "PORT is set but WEBHOOK_URL is not, so the bot uses long polling and nothing "
                        "listens "
                        "on PORT. On a PaaS 'web' process set WEBHOOK_URL=https://<your-app-host>/telegram, "
                        "or run the bot as a 'worker' process"
                    )
        if mode in (Mode.POLLING, Mode.WEBHOOK) and token is None:
            problems.append(f"{mode.value} mode needs TELEGRAM_BOT_TOKEN (create a bot with @BotFather)")
        if mode is Mode.WEBHOOK and webhook_url is None:
            problems.append(
                "webhook mode (the Procfile's 'web' process) needs WEBHOOK_URL, the public https address "
                "Telegram should post updates to, e.g. WEBHOOK_URL=https://my-app.onrender.com/telegram; "
                "without a public address run the 'worker' process (long polling) instead"
            )

        secret = get("WEBHOOK_SECRET")
        if secret is not None and not _SECRET.match(secret):
            problems.append(
                "WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, '_' and '-' "
                "(a shorter one is easy to guess; or leave it unset to derive one from the token)"
            )
        if secret is None and token is not None and mode is Mode.WEBHOOK:
            secret = derive_webhook_secret(token)

        port = _int(get("PORT"), "PORT", DEFAULT_PORT, 1, 65535, problems)
        listen_host = get("LISTEN_HOST") or DEFAULT_LISTEN_HOST

        base_url = get("TELEGRAM_BASE_URL")
        base_file_url = get("TELEGRAM_BASE_FILE_URL")
        if base_url is not None:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(
                    f"TELEGRAM_BASE_URL must be a URL such as http://localhost:8081/bot (got {base_url!r})"
                )
            else:
                base_url = _api_url(base_url)
                if base_file_url is None:
                    base_file_url = _file_url(base_url)

        admin_ids: set[int] = set()
        for item in (get("ADMIN_IDS") or "").replace(";", ",").split(","):
            item = item.strip()
            if not item:
                continue
            try:
                admin_ids.add(int(item))
            except ValueError:
                problems.append(
                    f"ADMIN_IDS must be comma-separated numeric Telegram user ids (got {item!r}); "
                    "ask @userinfobot for yours"
                )

        kb_raw = get("KB_PATH")
        kb_path = Path(kb_raw).expanduser() if kb_raw else None
        if kb_path is not None and not kb_path.is_file():
            problems.append(f"KB_PATH: no such file {str(kb_path)!r}")

        flood_limit = _int(get("FLOOD_LIMIT"), "FLOOD_LIMIT", DEFAULT_FLOOD_LIMIT, 0, 100_000, problems)
        concurrent = _int(
            get("CONCURRENT_UPDATES"), "CONCURRENT_UPDATES", DEFAULT_CONCURRENT_UPDATES, 1, 4096, problems
        )
        max_connections = _int(
            get("WEBHOOK_MAX_CONNECTIONS"), "WEBHOOK_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 1, 100, problems
        )
        send_rate = DEFAULT_SEND_RATE_LIMIT
        raw_rate = get("SEND_RATE_LIMIT")
        if raw_rate is not None:
            try:
                send_rate = float(raw_rate)
                if send_rate < 0:
                    raise ValueError
            except ValueError:
                problems.append(
                    f"SEND_RATE_LIMIT must be a number of messages per second >= 0 (got {raw_rate!r})"
                )

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in _LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)} (got {log_level!r})")
            log_level = "INFO"
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in ("text", "json"):
            problems.append(f"LOG_FORMAT must be 'text' or 'json' (got {log_format!r})")

        if problems:
            raise SettingsError(problems)
        return cls(
            mode=mode,
            token=token,
            webhook_url=webhook_url,
            webhook_secret=secret,
            listen_host=listen_host,
            port=port,
            base_url=base_url,
            base_file_url=base_file_url,
            admin_ids=frozenset(admin_ids),
            kb_path=kb_path,
            flood_limit=flood_limit,
            send_rate_limit=send_rate,
            concurrent_updates=concurrent,
            max_connections=max_connections,
            log_level=log_level,
            log_format=log_format,
            notes=tuple(notes),
        )

    def log_notes(self, logger: logging.Logger) -> None:
        for note in self.notes:
            logger.warning("config note=%s", note)


def _int(raw: str | None, name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number (got {raw!r})")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low} and {high} (got {value})")
        return default
    return value


def _api_url(base_url: str) -> str:
    """``http://host:8081`` -> ``http://host:8081/bot`` (PTB appends the token to this prefix)."""
    if "{token}" in base_url:
        return base_url
    stripped = base_url.rstrip("/")
    return stripped if stripped.endswith("/bot") else stripped + "/bot"


def _file_url(base_url: str) -> str:
    """The file URL that goes with a Bot API base URL: ``.../bot`` -> ``.../file/bot``."""
    if "{token}" in base_url:
        return base_url.replace("/bot{token}", "/file/bot{token}")
    stripped = base_url.rstrip("/")
    if stripped.endswith("/bot"):
        return stripped[: -len("/bot")] + "/file/bot"
    return stripped + "/file/bot"
