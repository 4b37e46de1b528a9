"""Reliability of the Telegram front end (issue 12), in-process against the fake Bot API: unencodable text,
send retries under injected faults, duplicate update ids, the webhook's body limit and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BOT_WEBHOOK_SECRET as SECRET
from conftest import RecordingStore
from fake_telegram import FakeTelegram, Faults, update_body, wait_until, webhook_headers
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.app import build_application
from bot.delivery import Verdict, classify
from bot.ledger import Claim, UpdateLedger
from bot.render import render_reply
from bot.service import EngineHolder
from bot.webhook import WebhookServer, bind_socket
from faq.engine import Engine

StartBot = Callable[..., Any]

FAMILY_Q = "逾期多久会打电话给家里人"
FAMILY_Q_TRAD = "逾期會不會打給家裡人"


def expected_html(engine: Engine, text: str) -> str:
    reply = engine.reply(text)
    return "\n\n".join(c.html for c in render_reply(reply, "0" * 12, "x"))


# ------------------------------------------------------------------------------------ unencodable text


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("question", [FAMILY_Q, FAMILY_Q_TRAD])
@pytest.mark.parametrize("junk", ["\ud800", "\udfff\ud83d", "\ud800\u0000\ufffe"])
async def test_lone_surrogates_get_the_normal_answer(
    start_bot: StartBot, engine: Engine, mode: str, question: str, junk: str
) -> None:
    bot = await start_bot(mode)
    await bot.push_message(140, question + junk)
    reply = await bot.pop_message(140)
    assert reply.text == expected_html(engine, question)
    await wait_until(lambda: bot.store.answers, what="the usage event")
    recorded = bot.store.answers[0]
    assert recorded.intent == engine.reply(question).intent
    assert recorded.question is not None
    recorded.question.encode("utf-8")  # storable: no lone surrogate left
    assert bot.calls("sendMessage") == [reply], "one reply, and no apology"


# --------------------------------------------------------------------------------------- send retries


def _caused(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_classify_retries_only_what_cannot_have_been_delivered() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/botX/sendMessage")
    assert classify(RetryAfter(3)) is Verdict.WAIT
    assert classify(NetworkError("Bad Gateway")) is Verdict.RETRY  # a 5xx answer
    closed = httpx.RemoteProtocolError("Server disconnected", request=request)
    assert classify(_caused(NetworkError("httpx.RemoteProtocolError"), closed)) is Verdict.RETRY
    refused = httpx.ConnectError("refused", request=request)
    assert classify(_caused(NetworkError("httpx.ConnectError"), refused)) is Verdict.RETRY
    assert classify(_caused(TimedOut(), httpx.ConnectTimeout("t", request=request))) is Verdict.RETRY
    assert classify(_caused(TimedOut(), httpx.PoolTimeout("t", request=request))) is Verdict.RETRY
    # Sent, then no answer in time: Telegram may have delivered it.
    assert classify(_caused(TimedOut(), httpx.ReadTimeout("t", request=request))) is Verdict.GIVE_UP
    assert classify(_caused(TimedOut(), httpx.WriteTimeout("t", request=request))) is Verdict.GIVE_UP
    assert classify(TimedOut()) is Verdict.GIVE_UP
    assert classify(BadRequest("chat not found")) is Verdict.GIVE_UP
    assert classify(Forbidden("blocked")) is Verdict.GIVE_UP
    assert classify(ValueError("x")) is Verdict.GIVE_UP


USERS = range(30_000, 30_100)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.parametrize(
    ("mode", "kinds"),
    [
        ("polling", ("502",)),
        ("polling", ("500", "close")),
        ("polling", ("429",)),
        ("polling", ("stall",)),
        ("polling", ("502", "500", "close", "429", "stall")),
        ("webhook", ("502", "500", "close", "429", "stall")),
    ],
    ids=["polling-502", "polling-500+closed", "polling-429", "polling-stall", "polling-mixed", "webhook-mixed"],
)
async def test_every_user_answered_exactly_once_under_faults(
    start_bot: StartBot,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    kinds: tuple[str, ...],
) -> None:
    monkeypatch.setattr("bot.app.READ_TIMEOUT", 0.5)
    bot = await start_bot(mode)
    bot.state.inject(Faults(rate=0.3, kinds=kinds, stall=1.5, seed=len(kinds)))
    deliveries = [bot.push_message(user_id, FAMILY_Q) for user_id in USERS]
    for chunk in range(0, len(deliveries), 20):
        await asyncio.gather(*deliveries[chunk : chunk + 20])
    # Every update handled (its usage event is recorded after the last send attempt), then count.
    await wait_until(lambda: len(bot.store.answers) >= len(USERS), timeout=60, what="every update handled")
    injected = [kind for _, _, kind in bot.state.injected]
    assert len(injected) >= 15 and set(injected) == set(kinds), "the faults were injected"
    expected = expected_html(engine, FAMILY_Q)
    for user_id in USERS:
        delivered = bot.state.delivered_to(user_id)
        assert len(delivered) == 1, f"user {user_id} got {len(delivered)} replies"
        assert delivered[0].text == expected
    assert len(bot.store.answers) == len(USERS)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_pauses_only_that_chat(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    bot.state.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await bot.push_message(150, FAMILY_Q)
    await bot.wait_for("sendMessage", lambda c: c.chat_id == 150)  # refused with the 429
    await bot.push_message(151, FAMILY_Q)
    await wait_until(lambda: bool(bot.state.delivered_to(150)), timeout=15, what="the retried reply")
    order = [c.chat_id for c in bot.state.delivered if c.method == "sendMessage"]
    assert order == [151, 150], "the other chat was not held back by chat 150's 429"


# ------------------------------------------------------------------------------------------ duplicates


def _ledger(tmp_path: Path, token: str) -> UpdateLedger:
    return UpdateLedger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", token)


async def _post(client: httpx.AsyncClient, port: int, update: dict[str, Any]) -> int:
    response = await client.post(
        f"http://127.0.0.1:{port}/telegram", content=update_body(update), headers=webhook_headers(SECRET)
    )
    return response.status_code


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "ledger"])
async def test_webhook_redelivery_is_answered_once(
    start_bot: StartBot, engine: Engine, tmp_path: Path, durable: bool
) -> None:
    first = await start_bot("webhook")
    if durable:  # the same bot, with a ledger this time
        await first.server.stop()
        first = await start_bot("webhook", ledger=_ledger(tmp_path, first.settings.token), token=first.settings.token)
    users = range(160, 180)
    updates = [{"update_id": 1000 + u, **first.message(u, FAMILY_Q)} for u in users]
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        statuses = await asyncio.gather(*[_post(client, first.port, u) for u in updates for _ in range(3)])
        statuses += [await _post(client, first.port, u) for u in updates]  # and once more, later
    assert set(statuses) == {200}
    for user_id in users:
        assert (await first.pop_message(user_id)).text == expected_html(engine, FAMILY_Q)
    await wait_until(lambda: len(first.store.answers) >= len(users), what="every update handled")
    await first.assert_silent(users[-1], 0.3)
    assert sorted(c.chat_id for c in first.calls("sendMessage")) == list(users)
    assert len(first.store.answers) == len(users), "each update logged once"
    assert first.server.intake.duplicates == 3 * len(users)


async def test_two_replicas_sharing_a_ledger_answer_a_redelivery_once(
    start_bot: StartBot, engine: Engine, tmp_path: Path
) -> None:
    a = await start_bot("webhook")
    token = a.settings.token
    await a.server.stop()
    a = await start_bot("webhook", ledger=_ledger(tmp_path, token), token=token)
    b = await start_bot("webhook", ledger=_ledger(tmp_path, token), token=token)
    users = range(190, 210)
    updates = [{"update_id": 2000 + u, **a.message(u, FAMILY_Q)} for u in users]
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        statuses = await asyncio.gather(
            *[_post(client, bot.port, u) for u in updates for bot in (a, b, a, b)]
        )
    assert set(statuses) == {200}
    await wait_until(
        lambda: len(a.store.answers) + len(b.store.answers) >= len(users), what="every update handled"
    )
    for user_id in users:
        assert (await a.pop_message(user_id)).text == expected_html(engine, FAMILY_Q)
    await a.assert_silent(users[-1], 0.3)
    assert sorted(c.chat_id for c in a.calls("sendMessage")) == list(users)
    assert len(a.store.answers) + len(b.store.answers) == len(users)


async def test_polling_drops_a_repeated_update_id(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    update = bot.state.push(bot.message(220, FAMILY_Q))
    with bot.state.lock:
        bot.state.updates.append(dict(update))  # delivered twice in one batch
    assert (await bot.pop_message(220)).text == expected_html(engine, FAMILY_Q)
    await wait_until(lambda: bot.store.answers, what="the usage event")
    await bot.assert_silent(220, 0.4)
    assert len(bot.store.answers) == 1


async def test_the_ledger_keeps_no_readable_text(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, "123:TOKEN")
    body = update_body({"update_id": 5, "message": {"text": "我叫王小明 13812345678"}})
    assert await ledger.claim(5, body) is Claim.NEW
    assert await ledger.claim(5, body) is Claim.DUPLICATE
    raw = (tmp_path / "ledger.sqlite3").read_bytes()
    assert "王小明".encode() not in raw and b"13812345678" not in raw
    assert await ledger.pending() == 1
    assert await ledger.done(5)
    assert await ledger.pending() == 0
    assert await ledger.claim(5, body) is Claim.DUPLICATE
    await ledger.close()


# ----------------------------------------------------------------------------- body limit, readiness


async def test_a_chunked_body_over_the_limit_is_refused_while_reading(start_bot: StartBot) -> None:
    """A chunked body (no Content-Length) of 2 MB, and then the client stops sending without ending it: a
    server that read bodies whole would wait for the rest; this one answers 413 once 1 MB arrived."""
    bot = await start_bot("webhook")
    reader, writer = await asyncio.open_connection("127.0.0.1", bot.port)
    head = (
        "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    writer.write(head.encode())
    chunk = b"x" * 65_536
    for _ in range(32):  # 2 MB, never terminated
        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 20)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        assert (await client.get(f"http://127.0.0.1:{bot.port}/livez")).status_code == 200
    await bot.push_message(230, FAMILY_Q)  # still serving updates
    assert (await bot.pop_message(230)).text


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_healthz_is_ready_only_after_set_webhook_livez_always(
    bot_settings: Callable[..., Any], engine: Engine, fake_telegram: FakeTelegram
) -> None:
    settings = bot_settings("webhook")
    fake_telegram.bot(settings.token).inject(
        Faults(rate=1.0, kinds=("429",), methods=frozenset({"setWebhook"}), max_per_chat=1, retry_after=2)
    )
    application = build_application(settings, EngineHolder(engine), RecordingStore())
    server = WebhookServer(application, settings, bind_socket("127.0.0.1", 0))
    base = f"http://127.0.0.1:{server.port}"
    starting = asyncio.create_task(server.start())
    try:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:

            async def status(path: str) -> int | None:
                try:
                    return (await client.get(base + path)).status_code
                except httpx.TransportError:
                    return None  # not listening yet

            while await status("/livez") != 200:
                await asyncio.sleep(0.02)
            assert not fake_telegram.bot(settings.token).webhook, "setWebhook has not succeeded yet"
            health = await client.get(base + "/healthz")
            assert (health.status_code, health.json()) == (503, {"status": "starting"})
            await starting
            assert fake_telegram.bot(settings.token).webhook["url"] == settings.webhook_url
            health = await client.get(base + "/healthz")
            assert (health.status_code, health.json()) == (200, {"status": "ok"})
    finally:
        await server.stop()
