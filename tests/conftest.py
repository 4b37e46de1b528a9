"""Shared fixtures. Sections: engine (lead), then the bot's and the storage's own sections below."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faq.engine import Engine

REPO = Path(__file__).resolve().parent.parent
SHIPPED_KB = REPO / "intents.yaml"
DEV_SET = REPO / "tests" / "data" / "dev.yaml"

# Tests never reach beyond this machine: no proxy setting may route the fake Bot API's clients (httpx,
# in-process or in a `python -m bot` subprocess) anywhere but 127.0.0.1.
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_proxy, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


# ----------------------------------------------------------------------------------------- engine (lead)


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The shipped knowledge base, loaded once per test session (loading costs about a second)."""
    return Engine.load(SHIPPED_KB)


# --------------------------------------------------------------------------------- bot (bot/ front end)
# Fixtures of the Telegram front end's tests (tests/test_bot_*.py): a fake Bot API server shared by the
# session (one fresh token per test), an in-memory usage store, and the real PTB application running
# against the fake server in polling or webhook mode.

import dataclasses  # noqa: E402
from collections.abc import AsyncIterator, Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

from fake_telegram import BotTester, FakeTelegram, webhook_poster  # noqa: E402

from faq.usage import AnswerEvent, Feedback  # noqa: E402

BOT_ADMIN_ID = 4242
BOT_WEBHOOK_SECRET = "test-webhook-secret_0123456789"


class RecordingStore:
    """An in-memory :class:`faq.usage.UsageStore` that remembers what the bot recorded."""

    def __init__(self) -> None:
        self.started = False
        self.closed = False
        self.answers: list[AnswerEvent] = []
        self.feedback: list[tuple[str, int | str, Feedback]] = []

    async def start(self) -> None:
        self.started = True

    async def record_answer(self, event: AnswerEvent) -> bool:
        self.answers.append(event)
        return True

    async def record_feedback(self, answer_id: str, user_id: int | str, value: Feedback) -> bool:
        self.feedback.append((answer_id, user_id, value))
        return True

    async def summary(self, days: int = 7) -> str:
        return f"recorded answers: {len(self.answers)}"

    async def close(self) -> None:
        self.closed = True


@dataclasses.dataclass
class RunningBot:
    """A bot running in-process against the fake server; attribute access falls through to the tester."""

    tester: BotTester
    application: Any
    holder: Any
    store: RecordingStore
    settings: Any
    mode: str
    port: int | None = None
    server: Any = None  # the WebhookServer in webhook mode

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tester, name)


FALLBACK_CANDIDATES = ("今天天气怎么样", "你好", "asdf qwer", "我家猫咪不吃饭")


@pytest.fixture(scope="session")
def unknown_question(engine: Engine) -> str:
    """A message the knowledge base has no answer for (the first candidate that falls back)."""
    for text in FALLBACK_CANDIDATES:
        if engine.reply(text).kind.value == "fallback" and engine.reply(text).suggestions:
            return text
    pytest.fail(f"none of {FALLBACK_CANDIDATES} falls back any more")


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def bot_settings(fake_telegram: FakeTelegram) -> Callable[..., Any]:
    """A factory of bot Settings pointing at the fake server (fresh token each call)."""
    from bot.config import Mode, Settings

    def make(mode: str = "polling", **overrides: Any) -> Settings:
        base = fake_telegram.base_url
        settings = Settings(
            mode=Mode(mode),
            token=fake_telegram.new_token(),
            base_url=base,
            base_file_url=base.replace("/bot", "/file/bot"),
            admin_ids=frozenset({BOT_ADMIN_ID}),
            send_rate_limit=0,
            concurrent_updates=64,
            listen_host="127.0.0.1",
            port=0,
        )
        if mode == "webhook":
            settings = dataclasses.replace(
                settings, webhook_url="https://bot.example.com/telegram", webhook_secret=BOT_WEBHOOK_SECRET
            )
        return dataclasses.replace(settings, **overrides)

    return make


@pytest.fixture
async def start_bot(
    fake_telegram: FakeTelegram, engine: Engine, bot_settings: Callable[..., Any]
) -> AsyncIterator[Callable[..., Any]]:
    """``await start_bot(mode, **settings)`` -> a :class:`RunningBot`; everything is stopped at teardown."""
    from contextlib import AsyncExitStack

    from bot.app import build_application
    from bot.runner import polling
    from bot.service import EngineHolder
    from bot.webhook import WebhookServer, bind_socket

    async with AsyncExitStack() as stack:

        async def start(
            mode: str = "polling", kb_path: Path | None = None, ledger: Any = None, **overrides: Any
        ) -> RunningBot:
            """``ledger``: a :class:`bot.ledger.UpdateLedger` (else deduplication in memory only);
            ``token=`` in ``overrides`` starts a second replica of an earlier bot."""
            settings = bot_settings(mode, **overrides)
            holder = EngineHolder(engine, kb_path)
            store = RecordingStore()
            application = build_application(settings, holder, store, ledger)
            tester = BotTester(fake_telegram, settings.token)
            port = None
            server = None
            if mode == "webhook":
                sock = bind_socket("127.0.0.1", 0)
                server = WebhookServer(application, settings, sock, ledger=ledger)
                await stack.enter_async_context(server)
                port = server.port
                tester.deliver = webhook_poster(f"http://127.0.0.1:{port}/telegram", BOT_WEBHOOK_SECRET)
            else:
                await stack.enter_async_context(polling(application))
            return RunningBot(tester, application, holder, store, settings, mode, port, server)

        yield start


# ------------------------------------------------------------------------ storage (usage log; faq/usage/)
# A throw-away PostgreSQL server (tests/postgres.py) started once per session, a fresh database per test, and
# `database_url`, parametrized over SQLite and PostgreSQL so that every storage test runs on both. Without
# PostgreSQL binaries the PostgreSQL cases are skipped locally and fail under CI (CI=true).

import asyncio  # noqa: E402
import collections.abc  # noqa: E402
import concurrent.futures  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import typing  # noqa: E402

from postgres import PostgresServer, PostgresUnavailable, start_postgres  # noqa: E402


def run_async(coro: collections.abc.Coroutine[typing.Any, typing.Any, typing.Any]) -> typing.Any:
    """Run a coroutine to completion from synchronous code, in a thread of its own (so that it never meets
    the test's running event loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server() -> collections.abc.Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        if _under_ci():
            pytest.fail(f"PostgreSQL is required under CI but could not be started: {exc}")
        pytest.skip(f"PostgreSQL is not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


async def _create_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> collections.abc.Iterator[str]:
    """A fresh, empty database on the session's server, as a PaaS gives it (``postgresql://...``)."""
    name = f"test_{secrets.token_hex(6)}"
    run_async(_create_database(postgres_server.url, name))
    try:
        yield postgres_server.url_for(name)
    finally:
        run_async(_drop_database(postgres_server.url, name))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty usage-log database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'faqbot.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


# ---------------------------------------------------------------------------- end of storage (usage log)
