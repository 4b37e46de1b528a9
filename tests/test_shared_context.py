"""The conversation context shared by replicas through the database (bot/conversations.py): a follow-up that
reaches another replica is understood as on one replica, the crisis help line follows to the other replica,
the database holds no chat id and no text, rows expire after 30 minutes (injected clock), and a database
that does not answer leaves the replica with its own memory."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import httpx
import pytest
from conftest import RunningBot
from fake_telegram import Call, wait_until
from sqlalchemy import inspect, select
from test_bot_replicas import post

from bot.app import handlers_of
from bot.conversations import ContextUnavailable, SharedContexts, from_row, offered_buttons, to_row
from bot.ledger import UpdateLedger, bot_context
from bot.service import Assistant, EngineHolder
from faq.context import EXPIRY_SECONDS, Context
from faq.engine import Engine
from faq.reply import Suggestion

StartBot = Callable[..., Any]
FAMILY = "会打给我家人吗"
CRISIS = "我不想活了"
_HAN = re.compile(r"[\u3400-\u9fff]")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def replicas(start_bot: StartBot, database_url: str) -> tuple[RunningBot, RunningBot]:
    first = await start_bot("webhook", ledger=UpdateLedger(database_url, "placeholder"))
    token = first.settings.token
    await first.server.stop()
    a = await start_bot("webhook", ledger=UpdateLedger(database_url, token), token=token)
    b = await start_bot("webhook", ledger=UpdateLedger(database_url, token), token=token)
    return a, b


def answers(*bots: RunningBot) -> int:
    return sum(len(bot.store.answers) for bot in bots)


class Chat:
    """One user's conversation, each turn sent to the replica named, replies collected per turn."""

    def __init__(self, bots: tuple[RunningBot, RunningBot], user: int, client: httpx.AsyncClient) -> None:
        self.bots = bots
        self.user = user
        self.client = client
        self.seen = 0
        self.update_id = user * 100

    async def _send(self, bot: RunningBot, update: dict[str, Any]) -> list[Call]:
        before = answers(*self.bots)
        self.update_id += 1
        assert await post(self.client, bot, {"update_id": self.update_id, **update}) == 200
        await wait_until(lambda: answers(*self.bots) > before, what="the turn answered")
        sent = self.bots[0].sent_to(self.user)
        new, self.seen = sent[self.seen :], len(sent)
        assert new
        return new

    async def say(self, bot: RunningBot, text: str) -> list[Call]:
        return await self._send(bot, bot.message(self.user, text))

    async def press(self, bot: RunningBot, call: Call, data: str) -> list[Call]:
        return await self._send(bot, bot.callback(self.user, data, bot.sent_message(call)))


def texts(calls: list[Call]) -> list[str]:
    return [c.text for c in calls]


def first_related(call: Call) -> str:
    return next(b["callback_data"] for b in call.buttons if b.get("callback_data", "").startswith("i:"))


async def run_conversation(chat: Chat, first: RunningBot, second: RunningBot) -> list[list[str]]:
    """天星金融逾期10天 (first) -> 那20天呢, a related button (days and platform), a typed follow-up and a
    crisis reply followed by a question (all on second, except the crisis message itself)."""
    turns = [await chat.say(first, "天星金融逾期10天")]
    turns.append(await chat.say(second, FAMILY))
    turns.append(await chat.say(second, "那20天呢"))
    turns.append(await chat.press(second, turns[-1][-1], first_related(turns[-1][-1])))
    turns.append(await chat.say(first, CRISIS))
    turns.append(await chat.say(second, "怎么投诉催收"))
    return [texts(t) for t in turns]


async def test_a_conversation_across_two_replicas_gets_the_replies_of_one(
    start_bot: StartBot, engine: Engine, database_url: str
) -> None:
    a, b = await replicas(start_bot, database_url)
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        one = await run_conversation(Chat((a, b), 7_364_219_801, client), a, a)
        two = await run_conversation(Chat((a, b), 7_364_219_802, client), a, b)
    assert two == one
    family, later, pressed = two[1][-1], two[2][-1], two[3][-1]
    assert "天星金融" in family  # the 10-day 天星金融 stage, remembered on the other replica
    assert later.startswith("<b>天星金融逾期20天")
    assert "20" in pressed and "天星金融" in pressed
    footer = engine.crisis_footer(engine.reply(CRISIS).help_region)
    assert footer in two[5][-1], "the help line follows the chat to the other replica"
    # Without the shared context the other replica would not know the chat (what a new chat gets):
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        fresh = Chat((a, b), 7_364_219_803, client)
        assert footer not in (await fresh.say(b, "怎么投诉催收"))[-1].text
        assert "天星金融" not in (await fresh.say(b, FAMILY))[-1].text


async def test_the_database_holds_no_chat_id_and_no_text(
    start_bot: StartBot, engine: Engine, database_url: str
) -> None:
    a, b = await replicas(start_bot, database_url)
    user = 7_364_219_811
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        await run_conversation(Chat((a, b), user, client), a, b)
    shared = handlers_of(a.application).assistant.shared
    assert isinstance(shared, SharedContexts)
    engine_db = await shared.ledger.engine()
    async with engine_db.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(select(bot_context))).mappings()]
    assert [r["chat_key"] for r in rows] == [shared.chat_key(user)]
    row = rows[0]
    assert row["intent"] == "complain" and row["crisis_region"] is not None and row["offered"]
    for name, value in row.items():
        assert str(user) not in str(value), name
        assert not _HAN.search(str(value)), name  # no message (nor reply) text


async def test_rows_expire_after_30_minutes_and_are_purged(database_url: str, engine: Engine) -> None:
    clock = Clock()
    ledger = UpdateLedger(database_url, "token")
    shared = SharedContexts(ledger, "token", lambda ids, ctx: offered_buttons(engine, ids, ctx), clock=clock)
    try:
        t0 = clock.now
        context = Context(intent="family_contact", days=10, platform="tianxing", at=t0)
        await shared.save(1, context)
        clock.now = t0 + EXPIRY_SECONDS - 1
        loaded = await shared.load(1, clock.now)
        assert loaded is not None and (loaded.intent, loaded.days, loaded.platform) == ("family_contact", 10, "tianxing")
        clock.now = t0 + EXPIRY_SECONDS + 1
        assert await shared.load(1, clock.now) is None

        # A crisis window keeps the help line (and only it) until it ends, then the row goes too.
        await shared.save(2, Context(intent="complain", at=t0, crisis_until=t0 + 2 * EXPIRY_SECONDS,
                                     crisis_region="mainland"))
        kept = await shared.load(2, clock.now)
        assert kept is not None and kept.intent is None and kept.in_crisis_window(clock.now)

        clock.now = t0 + 2 * EXPIRY_SECONDS + 1
        await shared.save(3, Context(intent="evidence", at=clock.now))  # the writer purges what expired
        db = await ledger.engine()
        async with db.connect() as conn:
            keys = set((await conn.execute(select(bot_context.c.chat_key))).scalars())
            assert keys == {shared.chat_key(3)}
        assert await shared.purge() == 0
    finally:
        await ledger.close()


async def test_a_follow_up_after_30_minutes_on_the_other_replica_starts_afresh(
    start_bot: StartBot, engine: Engine, database_url: str
) -> None:
    a, b = await replicas(start_bot, database_url)
    clock = Clock()
    for bot in (a, b):
        assistant = handlers_of(bot.application).assistant
        assistant.clock = clock
        assert isinstance(assistant.shared, SharedContexts)
        assistant.shared.clock = clock
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        chat = Chat((a, b), 7_364_219_821, client)
        await chat.say(a, "天星金融逾期10天")
        clock.now += EXPIRY_SECONDS - 60
        assert "天星金融" in (await chat.say(b, FAMILY))[-1].text
        clock.now += EXPIRY_SECONDS + 1
        assert "天星金融" not in (await chat.say(a, FAMILY))[-1].text


def test_rows_carry_only_ids_and_the_offered_buttons_come_back(engine: Engine) -> None:
    context = engine.converse("天星金融逾期10天 会打给我家人吗", None, 1000.0)[1]
    assert context.offered
    row = to_row("k" * 64, replace(context, words=("聯絡人", "某人的名字"), platform="天星"))
    assert row["words"] == "聯絡人" and row["platform"] is None  # only known vocabulary and ids
    back = from_row(row, lambda ids, ctx: offered_buttons(engine, ids, ctx))
    assert {s.intent for s in back.offered} == {s.intent for s in context.offered}
    assert set(context.offered) <= set(back.offered)  # every title shown can be typed back
    assert (back.intent, back.days, back.at) == (context.intent, context.days, context.at)


async def test_a_database_that_does_not_answer_leaves_the_replica_its_memory(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = UpdateLedger("postgresql://faq@127.0.0.1:9/none", "token")
    shared = SharedContexts(ledger, "token", lambda ids, ctx: offered_buttons(engine, ids, ctx), timeout=0.5)
    assistant = Assistant(EngineHolder(engine), shared=shared)
    caplog.set_level(logging.INFO)
    try:
        async with assistant.conversation(5):
            assistant.ask("天星金融逾期10天", user_id=5, chat_type="private", chat=5)
        async with assistant.conversation(5):
            answered = assistant.ask(FAMILY, user_id=5, chat_type="private", chat=5)
        assert "天星金融" in answered.reply.text
        with pytest.raises(ContextUnavailable):
            await shared.load(5, 0.0)
    finally:
        await ledger.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "bot.conversations"]
    assert len(warnings) == 1, "one warning, not one per reply"
    assert not any("天星" in r.getMessage() or "家人" in r.getMessage() for r in caplog.records)


async def test_an_existing_ledger_database_gains_the_context_table(database_url: str) -> None:
    """The ledger's tables are created when missing (bot/ledger.py ``_create_tables``): a database made
    before this table existed gets it on the next start, and the other tables keep their rows."""
    old = UpdateLedger(database_url, "token")
    try:
        db = await old.engine()
        async with db.begin() as conn:
            await conn.run_sync(lambda sync: bot_context.drop(sync))
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert "bot_context" not in names and "bot_updates" in names
    finally:
        await old.close()
    restarted = UpdateLedger(database_url, "token")
    try:
        db = await restarted.engine()
        async with db.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert {"bot_context", "bot_updates", "bot_flood"} <= set(names)
    finally:
        await restarted.close()


def test_offered_buttons_are_rebuilt_in_the_readers_script(engine: Engine) -> None:
    context = Context(traditional=True, variant="tw")
    buttons = offered_buttons(engine, ["family_contact", "no_such_intent"], context)
    assert buttons and all(isinstance(b, Suggestion) and b.intent == "family_contact" for b in buttons)
    plain = offered_buttons(engine, ["family_contact"], Context())
    assert [b.title for b in buttons] != [b.title for b in plain]


def test_every_context_field_survives_the_database(engine: Engine) -> None:
    """A field added to Context later must be stored too (or this fails): every field set, round-tripped."""
    context = Context(
        intent="family_contact", days=20, platform="tianxing", at=1234.5, kind="answer",
        shown="family_contact|tianxing:16-30", offered=(Suggestion("evidence", "怎么留证据?"),),
        stage_shown="tianxing:16-30", details_shown=True, traditional=True, variant="hk", words=("聯絡人",),
        mainland_noted=True, last_text="0123456789abcdef", crisis_until=4321.0, crisis_region="hong_kong",
    )
    assert all(getattr(context, f.name) != f.default for f in fields(Context)), "set every field here"
    back = from_row(to_row("k" * 64, context), lambda ids, ctx: tuple(Suggestion(i, "") for i in ids))
    assert replace(back, offered=context.offered) == context
    assert [s.intent for s in back.offered] == ["evidence"]
