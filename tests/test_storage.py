"""The usage log (faq/usage/) on SQLite and on a real PostgreSQL: the same cases for both backends."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import create_async_engine

from faq.usage import AnswerEvent, Feedback, NullStore, new_answer_id
from faq.usage.schema import SCHEMA_VERSION, schema_version
from faq.usage.settings import (
    SECRET_FILE_NAME,
    StoreSettings,
    StoreSettingsError,
    database_target,
    resolve_hash_secret,
    user_hash,
)
from faq.usage.store import (
    RecentTexts,
    SqlStore,
    _Warner,
    answer_row,
    describe_error,
    keep_reason,
    open_store,
)

SECRET = "test-secret-0123456789"
USER_ID = 987654321012
PHONE = "13812345678"
ID_CARD = "11010519491231002X"


def make_event(**changes: Any) -> AnswerEvent:
    base = AnswerEvent(
        answer_id=new_answer_id(),
        user_id=USER_ID,
        chat_type="private",
        intent="family_contact",
        confidence=0.9,
        days=12,
        platform="jirong",
        fell_back=False,
        latency_ms=8.5,
        kind="answer",
        question="逾期12天会打给我家人吗",
    )
    return replace(base, **changes)


def fallback_event(question: str, **changes: Any) -> AnswerEvent:
    return make_event(intent=None, confidence=0.1, fell_back=True, kind="fallback", question=question, **changes)


def settings_for(url: str, **changes: Any) -> StoreSettings:
    return replace(StoreSettings(database_url=url, hash_secret=SECRET), **changes)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    s = SqlStore(settings_for(database_url))
    await s.start()
    yield s
    await s.close()


async def dump_database(url: str) -> str:
    """Every row of every table, as text (to search the whole database for a value)."""
    target = database_target(url)
    engine = create_async_engine(target.url, connect_args=target.connect_args)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            lines = []
            for table in meta.sorted_tables:
                for row in (await conn.execute(select(table))).all():
                    lines.append(f"{table.name}: {tuple(row)!r}")
            return "\n".join(lines)
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------------------- recording


async def test_records_answers_and_feedback(store: SqlStore) -> None:
    confident = make_event()
    unanswered = fallback_event("催收说要去村委会贴告示怎么办")
    assert await store.record_answer(confident)
    assert await store.record_answer(unanswered)
    assert await store.record_feedback(confident.answer_id, USER_ID, Feedback.UP)
    assert await store.record_feedback(unanswered.answer_id, USER_ID, Feedback.NONE_OF_THESE)

    data = await store.fetch()
    by_id = {row.answer_id: row for row in data.answers}
    assert set(by_id) == {confident.answer_id, unanswered.answer_id}
    row = by_id[confident.answer_id]
    assert (row.intent, row.days, row.platform, row.kind, row.chat_type) == (
        "family_contact", 12, "jirong", "answer", "private"
    )
    assert row.confidence == pytest.approx(0.9)
    assert row.latency_ms == pytest.approx(8.5)
    assert row.fell_back is False
    assert row.question is None  # a confident answer's text is not kept
    assert abs(row.at - confident.at) < timedelta(seconds=1)
    assert row.at.tzinfo is not None
    fallback = by_id[unanswered.answer_id]
    assert fallback.fell_back is True
    assert fallback.question == "催收说要去村委会贴告示怎么办"
    assert fallback.question_reason == "fallback"
    votes = {(f.answer_id, f.value) for f in data.feedback}
    assert votes == {(confident.answer_id, "up"), (unanswered.answer_id, "none_of_these")}


async def test_thumbs_down_attaches_the_text_kept_in_memory(store: SqlStore) -> None:
    confident = make_event(question="逾期了会不会上门")
    assert await store.record_answer(confident)
    assert await store.record_feedback(confident.answer_id, USER_ID, Feedback.DOWN)
    assert await store.record_feedback("unknown-id", USER_ID, Feedback.DOWN)
    data = await store.fetch()
    assert data.answers[0].question is None
    texts = {f.answer_id: f.question for f in data.feedback}
    assert texts == {confident.answer_id: "逾期了会不会上门", "unknown-id": None}


async def test_low_confidence_threshold(store: SqlStore) -> None:
    unsure = make_event(confidence=0.45, question="逾期了孩子能考公务员吗")
    sure = make_event(confidence=0.55, question="逾期了会打给我妈吗")
    bare_days = make_event(kind="stage", intent="collection_process", confidence=0.0, question="逾期15天")
    unsure_stage = make_event(kind="stage", intent="collection_process", confidence=0.2, question="逾期15天会上门吗")
    crisis = make_event(kind="crisis", fell_back=True, confidence=0.0, question="还不上不想活了")
    for event in (unsure, sure, bare_days, unsure_stage, crisis):
        assert await store.record_answer(event)
    kept = {row.answer_id: (row.question, row.question_reason) for row in (await store.fetch()).answers}
    assert kept[unsure.answer_id] == ("逾期了孩子能考公务员吗", "low_confidence")
    assert kept[sure.answer_id] == (None, None)
    assert kept[bare_days.answer_id] == (None, None)
    assert kept[unsure_stage.answer_id] == ("逾期15天会上门吗", "low_confidence")
    assert kept[crisis.answer_id] == (None, None)  # never kept


async def test_stored_text_is_redacted(store: SqlStore, database_url: str) -> None:
    event = fallback_event(f"我电话{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]},身份证{ID_CARD},张三欠了5000元")
    assert await store.record_answer(event)
    assert await store.record_feedback(event.answer_id, USER_ID, Feedback.DOWN)
    data = await store.fetch()
    assert data.answers[0].question == "我电话<电话>,身份证<身份证>,<姓名>欠了<金额>"
    assert data.feedback[0].question == data.answers[0].question
    dump = await dump_database(database_url)
    for secret in (PHONE, PHONE[7:], ID_CARD, ID_CARD[:17], "张三", "5000"):
        assert secret not in dump


async def test_no_raw_user_id_anywhere(store: SqlStore, database_url: str) -> None:
    event = fallback_event("催收打给我同事了")
    assert await store.record_answer(event)
    assert await store.record_feedback(event.answer_id, USER_ID, Feedback.DOWN)
    assert await store.record_answer(make_event(user_id=str(USER_ID)))
    dump = await dump_database(database_url)
    assert str(USER_ID) not in dump
    assert str(USER_ID)[:8] not in dump
    expected = user_hash(SECRET, USER_ID)
    data = await store.fetch()
    assert {row.user_hash for row in data.answers} == {expected}  # int and str ids hash alike
    assert data.feedback[0].user_hash == expected
    assert expected != user_hash("another-secret", USER_ID)
    assert len(expected) == 64


async def test_log_questions_off_keeps_no_text(database_url: str) -> None:
    store = SqlStore(settings_for(database_url, log_questions=False))
    await store.start()
    try:
        event = fallback_event("催收说要起诉我")
        assert await store.record_answer(event)
        assert await store.record_feedback(event.answer_id, USER_ID, Feedback.DOWN)
        assert len(store.recent) == 0
        dump = await dump_database(database_url)
        assert "起诉" not in dump
        data = await store.fetch()
        assert data.answers[0].question is None and data.feedback[0].question is None
    finally:
        await store.close()


async def test_concurrent_writes(store: SqlStore) -> None:
    events = [fallback_event(f"问题{i}", user_id=i) for i in range(200)]
    started = time.perf_counter()
    results = await asyncio.gather(*(store.record_answer(e) for e in events))
    assert all(results)
    assert time.perf_counter() - started < 10
    data = await store.fetch()
    assert len(data.answers) == 200
    assert {row.answer_id for row in data.answers} == {e.answer_id for e in events}


async def test_summary(store: SqlStore) -> None:
    events = [make_event(intent="family_contact") for _ in range(3)]
    events += [make_event(intent="complain", confidence=0.3), fallback_event("x1"), fallback_event("x2")]
    for event in events:
        assert await store.record_answer(event)
    assert await store.record_feedback(events[0].answer_id, USER_ID, Feedback.UP)
    assert await store.record_feedback(events[3].answer_id, USER_ID, Feedback.DOWN)
    # A double tap is one vote; a user who changes their mind moves their vote; another user votes too.
    assert await store.record_feedback(events[0].answer_id, USER_ID, Feedback.UP)
    assert await store.record_feedback(events[1].answer_id, USER_ID, Feedback.DOWN)
    assert await store.record_feedback(events[1].answer_id, USER_ID, Feedback.UP)
    assert await store.record_feedback(events[0].answer_id, USER_ID + 1, Feedback.DOWN)
    old = make_event(at=datetime.now(UTC) - timedelta(days=30))
    assert await store.record_answer(old)
    summary = await store.summary(7)
    assert "6 answers to 1 users" in summary
    assert "fell back: 2 (33.3%)" in summary
    assert "low confidence: 1 (16.7%)" in summary
    assert "family_contact 3" in summary and "complain 1" in summary
    assert "👍 2 · 👎 2 · 都不是 0" in summary
    assert len(summary.splitlines()) <= 6


async def test_summary_when_empty(store: SqlStore) -> None:
    assert "no answers recorded" in await store.summary(7)


# ------------------------------------------------------------------------------------------- retention


async def test_retention(database_url: str) -> None:
    now = datetime.now(UTC)
    store = SqlStore(settings_for(database_url, retention_days=90))
    await store.start()
    try:
        old = fallback_event("很久以前的问题", at=now - timedelta(days=91))
        recent = fallback_event("最近的问题", at=now - timedelta(days=89))
        assert await store.record_answer(old)
        assert await store.record_answer(recent)
        store.clock = lambda: now - timedelta(days=91)  # a 👎 given back then
        assert await store.record_feedback(old.answer_id, USER_ID, Feedback.DOWN)
        store.clock = lambda: now
        assert await store.purge_expired() == 2
        data = await store.fetch()
        assert [row.answer_id for row in data.answers] == [recent.answer_id]
        assert data.feedback == []
        assert await store.purge_expired() == 0
    finally:
        await store.close()


async def test_start_purges(database_url: str) -> None:
    first = SqlStore(settings_for(database_url))
    await first.start()
    assert await first.record_answer(make_event(at=datetime.now(UTC) - timedelta(days=200)))
    await first.close()
    second = SqlStore(settings_for(database_url))
    await second.start()
    try:
        assert (await second.fetch()).answers == []
    finally:
        await second.close()


async def test_retention_zero_keeps_everything(database_url: str) -> None:
    store = SqlStore(settings_for(database_url, retention_days=0))
    await store.start()
    try:
        assert await store.record_answer(make_event(at=datetime.now(UTC) - timedelta(days=2000)))
        assert await store.purge_expired() is None
        assert len((await store.fetch()).answers) == 1
    finally:
        await store.close()


# ------------------------------------------------------------------------------------------ schema


async def test_two_replicas_start_at_once(database_url: str) -> None:
    stores = [SqlStore(settings_for(database_url)) for _ in range(4)]
    await asyncio.gather(*(s.start() for s in stores))
    try:
        results = await asyncio.gather(*(s.record_answer(make_event()) for s in stores))
        assert all(results)
        target = database_target(database_url)
        engine = create_async_engine(target.url)
        try:
            async with engine.connect() as conn:
                versions = (await conn.execute(select(schema_version.c.version))).scalars().all()
        finally:
            await engine.dispose()
        assert versions == [SCHEMA_VERSION]
        assert len((await stores[0].fetch()).answers) == 4
    finally:
        for s in stores:
            await s.close()


async def test_sqlite_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'dir' / 'usage.sqlite3'}"
    store = SqlStore(settings_for(url))
    await store.start()  # creates the directory
    try:
        assert await store.record_answer(make_event())
        engine = store._engine
        assert engine is not None
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    finally:
        await store.close()


async def test_postgres_url_as_a_paas_gives_it(postgres_url: str) -> None:
    """``postgres://`` (Heroku's spelling) with libpq-only query parameters works through asyncpg."""
    url = postgres_url.replace("postgresql://", "postgres://") + "?sslmode=disable&application_name=faqbot"
    store = SqlStore(settings_for(url))
    await store.start()
    try:
        assert await store.record_answer(make_event())
        assert len((await store.fetch()).answers) == 1
    finally:
        await store.close()


# ------------------------------------------------------------------------------------ failures degrade


async def test_dead_postgres_never_blocks_or_raises(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = SqlStore(settings_for(f"postgresql://postgres@127.0.0.1:{port}/postgres"))
    event = fallback_event(f"我的电话{PHONE}")
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="faq.usage.store"):
        await store.start()
        assert await store.record_answer(event) is False
        assert await store.record_feedback(event.answer_id, USER_ID, Feedback.DOWN) is False
        assert "not available" in await store.summary()
        assert await store.purge_expired() is None
        await store.close()
    assert time.perf_counter() - started < 5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # at most one a minute
    assert "ConnectionRefusedError" in caplog.text or "OSError" in caplog.text
    assert PHONE not in caplog.text and "<电话>" not in caplog.text


async def test_unwritable_sqlite_path_returns_false_quickly(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    store = SqlStore(settings_for(f"sqlite:///{blocker / 'faqbot.sqlite3'}"))
    started = time.perf_counter()
    await store.start()
    assert await store.record_answer(make_event()) is False
    assert await store.record_feedback("x", USER_ID, Feedback.UP) is False
    assert isinstance(await store.summary(), str)
    assert time.perf_counter() - started < 3
    # The database comes back (the path becomes usable): the next write connects lazily.
    blocker.unlink()
    assert await store.record_answer(make_event()) is True
    assert len((await store.fetch()).answers) == 1
    await store.close()


async def test_slow_database_times_out(database_url: str) -> None:
    store = SqlStore(settings_for(database_url, timeout=0.2))
    await store.start()

    async def slow_write(batch: Any) -> None:
        await asyncio.sleep(5)

    store._write = slow_write  # type: ignore[method-assign]
    started = time.perf_counter()
    results = await asyncio.gather(*(store.record_answer(make_event()) for _ in range(5)))
    assert results == [False] * 5
    assert time.perf_counter() - started < 4  # far below the 5 s write: the timeout, not the write, ended it
    await store.close()


async def test_closed_store_refuses_quietly(store: SqlStore) -> None:
    await store.close()
    assert await store.record_answer(make_event()) is False


async def test_bad_rows_are_cut_to_fit(store: SqlStore) -> None:
    event = make_event(
        intent="i" * 500, platform="p" * 500, chat_type="c" * 100, days=10**12, confidence=float("nan"),
        question="\x00" * 3,
    )
    assert await store.record_answer(event)
    row = (await store.fetch()).answers[0]
    assert row.intent == "i" * 64 and row.platform == "p" * 32 and row.days is None and row.confidence == 0.0


# ------------------------------------------------------------------------------------ pure helpers


def test_keep_reason() -> None:
    assert keep_reason(fallback_event("x"), 0.5) == "fallback"
    assert keep_reason(make_event(confidence=0.49), 0.5) == "low_confidence"
    assert keep_reason(make_event(confidence=0.5), 0.5) is None
    assert keep_reason(make_event(kind="stage", confidence=0.0), 0.5) is None
    assert keep_reason(make_event(kind="crisis", fell_back=True), 0.5) is None
    assert keep_reason(make_event(kind="out_of_scope", fell_back=True), 0.5) == "out_of_scope"
    assert keep_reason(make_event(kind="out_of_scope", fell_back=False, confidence=0.9), 0.5) == "out_of_scope"


async def test_missing_secret_is_replaced(tmp_path: Path) -> None:
    store = SqlStore(StoreSettings(database_url=f"sqlite:///{tmp_path / 'u.db'}", hash_secret=""))
    assert len(store.settings.hash_secret) == 64
    await store.close()


def test_answer_row_hashes_the_user() -> None:
    row = answer_row(make_event(), SECRET, None, "fallback")
    assert str(USER_ID) not in repr(row)
    assert row["user_hash"] == user_hash(SECRET, USER_ID)
    assert row["question_reason"] is None  # no text, no reason
    assert row["at"].tzinfo is None


def test_recent_texts_are_bounded() -> None:
    now = [0.0]
    recent = RecentTexts(limit=3, ttl=10.0, clock=lambda: now[0])
    for i in range(5):
        recent.put(f"a{i}", f"t{i}")
    assert len(recent) == 3 and recent.get("a0") is None and recent.get("a4") == "t4"
    now[0] = 11.0
    assert recent.get("a4") is None and len(recent) == 0


def test_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    warn = _Warner(interval=60.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="faq.usage.store"):
        warn("first")
        warn("second")
        now[0] = 61.0
        warn("third")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "first" in messages[0] and "third" in messages[1] and "1 similar" in messages[1]


def test_describe_error_hides_statement_parameters() -> None:
    exc = StatementError("boom", "INSERT ...", {"question": "我的秘密问题"}, ValueError("bad value 我的秘密问题"))
    description = describe_error(exc)
    assert "秘密" not in description and "StatementError" in description
    assert "refused" in describe_error(ConnectionRefusedError(111, "Connect call failed: refused"))


# ---------------------------------------------------------------------------------------- settings


def test_settings_defaults(tmp_path: Path) -> None:
    settings = StoreSettings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc"}, cwd=tmp_path)
    assert settings.enabled and settings.log_questions
    assert settings.retention_days == 90 and settings.low_confidence == 0.5
    target = database_target(settings.database_url)
    assert target.sqlite_path == (tmp_path / "data" / "faqbot.sqlite3").resolve()
    assert target.url.drivername == "sqlite+aiosqlite"
    assert settings.hash_secret and settings.hash_secret not in repr(settings)


def test_settings_from_env_values(tmp_path: Path) -> None:
    env = {
        "USAGE_LOG": "yes",
        "LOG_QUESTIONS": "0",
        "LOG_RETENTION_DAYS": "30",
        "LOW_CONFIDENCE": "0.4",
        "USER_HASH_SECRET": "s3cret",
        "DATABASE_URL": "sqlite:///rel/usage.db",
    }
    settings = StoreSettings.from_env(env, cwd=tmp_path)
    assert (settings.log_questions, settings.retention_days, settings.low_confidence) == (False, 30, 0.4)
    assert settings.hash_secret == "s3cret"
    assert settings.database_url == f"sqlite:///{tmp_path / 'rel' / 'usage.db'}"  # made absolute


def test_bad_settings_are_all_reported(tmp_path: Path) -> None:
    env = {"USAGE_LOG": "maybe", "LOG_RETENTION_DAYS": "ninety", "LOW_CONFIDENCE": "2", "DATABASE_URL": "mysql://x/y"}
    with pytest.raises(StoreSettingsError) as info:
        StoreSettings.from_env(env, cwd=tmp_path)
    assert len(info.value.problems) == 4


def test_usage_log_off_is_a_null_store(tmp_path: Path) -> None:
    settings = StoreSettings.from_env({"USAGE_LOG": "0"}, cwd=tmp_path)
    assert isinstance(open_store(settings), NullStore)
    assert not (tmp_path / "data").exists()  # nothing written when off
    assert isinstance(open_store(StoreSettings.from_env({"USER_HASH_SECRET": "x"}, cwd=tmp_path)), SqlStore)


def test_hash_secret_sources(tmp_path: Path) -> None:
    token = "123456:ABCdef"
    derived = resolve_hash_secret({"TELEGRAM_BOT_TOKEN": token}, tmp_path)
    assert derived == resolve_hash_secret({"TELEGRAM_BOT_TOKEN": token}, tmp_path / "elsewhere")
    assert token not in derived and len(derived) == 64
    assert resolve_hash_secret({"USER_HASH_SECRET": "mine", "TELEGRAM_BOT_TOKEN": token}, tmp_path) == "mine"
    assert not (tmp_path / SECRET_FILE_NAME).exists()
    # Console mode: generated once, kept next to the SQLite file, stable across starts.
    first = StoreSettings.from_env({}, cwd=tmp_path).hash_secret
    second = StoreSettings.from_env({}, cwd=tmp_path).hash_secret
    secret_file = tmp_path / "data" / SECRET_FILE_NAME
    assert first == second == secret_file.read_text().strip()
    assert secret_file.stat().st_mode & 0o077 == 0


def test_database_target_rewrites_paas_urls() -> None:
    heroku = database_target("postgres://user:pw@db.example.com:5432/d1?sslmode=require")
    assert heroku.url.drivername == "postgresql+asyncpg"
    assert dict(heroku.url.query) == {}
    assert heroku.connect_args == {"ssl": "require"}
    assert "pw" not in heroku.describe() and "db.example.com" in heroku.describe()
    render = database_target("postgresql://u:p@host/db?connect_timeout=5&application_name=bot")
    assert render.connect_args == {"timeout": 5.0, "server_settings": {"application_name": "bot"}}
    assert database_target("postgresql+psycopg2://u@h/db").url.drivername == "postgresql+asyncpg"
    for bad in ("mysql://u@h/db", "postgres://u@h/db?sslmode=sometimes", "not a url"):
        with pytest.raises(StoreSettingsError):
            database_target(bad)


# --------------------------------------------------------------------------------------- outage buffer


async def _wait(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(0.05)


async def test_rows_written_while_sqlite_is_unreachable_are_kept_and_written_later(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")  # the database's directory cannot be created: unreachable
    store = SqlStore(settings_for(f"sqlite:///{blocker / 'faqbot.sqlite3'}"))
    await store.start()
    events = [fallback_event(f"问题{i} 我的电话{PHONE}") for i in range(30)]
    for event in events:
        assert await store.record_answer(event) is False  # not recorded yet...
    assert store.buffered == 30  # ...but kept
    blocker.unlink()  # the database is back
    await _wait(lambda: store.buffered == 0, "the buffered rows written")
    data = await store.fetch()
    assert sorted(a.answer_id for a in data.answers) == sorted(e.answer_id for e in events)
    assert all(PHONE not in (a.question or "") for a in data.answers), "redacted before buffering"
    await store.close()


async def test_the_outage_buffer_is_bounded(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("x")
    store = SqlStore(settings_for(f"sqlite:///{blocker / 'faqbot.sqlite3'}"))
    store.outage_limit = 10
    events = [make_event() for _ in range(25)]
    for event in events:
        await store.record_answer(event)
    assert store.buffered == 10
    blocker.unlink()
    await _wait(lambda: store.buffered == 0, "the buffered rows written")
    data = await store.fetch()
    assert [a.answer_id for a in data.answers] == [e.answer_id for e in events[-10:]]  # the newest kept
    await store.close()


async def test_rows_written_while_postgres_is_down_are_written_when_it_returns(
    postgres_server: Any, postgres_url: str
) -> None:
    store = SqlStore(settings_for(postgres_url))
    await store.start()
    before = make_event()
    assert await store.record_answer(before) is True
    postgres_server.halt()
    try:
        during = [make_event() for _ in range(40)]
        results = await asyncio.gather(*[store.record_answer(e) for e in during])
        assert not any(results)
        assert store.buffered == 40
    finally:
        postgres_server.resume()
    await _wait(lambda: store.buffered == 0, "the buffered rows written")
    data = await store.fetch()
    assert sorted(a.answer_id for a in data.answers) == sorted(e.answer_id for e in [before, *during])
    await store.close()
