"""Reliability of the Telegram front end (issue 12), in-process against the fake Bot API: unencodable text,
send retries under injected faults, duplicate update ids, the webhook's body limit and readiness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fake_telegram import wait_until

from bot.render import render_reply
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
