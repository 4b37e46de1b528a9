"""Whole conversations through the Telegram front end (the real PTB application against the fake Bot API
server, tests/fake_telegram.py): context per chat, buttons that carry the day count and platform, the
"详细说明" button, follow-up buttons, the helpful fallback, no repeats, Traditional readers, /more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import RunningBot
from fake_telegram import Call

from bot.render import CALLBACK_LIMIT, decode_callback
from faq.engine import Engine
from faq.normalize import is_traditional

StartBot = Callable[..., Any]


def intent_buttons(call: Call) -> list[dict[str, Any]]:
    return [b for b in call.buttons if b.get("callback_data", "").startswith(("i:", "h:"))]


def details_button(call: Call) -> dict[str, Any] | None:
    return next((b for b in call.buttons if b.get("callback_data", "").startswith("m:")), None)


async def press(bot: RunningBot, user_id: int, call: Call, data: str) -> Call:
    await bot.push(bot.callback(user_id, data, bot.sent_message(call)))
    return await bot.pop_message(user_id)


def assert_buttons_fit(call: Call) -> None:
    for data in call.callback_data():
        assert len(data.encode()) <= CALLBACK_LIMIT, data
        assert decode_callback(data) is not None, data


async def test_a_conversation_keeps_days_and_platform_and_buttons_carry_them(
    start_bot: StartBot, engine: Engine
) -> None:
    bot = await start_bot()
    user = 701
    await bot.push_message(user, "天星金融逾期10天")
    stage = await bot.pop_message(user)
    assert "天星金融" in stage.text and "10" in stage.text
    assert_buttons_fit(stage)
    buttons = intent_buttons(stage)
    assert buttons and all(b["callback_data"].endswith(":10:tianxing") for b in buttons)

    await bot.push_message(user, "会打给我家人吗")
    family = await bot.pop_message(user)
    assert "天星金融" in family.text  # the 10-day 天星金融 stage, remembered
    assert_buttons_fit(family)
    expected_asks = []
    intent = engine.kb.intent("family_contact")
    assert intent is not None
    for related_id in intent.related[:3]:
        related = engine.kb.intent(related_id)
        assert related is not None
        expected_asks.append(related.ask or related.title)
    assert [b["text"] for b in intent_buttons(family)] == expected_asks  # the user's next questions
    assert family.text.startswith("<b>")  # the summary first, bold

    await bot.push_message(user, "那20天呢")
    later = await bot.pop_message(user)
    assert later.text.startswith("<b>天星金融逾期20天")
    assert "紧急联系人" in later.text.split("\n")[0]

    # A related button keeps the 20 days and 天星金融.
    pressed = await press(bot, user, later, intent_buttons(later)[0]["callback_data"])
    press_data = decode_callback(intent_buttons(later)[0]["callback_data"])
    assert press_data is not None and (press_data.days, press_data.platform) == (20, "tianxing")
    assert "20" in pressed.text and "天星金融" in pressed.text

    # "详细说明" sends the details of that answer.
    more = details_button(family)
    assert more is not None and more["text"] == engine.text("details_button")
    details = await press(bot, user, family, more["callback_data"])
    assert details.text != family.text and len(details.text) > 50
    reply, _ = engine.more(None, intent_id="family_contact", days=10, platform="tianxing")
    assert reply.parts[0].body.split("\n")[0] in details.text


async def test_repeats_follow_ups_and_more(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    user = 702
    await bot.push_message(user, "会不会爆通讯录")
    first = await bot.pop_message(user)
    await bot.push_message(user, "会不会爆通讯录")
    again = await bot.pop_message(user)
    assert again.text != first.text and engine.kb.texts.recap_heading in again.text
    assert intent_buttons(again)  # buttons to go on

    await bot.push_message(user, "是真的吗")
    verify = await bot.pop_message(user)
    assert verify.text not in (first.text, again.text)

    await bot.push_message(user, "/more")
    more = await bot.pop_message(user)
    assert more.text and more.text != first.text

    # A typed follow-up that is one of the offered buttons is that button.
    offered = intent_buttons(first)[0]
    await bot.push_message(user, offered["text"])
    chosen = await bot.pop_message(user)
    target = decode_callback(offered["callback_data"])
    assert target is not None and target.intent is not None
    expected, _ = engine.press(target.intent, None) or (None, None)
    assert expected is not None and expected.summary and expected.summary in chosen.text


async def test_fallback_offers_situations_and_a_situation_button_answers(
    start_bot: StartBot, engine: Engine
) -> None:
    bot = await start_bot()
    user = 703
    await bot.push_message(user, "那我该怎么办")
    fallback = await bot.pop_message(user)
    assert engine.kb.texts.ask_situation.split(":")[0] in fallback.text
    labels = [b["text"] for b in intent_buttons(fallback)]
    assert labels == [label for label, _ in engine.kb.texts.situations]
    assert fallback.buttons[-1]["text"] == engine.text("none_of_these")
    family = next(b for b in intent_buttons(fallback) if b["text"] == "催收要找家人")
    answer = await press(bot, user, fallback, family["callback_data"])
    family_intent = engine.kb.intent("family_contact")
    assert family_intent is not None
    reply = engine.answer_intent("family_contact")
    assert reply is not None and reply.summary and reply.summary in answer.text


async def test_scared_user_is_calmed_first(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    await bot.push_message(704, "会不会爆通讯录,吓死了")
    reply = await bot.pop_message(704)
    assert reply.text.startswith(f"<b>{engine.kb.texts.reassure}")


async def test_hong_kong_reader_conversation(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    user = 705
    await bot.push_message(user, "逾期咗兩個禮拜,佢哋會唔會打俾我屋企人")
    first = await bot.pop_message(user)
    assert is_traditional(first.text)
    for char in ("爲", "覈", "纔"):
        assert char not in first.text
    assert all(b["callback_data"].startswith("i:t:") for b in intent_buttons(first))
    await bot.push_message(user, "咁點算")
    follow = await bot.pop_message(user)
    assert is_traditional(follow.text) and follow.text != first.text
    assert engine.text("stage_todo", True, "hk") in follow.text  # what to do at 14 days


async def test_chats_do_not_share_context(start_bot: StartBot) -> None:
    bot = await start_bot()
    await bot.push_message(706, "天星金融逾期10天")
    await bot.pop_message(706)
    await bot.push_message(707, "会打给我家人吗")
    other = await bot.pop_message(707)
    assert "天星金融逾期10天" not in other.text and "逾期10天 · 天星金融" not in other.text


async def test_crisis_help_line_follows_later_replies(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    user = 708
    await bot.push_message(user, "我不想活了")
    crisis = await bot.pop_message(user)
    assert "12356" in crisis.text
    offer = await bot.pop_message(user)  # the gentle offer to talk about the debt later, its own message
    assert offer.buttons
    await bot.push_message(user, "怎么投诉催收")
    answer = await bot.pop_message(user)
    assert engine.crisis_footer(engine.reply("我不想活了").help_region) in answer.text
