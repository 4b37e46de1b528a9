"""Two webhook replicas of one bot sharing one database (SQLite file, then a PostgreSQL the tests start):
deduplication, the flood limit and /reload are shared."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BOT_ADMIN_ID, BOT_WEBHOOK_SECRET, SHIPPED_KB, RunningBot
from fake_telegram import update_body, wait_until, webhook_headers

from bot.app import handlers_of
from bot.ledger import UpdateLedger
from bot.render import render_reply
from faq.engine import Engine

StartBot = Callable[..., Any]
FAMILY_Q = "逾期多久会打电话给家里人"


def expected_html(engine: Engine, text: str) -> str:
    return "\n\n".join(c.html for c in render_reply(engine.reply(text), "0" * 12, "x"))


async def replicas(start_bot: StartBot, database_url: str, **overrides: Any) -> tuple[RunningBot, RunningBot]:
    """Two webhook replicas of one bot (one token) on ``database_url``."""
    first = await start_bot("webhook", ledger=UpdateLedger(database_url, "placeholder"), **overrides)
    token = first.settings.token
    await first.server.stop()  # restarted below with the ledger keyed by its own token
    a = await start_bot("webhook", ledger=UpdateLedger(database_url, token), token=token, **overrides)
    b = await start_bot("webhook", ledger=UpdateLedger(database_url, token), token=token, **overrides)
    return a, b


async def post(client: httpx.AsyncClient, bot: RunningBot, update: dict[str, Any]) -> int:
    response = await client.post(
        f"http://127.0.0.1:{bot.port}/telegram", content=update_body(update), headers=webhook_headers(BOT_WEBHOOK_SECRET)
    )
    return response.status_code


async def test_a_redelivery_to_either_replica_is_answered_once(
    start_bot: StartBot, engine: Engine, database_url: str
) -> None:
    a, b = await replicas(start_bot, database_url)
    users = range(300, 330)
    updates = [{"update_id": 3000 + u, **a.message(u, FAMILY_Q)} for u in users]
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        statuses = await asyncio.gather(*[post(client, bot, u) for u in updates for bot in (a, b, b, a)])
    assert set(statuses) == {200}
    await wait_until(lambda: len(a.store.answers) + len(b.store.answers) >= len(users), what="all handled")
    for user_id in users:
        assert (await a.pop_message(user_id)).text == expected_html(engine, FAMILY_Q)
    await a.assert_silent(users[-1], 0.3)
    assert sorted(c.chat_id for c in a.calls("sendMessage")) == list(users)
    assert len(a.store.answers) + len(b.store.answers) == len(users), "logged once"


async def test_the_flood_limit_is_shared_by_the_replicas(
    start_bot: StartBot, engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared count lives in fixed 60-second windows and a replica that waits over 2 s for the database
    # falls back to its own count: on a loaded machine either could split the six messages. Neither is what
    # this test is about, so the database gets time to answer and the messages go in early in a window.
    monkeypatch.setattr("bot.shared.TIMEOUT", 30.0)
    a, b = await replicas(start_bot, database_url, flood_limit=3)
    left = 60.0 - time.time() % 60.0
    if left < 25.0:
        await asyncio.sleep(left + 0.5)
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        for n, bot in enumerate([a, b, a, b, a, b]):
            assert await post(client, bot, {"update_id": 4000 + n, **a.message(340, FAMILY_Q)}) == 200

    def limited() -> int:
        return handlers_of(a.application).stats.rate_limited + handlers_of(b.application).stats.rate_limited

    await wait_until(lambda: limited() == 3, what="three messages over the shared limit")
    await wait_until(lambda: len(a.sent_to(340)) >= 4, what="three answers and the note")
    note = engine.text("rate_limited").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    texts = Counter(c.text for c in a.sent_to(340))
    # The replicas share the conversation (bot/conversations.py): a repeat gets the key points, the next
    # one a short "all said above", instead of the same answer; which messages those are depends on the
    # order of handling.
    context = engine.converse(FAMILY_Q, None)[1]
    recap_reply, context = engine.converse(FAMILY_Q, context)
    recaps = {
        "\n\n".join(c.html for c in render_reply(reply, "0" * 12, "x"))
        for reply in (recap_reply, engine.converse(FAMILY_Q, context)[0])
    }
    assert texts[note] == 1 and sum(texts.values()) == 4
    assert set(texts) - {note} <= {expected_html(engine, FAMILY_Q), *recaps}


async def test_reload_on_one_replica_reaches_the_other(
    start_bot: StartBot, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    kb = tmp_path / "intents.yaml"
    shutil.copy(SHIPPED_KB, kb)
    a, b = await replicas(start_bot, database_url, kb_path=kb)
    before_b = b.holder.engine
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        assert await post(client, a, {"update_id": 5000, **a.message(BOT_ADMIN_ID, "/reload")}) == 200
    ok = await a.pop_message(BOT_ADMIN_ID, timeout=30)
    assert ok.text.startswith("✅")
    await wait_until(lambda: b.holder.engine is not before_b, timeout=30, what="replica b reloaded")
    assert not [c for c in a.calls("sendMessage") if c.chat_id == BOT_ADMIN_ID][1:], "one reply to /reload"
