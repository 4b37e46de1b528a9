"""/rate and /complaint end to end: the flows (bot/tools.py) in the console chat and through the fake Bot
API (pressing the inline buttons), plus the in-memory flow store."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from typing import Any

import pytest
from conftest import RecordingStore, RunningBot
from fake_telegram import Call

from bot.console import Console
from bot.service import Assistant, EngineHolder, Stats
from bot.tools import ComplaintFlow, FlowStore, RateFlow
from faq.complaint import load_templates
from faq.engine import Engine

StartBot = Callable[..., Any]
CRISIS = "我不想活了"


# ------------------------------------------------------------------------------------------- the store


def test_flow_store_expires_and_is_bounded(engine: Engine) -> None:
    now = [0.0]
    store = FlowStore(ttl=60, size=2, clock=lambda: now[0])
    first = store.begin(1, RateFlow(engine.rates), False)
    assert store.get(1) is first
    now[0] = 59
    assert store.get(1) is first  # an answer keeps it alive
    now[0] = 59 + 61
    assert store.get(1) is None and len(store) == 0
    for chat in (1, 2, 3):
        store.begin(chat, RateFlow(engine.rates), False)
    assert len(store) == 2 and store.get(1) is None and store.get(3) is not None


def test_flows_without_a_front_end(engine: Engine) -> None:
    rate = RateFlow(engine.rates)
    assert rate.start("").buttons  # the intro asks for the money received
    assert rate.typed("借5000 扣了500") is not None and rate.awaiting == "schedule"
    assert rate.press("p:s") is not None and rate.awaiting == "term_days"
    assert rate.typed("两周") is not None and rate.awaiting == "repayment"
    done = rate.typed("5000元")
    assert (
        done is not None
        and done.done
        and done.apr == pytest.approx(round((5000 / 4500 - 1) * 365 / 14 * 100, 1))
    )
    complaint = ComplaintFlow(load_templates(), today=lambda: dt.date(2026, 11, 26))
    complaint.start("某某借")
    assert complaint.typed("2026年10月1日") is not None and complaint.since == dt.date(2026, 10, 1)
    assert complaint.press("i:ok") is not None and complaint.stage == "issues"  # nothing picked yet
    assert complaint.typed("逾期了会不会爆通讯录啊") is None  # a question leaves the form


# ---------------------------------------------------------------------------------------------- console


class ConsoleRun:
    def __init__(self, engine: Engine) -> None:
        self.out = io.StringIO()
        self.assistant = Assistant(EngineHolder(engine), RecordingStore(), Stats())
        self.console = Console(self.assistant, self.out)
        self.seen = 0

    def send(self, line: str) -> str:
        assert self.console.handle(line)
        text = self.out.getvalue()[self.seen :]
        self.seen = len(self.out.getvalue())
        return text


async def test_console_rate_flow_step_by_step(engine: Engine) -> None:
    run = ConsoleRun(engine)
    out = run.send("/rate")
    assert "实际到手多少钱" in out
    assert "分期还" in run.send("4500")
    assert "3. 12期" in run.send("1")  # 1 = 分期还
    assert "每期还多少" in run.send("3")  # 3 = 12期
    out = run.send("500")
    expected = round(engine.reply("到手4500 分12期 每期还500").apr or 0, 1)
    assert expected == 56.8 and "约56.8%" in out and "36%" in out
    assert run.console.tools.flow is None
    # The flow is over: a number is no answer to it any more, and a question gets the normal reply.
    assert "约56.8%" not in run.send("会爆通讯录吗")
    await run.assistant.drain()


async def test_console_complaint_flow_multi_select(engine: Engine) -> None:
    run = ConsoleRun(engine)
    assert "哪个平台" in run.send("/complaint")
    assert "1. 今天" in run.send("某某借")
    out = run.send("2026-09-15")
    assert "2. 夜里或清早打电话" in out and "10. 完成" in out
    out = run.send("2 3")  # two toggles at once
    assert "✅ 夜里或清早打电话" in out and "✅ 打给或发给我的亲友" in out
    out = run.send("2")  # untoggle
    assert "✅ 夜里" not in out.split("发生了什么")[-1]
    out = run.send("10")
    assert "✅ 立即停止上述违规催收行为" in out
    out = run.send("请删除我通讯录里的所有号码")  # own words
    assert "已加上你的要求" in out
    out = run.send("9")
    assert "【给某某借的投诉信】" in out and "12378" in out
    assert "《个人信息保护法》第10条" in out and "22:00至次日8:00" not in out
    assert "请删除我通讯录里的所有号码" in out and "自2026年9月15日起" in out
    assert run.console.tools.flow is None
    await run.assistant.drain()


async def test_console_crisis_leaves_the_form(engine: Engine) -> None:
    run = ConsoleRun(engine)
    run.send("/complaint")
    out = run.send(CRISIS)
    assert engine.reply(CRISIS).parts[0].body.split("\n")[0] in out
    assert run.console.tools.flow is None
    run.send("/rate")
    out = run.send("1")  # 1 = 取消 (the only button of the first question)
    assert "已取消" in out
    await run.assistant.drain()


# --------------------------------------------------------------------------------------------- Telegram


def button(call: Call, text: str) -> str:
    for b in call.buttons:
        if text in b["text"]:
            return str(b["callback_data"])
    raise AssertionError(f"no button {text!r} in {[b['text'] for b in call.buttons]}")


async def press(bot: RunningBot, user_id: int, call: Call, data: str) -> dict[str, Any]:
    return await bot.push(bot.callback(user_id, data, bot.sent_message(call)))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_telegram_rate_flow(start_bot: StartBot, engine: Engine, mode: str, caplog: Any) -> None:
    caplog.set_level(logging.INFO)
    bot = await start_bot(mode)
    commands = await bot.wait_for("setMyCommands")
    assert {c["command"] for c in commands.params["commands"]} >= {"rate", "complaint"}
    user = 301
    await bot.push_message(user, "/rate")
    ask = await bot.pop_message(user)
    assert "实际到手多少钱" in ask.text
    await bot.push_message(user, "三千")
    how = await bot.pop_message(user)
    await press(bot, user, how, button(how, "到期一次还清"))
    term = await bot.pop_message(user)
    assert all(b["callback_data"].startswith("t:") for b in term.buttons)
    await press(bot, user, term, button(term, "7天"))
    repay = await bot.pop_message(user)
    assert "到期一共还多少钱" in repay.text
    await bot.push_message(user, "3600")
    result = await bot.pop_message(user)
    rate = round((3600 / 3000 - 1) * 365 / 7 * 100, 1)
    assert f"约{rate}%" in result.text
    # over: the next message is a question again, answered by the engine
    await bot.push_message(user, "会爆通讯录吗")
    answer = await bot.pop_message(user)
    assert "约" + str(rate) not in answer.text
    assert "3600" not in caplog.text and "三千" not in caplog.text  # no figure reaches the INFO log
    assert not bot.store.answers or all(
        e.question is None or "3600" not in e.question for e in bot.store.answers
    )


async def test_telegram_rate_with_arguments_and_traditional(start_bot: StartBot) -> None:
    bot = await start_bot()
    await bot.push_message(302, "/rate 借款5,000元，實際到手4,500，分12期每期還500")
    result = await bot.pop_message(302)
    assert "約56.8%" in result.text and "實際到手" in result.text


async def test_telegram_complaint_flow_with_toggles(start_bot: StartBot) -> None:
    bot = await start_bot()
    user = 303
    await bot.push_message(user, "/complaint")
    assert "哪个平台" in (await bot.pop_message(user)).text
    await bot.push_message(user, "某某借")
    since = await bot.pop_message(user)
    await press(bot, user, since, button(since, "一个月前"))
    issues = await bot.pop_message(user)
    await press(bot, user, issues, button(issues, "威胁"))
    edit = await bot.wait_for("editMessageReplyMarkup")
    toggled = edit.params["reply_markup"]["inline_keyboard"]
    assert any(b["text"].startswith("✅ 威胁") for row in toggled for b in row)
    await press(bot, user, issues, button(issues, "上门"))
    await press(bot, user, issues, button(issues, "完成"))
    requests = await bot.pop_message(user)
    assert "✅ 立即停止" in str(requests.buttons)
    await press(bot, user, requests, button(requests, "生成投诉信"))
    ready = await bot.pop_message(user)
    assert "投诉信写好了" in ready.text
    lender = await bot.pop_message(user)
    regulator = await bot.pop_message(user)
    footer = await bot.pop_message(user)
    since_date = dt.date.today() - dt.timedelta(days=30)
    started = f"自{since_date.year}年{since_date.month}月{since_date.day}日起"
    assert "【给某某借的投诉信】" in lender.text and started in lender.text
    assert "第五十条" in lender.text and "不少于两人" in lender.text
    assert "12378" in regulator.text and "地方金融管理局" in regulator.text
    assert "不保存" in footer.text
    # the form is gone: pressing one of its buttons again is answered as stale
    update = await press(bot, user, issues, button(issues, "完成"))
    stale = await bot.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == update["callback_query"]["id"]
    )
    assert "过期" in stale.params.get("text", "")


async def test_telegram_crisis_during_a_form_gets_crisis_help(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    user = 304
    await bot.push_message(user, "/complaint")
    await bot.pop_message(user)
    await bot.push_message(user, CRISIS)
    reply = await bot.pop_message(user)
    assert engine.reply(CRISIS).parts[0].body.split("\n")[0] in reply.text


async def test_telegram_complaint_in_a_group_points_to_private_chat(start_bot: StartBot) -> None:
    bot = await start_bot()
    await bot.push_message(305, "/complaint", chat_type="group")
    reply = await bot.pop_message(-100_000 - 305)
    assert "私聊" in reply.text


async def test_telegram_questions_and_other_commands_leave_the_form(
    start_bot: StartBot, engine: Engine
) -> None:
    bot = await start_bot()
    user = 306
    await bot.push_message(user, "/complaint")
    await bot.pop_message(user)
    await bot.push_message(user, "会爆通讯录吗")  # a question, not a platform's name
    answer = await bot.pop_message(user)
    assert engine.reply("会爆通讯录吗").kind.value == "answer"
    assert any(b["callback_data"].startswith("f:") for b in answer.buttons)  # the engine's answer, 👍 👎
    assert "从什么时候开始" not in answer.text
    await bot.push_message(user, "/rate")
    await bot.pop_message(user)
    await bot.push_message(user, "/topics")
    await bot.pop_message(user)
    await bot.push_message(user, "4500")  # the form is closed: no longer an answer to it
    reply = await bot.pop_message(user)
    assert "分期还" not in str(reply.buttons) and "实际到手" not in reply.text


async def test_console_other_command_closes_the_form(engine: Engine) -> None:
    run = ConsoleRun(engine)
    run.send("/rate")
    run.send("/topics")
    assert run.console.tools.flow is None
    assert "怎么还" not in run.send("4500")
    await run.assistant.drain()


async def test_telegram_message_with_figures_gets_the_rate(start_bot: StartBot, engine: Engine) -> None:
    """Without /rate: a message with a loan's figures is answered with its rate (bold first), the
    interest topic's related questions and details, and 👍 👎."""
    bot = await start_bot()
    await bot.push_message(307, "借3000 砍头息扣了500 实际到手2500 7天后还3000")
    reply = await bot.pop_message(307)
    assert reply.text.startswith("<b>") and "约1042.9%" in reply.text.split("</b>")[0]
    data = [b["callback_data"] for b in reply.buttons]
    assert any(d.startswith("f:") for d in data)
    if engine.kb.intent("interest_fees") is not None:
        assert len([d for d in data if not d.startswith("f:")]) >= 2  # related questions and 详细说明
