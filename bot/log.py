"""Logging: one structured line per update, and a redaction layer that keeps secrets out of every record.

``configure_logging`` installs a single stderr handler on the root logger whose filter *and* formatter
replace the bot token (and its secret half, also URL-encoded) and the webhook secret by ``[REDACTED]``, so
that neither a third-party logger nor a traceback can leak them. httpx logs every request URL - which
contains the token - at INFO: its logger is raised to WARNING whatever ``LOG_LEVEL`` says.

Message texts are logged only at DEBUG (see :func:`log_update`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from bot.config import derive_webhook_secret

REDACTED = "[REDACTED]"
UPDATE_LOGGER = "bot.updates"
_QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "uvicorn.access", "aiosqlite", "asyncio")


class Redactor(logging.Filter):
    """Replaces known secrets in a record's message (a filter) or in any text (:meth:`redact`)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        found = set(self._secrets)
        for secret in secrets:
            if secret and len(secret) >= 6:
                found.update({secret, quote(secret, safe=""), quote(secret)})
        self._secrets = sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class TextFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; structured update fields become top-level keys."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            data["event"] = getattr(record, "event", None)
            data.update(fields)
        else:
            data["msg"] = record.getMessage()
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return self.redactor.redact(json.dumps(data, ensure_ascii=False, default=str))


def secrets_from_env(env: Mapping[str, str]) -> list[str]:
    """The secrets to redact, read straight from the environment (before the settings are validated, so
    that even a configuration error cannot print them): the token, the webhook and user-hash secrets, the
    database password."""
    out: list[str] = []
    token = (env.get("TELEGRAM_BOT_TOKEN") or "").strip()
    if token:
        out += [token, token.split(":", 1)[-1], derive_webhook_secret(token)]
    for name in ("WEBHOOK_SECRET", "USER_HASH_SECRET"):
        secret = (env.get(name) or "").strip()
        if secret:
            out.append(secret)
    try:
        password = urlsplit((env.get("DATABASE_URL") or "").strip()).password
    except ValueError:
        password = None
    if password:
        out += [password, unquote(password)]
    return out


_handler: logging.Handler | None = None
_redactor = Redactor()


def configure_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> Redactor:
    """Install the redacting stderr handler on the root logger (idempotent: a second call updates it)."""
    global _handler
    _redactor.update(secrets)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_redactor)
    handler.setFormatter(JsonFormatter(_redactor) if fmt == "json" else TextFormatter(_redactor))
    root.addHandler(handler)
    _handler = handler
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return _redactor


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"
    text = str(value)
    if not text or any(c in text for c in ' ="\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


def format_fields(fields: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def log_event(event: str, level: int = logging.INFO, logger: str = UPDATE_LOGGER, **fields: Any) -> None:
    """One structured line: ``event key=value ...`` (text) or a JSON object (LOG_FORMAT=json)."""
    log = logging.getLogger(logger)
    if log.isEnabledFor(level):
        log.log(level, "%s %s", event, format_fields(fields), extra={"fields": dict(fields), "event": event})


def log_update(text: str | None = None, **fields: Any) -> None:
    """The line logged for every handled update. The user's text is added only at DEBUG."""
    log_event("update", **fields)
    if text is not None and logging.getLogger(UPDATE_LOGGER).isEnabledFor(logging.DEBUG):
        log_event("update_text", level=logging.DEBUG, id=fields.get("id"), text=text[:500])


def traceback_without_messages(error: BaseException) -> str:
    """The traceback of ``error`` (and of its causes) with file, line and code of every frame but without the
    exceptions' messages, which may quote a user's text: for logging at INFO and above."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    lines: list[str] = []
    for n, exc in enumerate(reversed(chain)):
        if n:
            lines.append("\nwhich led to:\n")
        lines.append("Traceback (most recent call last):\n")
        lines += traceback.format_tb(exc.__traceback__)
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__} (message logged at DEBUG only)\n")
    return "".join(lines).rstrip("\n")
