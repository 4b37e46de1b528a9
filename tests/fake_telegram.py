"""A fake Telegram Bot API server for the bot's tests (offline, 127.0.0.1, random free port).

It runs Starlette + uvicorn in a background thread and serves ``/bot<token>/<method>`` for any number of
bots at once: every token gets its own :class:`FakeBot` (recorded requests, pending updates, webhook),
so one server can be shared by the whole test session while each test uses a fresh token.

Answered: getMe, getUpdates (long poll over the updates a test pushed, held at most ``MAX_HOLD`` seconds),
setWebhook, deleteWebhook, getWebhookInfo, setMyCommands, sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, answerInlineQuery, and ``true`` for anything else. Requests
are decoded from JSON or form fields (PTB posts form fields with JSON-encoded nested values).

:class:`BotTester` is the errbot ``testbot``-style helper: ``push_message(user, text)`` then
``await pop_message(chat_id)`` for the bot's next reply to that chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send


class AsciiJSONResponse(JSONResponse):
    """JSON with \\u escapes (like Telegram's), so that even a lone surrogate in a test update survives."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


MAX_HOLD = 0.5  # seconds a getUpdates call waits for updates at most
BOT_USERNAME = "LoanFaqTestBot"
_TEXT_FIELDS = {
    "text",
    "caption",
    "title",
    "description",
    "callback_query_id",
    "inline_query_id",
    "url",
    "secret_token",
    "parse_mode",
    "next_offset",
    "switch_pm_text",
    "language_code",
}


@dataclass(frozen=True)
class Faults:
    """Faults the fake injects, decided per (method, chat, attempt) so that they do not depend on the order
    in which concurrent requests arrive: the ``n``-th request of ``method`` to a chat fails with probability
    ``rate`` while ``n <= max_per_chat`` (so a client that retries enough always gets through).

    Kinds: ``"502"``, ``"500"`` (error answers), ``"close"`` (the connection is closed without an answer,
    before the request is acted on), ``"429"`` (``retry_after``), ``"stall"`` (the message IS delivered,
    then the answer is held ``stall`` seconds: longer than the client's read timeout)."""

    rate: float
    kinds: tuple[str, ...] = ("502", "500", "close", "429")
    methods: frozenset[str] = frozenset({"sendMessage"})
    max_per_chat: int = 3
    seed: int = 0
    retry_after: int = 1
    stall: float = 2.0

    def pick(self, method: str, chat: Any, attempt: int) -> str | None:
        if method not in self.methods or attempt > self.max_per_chat:
            return None
        rng = random.Random(f"{self.seed}:{method}:{chat}:{attempt}")
        if rng.random() >= self.rate:
            return None
        return rng.choice(self.kinds)


class HangUp(Response):
    """Starts an answer, then drops the connection: the client sees it closed without a (complete) answer."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})
        raise ConnectionAbortedError("the fake Bot API hangs up (injected fault)")


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline buttons, row by row."""
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def callback_data(self) -> list[str]:
        return [str(b["callback_data"]) for b in self.buttons if "callback_data" in b]


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in _TEXT_FIELDS:
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out


class FakeBot:
    """The server-side state of one bot token."""

    def __init__(self, token: str, bot_id: int, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.chat_types: dict[int, str] = {}
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.faults: Faults | None = None
        self.attempts: dict[tuple[str, Any], int] = {}
        self.delivered: list[Call] = []  # calls acted on (not refused by an injected or queued failure)
        self.injected: list[tuple[str, Any, str]] = []  # (method, chat, kind) of every injected fault
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Loan FAQ",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    # --- what the tests do -----------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            update = {"update_id": next(self._update_ids), **update}
            self.updates.append(update)
        return update

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def new_message_id(self) -> int:
        return next(self._message_ids)

    def fail_next(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """Answer the next ``method`` call with an error (e.g. 429 with retry_after)."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        with self.lock:
            self.failures.setdefault(method, []).append((status, body))

    def inject(self, faults: Faults | None) -> None:
        with self.lock:
            self.faults = faults

    def fault_for(self, method: str, params: dict[str, Any]) -> str | None:
        chat = params.get("chat_id")
        with self.lock:
            key = (method, str(chat))
            self.attempts[key] = attempt = self.attempts.get(key, 0) + 1
            kind = self.faults.pick(method, chat, attempt) if self.faults is not None else None
            if kind is not None:
                self.injected.append((method, chat, kind))
            return kind

    def deliver_call(self, method: str, params: dict[str, Any]) -> None:
        with self.lock:
            self.delivered.append(Call(method, params))

    def delivered_to(self, chat_id: Any, method: str = "sendMessage") -> list[Call]:
        with self.lock:
            return [c for c in self.delivered if c.method == method and c.chat_id == chat_id]

    def snapshot(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if method is None or c.method == method]

    # --- what the server does --------------------------------------------------------------------------

    def record(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            self.calls.append(Call(method, params))
            queued = self.failures.get(method)
            if queued:
                return queued.pop(0)
        return None

    def pending(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        with self.lock:
            if offset is not None:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return list(self.updates[:limit])

    def message(self, chat_id: Any, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id
        chat_type = self.chat_types.get(chat_id, "private") if isinstance(chat_id, int) else "channel"
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Test group"
        message: dict[str, Any] = {
            "message_id": self.new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user,
            "text": params.get("text", ""),
        }
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        return message


class FakeTelegram:
    """The server: ``start()`` in a background thread, ``bot(token)`` for a token's state."""

    def __init__(self) -> None:
        self.bots: dict[str, FakeBot] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(7_000_000)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def bot(self, token: str) -> FakeBot:
        with self._lock:
            if token not in self.bots:
                self.bots[token] = FakeBot(token, next(self._ids))
            return self.bots[token]

    def new_token(self) -> str:
        bot_id = next(self._ids)
        token = f"{bot_id}:TEST-{bot_id:x}-abcdefghijklmnopqrstuvwxyz"
        with self._lock:
            self.bots[token] = FakeBot(token, bot_id)
        return token

    # --- HTTP ------------------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            token = request.path_params["token"]
            method = request.path_params["method"]
            params = await _read_params(request)
            bot = self.bot(token)
            failure = bot.record(method, params)
            if failure is not None:
                return AsciiJSONResponse(failure[1], status_code=failure[0])
            fault = bot.fault_for(method, params)
            if fault in ("502", "500"):
                status = int(fault)
                text = "Bad Gateway" if status == 502 else "Internal Server Error"
                return AsciiJSONResponse({"ok": False, "error_code": status, "description": text}, status)
            if fault == "429":
                assert bot.faults is not None
                wait = bot.faults.retry_after
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                }
                return AsciiJSONResponse(body, status_code=429)
            if fault == "close":
                return HangUp()
            result = await self._answer(bot, method, params)
            bot.deliver_call(method, params)
            if fault == "stall":
                assert bot.faults is not None
                await asyncio.sleep(bot.faults.stall)
            return AsciiJSONResponse({"ok": True, "result": result})

        return Starlette(routes=[Route("/bot{token}/{method}", endpoint, methods=["GET", "POST"])])

    async def _answer(self, bot: FakeBot, method: str, params: dict[str, Any]) -> Any:
        name = method.lower()
        if name == "getme":
            return bot.user
        if name == "getupdates":
            offset = params.get("offset")
            limit = int(params.get("limit") or 100)
            hold = min(float(params.get("timeout") or 0), MAX_HOLD)
            deadline = time.monotonic() + hold
            while True:
                updates = bot.pending(int(offset) if offset is not None else None, limit)
                if updates or time.monotonic() >= deadline:
                    return updates
                await asyncio.sleep(0.01)
        if name == "setwebhook":
            with bot.lock:
                bot.webhook = {
                    "url": params.get("url", ""),
                    "secret_token": params.get("secret_token"),
                    "allowed_updates": params.get("allowed_updates"),
                }
            return True
        if name == "deletewebhook":
            with bot.lock:
                bot.webhook = {}
            return True
        if name == "getwebhookinfo":
            with bot.lock:
                url = bot.webhook.get("url", "")
            return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
        if name == "sendmessage":
            return bot.message(params.get("chat_id"), params)
        if name in ("editmessagetext", "editmessagereplymarkup"):
            if params.get("inline_message_id"):
                return True
            message = bot.message(params.get("chat_id"), params)
            message["message_id"] = params.get("message_id", message["message_id"])
            return message
        return True

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app(), log_config=None, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name="fake-telegram", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Telegram server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


async def _read_params(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    raw: dict[str, Any] = {}
    if "application/json" in content_type:
        body = await request.body()
        if body:
            data = json.loads(body)
            if isinstance(data, dict):
                return data
        return {}
    if (
        "x-www-form-urlencoded" in content_type
    ):  # (multipart would need python-multipart; PTB sends no files here)
        body = (await request.body()).decode("utf-8")
        raw = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
    raw.update(request.query_params)
    return decode_params(raw)


# ------------------------------------------------------------------------------------------- updates


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities_for(text: str) -> list[dict[str, Any]]:
    """The entities Telegram would attach: a leading bot command and @mentions."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        command = text.split()[0] if text.split() else text
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16(command)})
    start = 0
    while True:
        at = text.find("@", start)
        if at < 0:
            break
        end = at + 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_") and text[end].isascii():
            end += 1
        if end - at > 1 and not (entities and at < entities[0]["length"] and text.startswith("/")):
            entities.append({"type": "mention", "offset": _utf16(text[:at]), "length": _utf16(text[at:end])})
        start = end
    return entities


def user(user_id: int, language_code: str = "zh-hans") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": language_code}


class BotTester:
    """Push updates for one bot and pop its replies (errbot ``testbot`` style).

    ``deliver`` decides how an update reaches the bot: by default it is queued for getUpdates (polling);
    webhook tests pass a function that POSTs it to the bot's web server.
    """

    def __init__(
        self,
        fake: FakeTelegram,
        token: str,
        deliver: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self.fake = fake
        self.token = token
        self.state = fake.bot(token)
        self.deliver = deliver
        self._popped: dict[Any, int] = {}

    # --- building and pushing updates ------------------------------------------------------------------

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        language_code: str = "zh-hans",
        extra: dict[str, Any] | None = None,
        edited: bool = False,
    ) -> dict[str, Any]:
        """An update carrying a message (not yet delivered)."""
        chat_id = (
            chat_id if chat_id is not None else (user_id if chat_type == "private" else -100_000 - user_id)
        )
        self.state.chat_types[chat_id] = chat_type
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{user_id}"
        else:
            chat["title"] = "Test group"
        message: dict[str, Any] = {
            "message_id": self.state.new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": user(user_id, language_code),
        }
        if text is not None:
            message["text"] = text
            entities = entities_for(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if extra:
            message.update(extra)
        if edited:
            message["edit_date"] = int(time.time())
            return {"edited_message": message}
        return {"message": message}

    def callback(self, user_id: int, data: str, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "callback_query": {
                "id": str(self.state.new_message_id()),
                "from": user(user_id),
                "chat_instance": "42",
                "data": data,
                "message": message,
            }
        }

    def inline_query(self, user_id: int, query: str) -> dict[str, Any]:
        return {
            "inline_query": {
                "id": str(self.state.new_message_id()),
                "from": user(user_id),
                "query": query,
                "offset": "",
            }
        }

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        if self.deliver is None:
            return self.state.push(update)
        update = {"update_id": self.state.next_update_id(), **update}
        result = self.deliver(update)
        if asyncio.iscoroutine(result):
            await result
        return update

    def push_sync(self, update: dict[str, Any]) -> dict[str, Any]:
        if self.deliver is None:
            return self.state.push(update)
        update = {"update_id": self.state.next_update_id(), **update}
        self.deliver(update)
        return update

    async def push_message(self, user_id: int, text: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self.push(self.message(user_id, text, **kwargs))

    # --- reading what the bot did ----------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        return self.state.snapshot(method)

    def sent_to(self, chat_id: Any) -> list[Call]:
        return [c for c in self.calls("sendMessage") if c.chat_id == chat_id]

    def _next_for(self, chat_id: Any) -> Call | None:
        sent = self.sent_to(chat_id)
        index = self._popped.get(chat_id, 0)
        if index < len(sent):
            self._popped[chat_id] = index + 1
            return sent[index]
        return None

    def _found(self, call: Call | None, what: str, deadline: float, timeout: float) -> Call | None:
        """``call`` when it arrived; an AssertionError naming ``what`` once ``deadline`` has passed."""
        if call is None and time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s; calls: {self.summary()}")
        return call

    async def pop_message(self, chat_id: Any, timeout: float = 10.0) -> Call:
        """The bot's next sendMessage to ``chat_id`` (waits for it)."""
        deadline = time.monotonic() + timeout
        what = f"message to chat {chat_id}"
        while (call := self._found(self._next_for(chat_id), what, deadline, timeout)) is None:
            await asyncio.sleep(0.01)
        return call

    def pop_message_sync(self, chat_id: Any, timeout: float = 15.0) -> Call:
        deadline = time.monotonic() + timeout
        what = f"message to chat {chat_id}"
        while (call := self._found(self._next_for(chat_id), what, deadline, timeout)) is None:
            time.sleep(0.02)
        return call

    def _first(self, method: str, predicate: Callable[[Call], bool] | None) -> Call | None:
        """The first recorded ``method`` call matching ``predicate``."""
        return next((c for c in self.calls(method) if predicate is None or predicate(c)), None)

    async def wait_for(
        self, method: str, predicate: Callable[[Call], bool] | None = None, timeout: float = 10.0
    ) -> Call:
        deadline = time.monotonic() + timeout
        while (
            call := self._found(self._first(method, predicate), f"{method} call", deadline, timeout)
        ) is None:
            await asyncio.sleep(0.01)
        return call

    def wait_for_sync(
        self, method: str, predicate: Callable[[Call], bool] | None = None, timeout: float = 15.0
    ) -> Call:
        deadline = time.monotonic() + timeout
        while (
            call := self._found(self._first(method, predicate), f"{method} call", deadline, timeout)
        ) is None:
            time.sleep(0.02)
        return call

    async def assert_silent(self, chat_id: Any, wait: float = 0.6) -> None:
        """Nothing more is sent to ``chat_id`` within ``wait`` seconds."""
        await asyncio.sleep(wait)
        extra = self._next_for(chat_id)
        assert extra is None, f"unexpected message to {chat_id}: {extra.text[:200] if extra else ''}"

    def summary(self) -> str:
        return ", ".join(f"{c.method}({c.params.get('chat_id', '')})" for c in self.calls()[-30:])

    def sent_message(self, call: Call) -> dict[str, Any]:
        """The Message Telegram would have returned for a recorded sendMessage (for a later button press)."""
        chat_id = call.chat_id
        chat_type = self.state.chat_types.get(chat_id, "private") if isinstance(chat_id, int) else "private"
        message: dict[str, Any] = {
            "message_id": self.state.new_message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": self.state.user,
            "text": call.text,
        }
        if call.reply_markup:
            message["reply_markup"] = call.reply_markup
        return message


async def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition"
) -> None:
    """Wait (polling every 10 ms) until ``condition()`` holds: for what the bot does after its last request,
    such as recording the usage event, instead of a fixed sleep that a loaded machine can outlast."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.01)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def update_body(update: dict[str, Any]) -> bytes:
    """An update as Telegram posts it: JSON with \\u escapes (a lone surrogate survives)."""
    return json.dumps(update, ensure_ascii=True).encode("ascii")


def webhook_headers(secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


def webhook_poster(url: str, secret: str | None) -> Callable[[dict[str, Any]], Any]:
    """A ``deliver`` function that POSTs updates to a webhook server (async)."""

    async def deliver(update: dict[str, Any]) -> None:
        headers = webhook_headers(secret)
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            response = await client.post(url, content=update_body(update), headers=headers)
        assert response.status_code == 200, response.status_code

    return deliver


def webhook_poster_sync(url: str, secret: str | None) -> Callable[[dict[str, Any]], Any]:
    def deliver(update: dict[str, Any]) -> None:
        headers = webhook_headers(secret)
        response = httpx.post(url, content=update_body(update), headers=headers, timeout=10, trust_env=False)
        assert response.status_code == 200, response.status_code

    return deliver


@contextlib.contextmanager
def running_fake() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    try:
        yield fake
    finally:
        fake.stop()
