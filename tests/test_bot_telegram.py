"""The Telegram front end end-to-end, in-process: the real PTB application against the fake Bot API server
(tests/fake_telegram.py), in polling and webhook mode."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from conftest import BOT_ADMIN_ID, BOT_WEBHOOK_SECRET, SHIPPED_KB, RecordingStore, RunningBot
from fake_telegram import BOT_USERNAME, Call, wait_until

from bot import webhook
from bot.app import build_application, handlers_of
from bot.render import MESSAGE_LIMIT, render_reply, utf16_len
from bot.service import EngineHolder, ReloadResult
from faq.context import Context
from faq.engine import Engine
from faq.normalize import is_traditional
from faq.reply import Reply, ReplyKind
from faq.usage import Feedback

StartBot = Callable[..., Any]

FAMILY_Q = "逾期多久会打电话给家里人"
FAMILY_Q_TRAD = "逾期會不會打給家裡人"
COMBINED_Q = "拖了12天了会打给我老公吗"


class _HtmlChecker(HTMLParser):
    """Telegram's HTML subset: the bot only ever uses <b> and <pre>; everything else must be escaped."""

    ALLOWED: ClassVar[set[str]] = {"b", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.ALLOWED, f"unexpected tag <{tag}>"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()


def assert_valid_html(text: str) -> None:
    assert 0 < utf16_len(text) <= MESSAGE_LIMIT
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    assert not checker.stack
    assert re.search(r"&(?!(amp|lt|gt|quot|#\d+);)", text) is None, "unescaped &"


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def expected_html(engine: Engine, text: str) -> str:
    reply = engine.reply(text)
    return reply_html(engine, reply)


def reply_html(engine: Engine, reply: Reply) -> str:
    label = engine.text("details_button", reply.traditional)
    return "\n\n".join(c.html for c in render_reply(reply, "0" * 12, "x", details_label=label))


def conversation_html(engine: Engine, texts: list[str]) -> list[str]:
    """What one chat gets for these messages in a row (the context carries over)."""
    context: Context | None = None
    out = []
    for text in texts:
        reply, context = engine.converse(text, context)
        out.append(reply_html(engine, reply))
    return out


def button(call: Call, prefix: str = "", title: str | None = None) -> dict[str, Any]:
    for b in call.buttons:
        if b.get("callback_data", "").startswith(prefix) and (title is None or b["text"] == title):
            return b
    raise AssertionError(f"no button {prefix!r} {title!r} in {call.buttons}")


async def press(bot: RunningBot, user_id: int, call: Call, data: str) -> dict[str, Any]:
    return await bot.push(bot.callback(user_id, data, bot.sent_message(call)))


# ------------------------------------------------------------------------------------------- basics


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_start_shows_welcome_topics_and_registers_commands(
    start_bot: StartBot, engine: Engine, mode: str
) -> None:
    bot = await start_bot(mode)
    commands = await bot.wait_for("setMyCommands")
    assert {c["command"] for c in commands.params["commands"]} >= {"start", "help", "topics", "stage"}
    await bot.push_message(101, "/start")
    reply = await bot.pop_message(101)
    assert_valid_html(reply.text)
    assert engine.text("welcome").split("\n")[0] in reply.text
    assert engine.text("disclaimer") in reply.text or "不构成法律意见" in reply.text
    assert reply.params.get("parse_mode") == "HTML"
    titles = [b["text"] for b in reply.buttons]
    assert titles == [t.title for t in engine.topics()]
    assert all(len(d.encode()) <= 64 for d in reply.callback_data())
    if mode == "webhook":
        webhook = bot.state.webhook
        assert webhook["url"] == "https://bot.example.com/telegram"
        assert webhook["secret_token"] == BOT_WEBHOOK_SECRET
        assert set(webhook["allowed_updates"]) >= {
            "message",
            "edited_message",
            "callback_query",
            "inline_query",
        }
    else:
        assert bot.calls("deleteWebhook")  # polling clears any webhook first
        assert bot.calls("getUpdates")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_simplified_question_gets_the_answer_related_buttons_and_feedback(
    start_bot: StartBot, engine: Engine, mode: str
) -> None:
    bot = await start_bot(mode)
    await bot.push_message(102, FAMILY_Q)
    reply = await bot.pop_message(102)
    expected = engine.reply(FAMILY_Q)
    assert expected.kind is ReplyKind.ANSWER
    assert reply.text == expected_html(engine, FAMILY_Q)
    assert_valid_html(reply.text)
    data = reply.callback_data()
    related = [d for d in data if d.startswith("i:s:")]
    assert [d.split(":", 2)[2] for d in related] == [s.intent for s in expected.related[:3]]
    assert 2 <= len(related) <= 3
    assert [b["text"] for b in reply.buttons[-2:]] == ["👍", "👎"]
    await wait_until(lambda: bot.store.answers, what="the usage event")
    assert [e.intent for e in bot.store.answers] == [expected.intent]
    event = bot.store.answers[0]
    assert event.user_id == 102 and event.chat_type == "private" and event.question == FAMILY_Q
    assert event.answer_id in data[-1]


async def test_traditional_question_gets_a_traditional_reply_and_buttons(
    start_bot: StartBot, engine: Engine
) -> None:
    bot = await start_bot()
    await bot.push_message(103, FAMILY_Q_TRAD)
    reply = await bot.pop_message(103)
    assert is_traditional(reply.text)
    assert reply.text == expected_html(engine, FAMILY_Q_TRAD)
    related = [b for b in reply.buttons if b["callback_data"].startswith("i:")]
    assert related and all(b["callback_data"].startswith("i:t:") for b in related)
    assert any(is_traditional(b["text"]) for b in related)
    # The chosen related answer stays Traditional.
    await press(bot, 103, reply, related[0]["callback_data"])
    answer = await bot.pop_message(103)
    assert is_traditional(answer.text)
    # So do commands without Chinese text, once the user wrote Traditional.
    await bot.push_message(103, "/stage 10")
    stage = await bot.pop_message(103)
    assert is_traditional(stage.text)


async def test_combined_day_count_question_gets_family_answer_and_stage_block(
    start_bot: StartBot, engine: Engine
) -> None:
    bot = await start_bot()
    expected = engine.reply(COMBINED_Q)
    assert expected.intent == "family_contact" and expected.days == 12
    await bot.push_message(104, COMBINED_Q)
    reply = await bot.pop_message(104)
    assert reply.text == expected_html(engine, COMBINED_Q)
    heading = expected.parts[1].heading
    assert heading and f"<b>{heading}</b>" in reply.text
    assert "12" in heading


async def test_stage_command(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    await bot.push_message(105, "/stage 10 极融")
    reply = await bot.pop_message(105)
    expected = engine.stage_reply(10, "jirong")
    assert reply.text == "\n\n".join(c.html for c in render_reply(expected, "0", "x"))
    await bot.push_message(105, "/days 3")
    assert "3" in (await bot.pop_message(105)).text
    await bot.push_message(105, "/stage")
    usage = await bot.pop_message(105)
    assert "/stage 10" in usage.text
    await bot.push_message(105, "/topics")
    topics = await bot.pop_message(105)
    assert len(topics.buttons) == len(engine.topics())
    await bot.push_message(105, "/help")
    assert (await bot.pop_message(105)).text.startswith(engine.text("help").split("\n")[0][:10])
    await bot.push_message(105, "/nonsense")
    assert (await bot.pop_message(105)).text.startswith(engine.text("help").split("\n")[0][:10])


# ------------------------------------------------------------------------------------------- buttons


async def test_related_button_press_answers_the_query_and_sends_the_answer(
    start_bot: StartBot, engine: Engine
) -> None:
    bot = await start_bot()
    await bot.push_message(106, FAMILY_Q)
    reply = await bot.pop_message(106)
    data = button(reply, "i:")["callback_data"]
    intent = data.split(":", 2)[2]
    update = await press(bot, 106, reply, data)
    answered = await bot.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == update["callback_query"]["id"]
    )
    assert "text" not in answered.params
    answer = await bot.pop_message(106)
    expected = engine.answer_intent(intent)
    assert expected is not None
    assert answer.text == "\n\n".join(c.html for c in render_reply(expected, "0", "x"))
    await wait_until(lambda: len(bot.store.answers) == 2, what="two usage events")
    assert [e.intent for e in bot.store.answers] == ["family_contact", intent]
    assert bot.store.answers[1].question is None


async def test_thumbs_up_records_feedback_and_thanks(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    await bot.push_message(107, FAMILY_Q)
    reply = await bot.pop_message(107)
    up = button(reply, "f:u:")
    update = await press(bot, 107, reply, up["callback_data"])
    answered = await bot.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == update["callback_query"]["id"]
    )
    assert answered.params["text"] == engine.text("feedback_thanks")
    edit = await bot.wait_for("editMessageReplyMarkup")
    remaining = [b for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert remaining and not any(b["callback_data"].startswith("f:") for b in remaining)
    await wait_until(lambda: bot.store.answers and bot.store.feedback, what="the answer and the vote")
    answer_id = bot.store.answers[0].answer_id
    assert bot.store.feedback == [(answer_id, 107, Feedback.UP)]
    await bot.assert_silent(107, 0.2)


async def test_fallback_offers_suggestions_and_none_of_these(
    start_bot: StartBot, engine: Engine, unknown_question: str
) -> None:
    bot = await start_bot()
    expected = engine.reply(unknown_question)
    assert expected.kind is ReplyKind.FALLBACK
    await bot.push_message(108, unknown_question)
    reply = await bot.pop_message(108)
    data = reply.callback_data()
    assert [d.split(":", 2)[2] for d in data[:-1]] == [s.intent for s in expected.suggestions[:5]]
    assert reply.buttons[-1]["text"] == engine.text("none_of_these")
    await press(bot, 108, reply, data[-1])
    follow_up = await bot.pop_message(108)
    assert follow_up.text.startswith(engine.text("none_of_these_reply").split("\n")[0][:10])
    await wait_until(lambda: bot.store.answers and bot.store.feedback, what="the answer and the vote")
    assert bot.store.feedback[0][2] is Feedback.NONE_OF_THESE
    assert bot.store.answers[0].fell_back


async def test_unknown_or_stale_button_is_answered_quietly(start_bot: StartBot) -> None:
    bot = await start_bot()
    await bot.push_message(109, FAMILY_Q)
    reply = await bot.pop_message(109)
    for data in ("garbage", "i:s:no_such_intent", "f:x:s:zz", "h:s:0011223344556677"):
        update = await press(bot, 109, reply, data)
        await bot.wait_for(
            "answerCallbackQuery",
            lambda c, u=update: c.params["callback_query_id"] == u["callback_query"]["id"],
        )
    await bot.assert_silent(109, 0.3)


# -------------------------------------------------------------------------------------------- inline


async def test_inline_query_offers_articles(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    update = await bot.push(bot.inline_query(110, FAMILY_Q))
    call = await bot.wait_for("answerInlineQuery")
    assert call.params["inline_query_id"] == update["inline_query"]["id"]
    results = call.params["results"]
    assert 2 <= len(results) <= 3
    assert all(r["type"] == "article" for r in results)
    first = results[0]["input_message_content"]
    assert first["parse_mode"] == "HTML"
    assert_valid_html(first["message_text"])
    assert results[0]["title"] == engine.title("family_contact")
    assert len({r["id"] for r in results}) == len(results)

    await bot.push(bot.inline_query(110, ""))
    topics = await bot.wait_for("answerInlineQuery", lambda c: c is not call)
    assert [r["title"] for r in topics.params["results"]] == [t.title for t in engine.topics()][:30]


async def test_inline_queries_have_their_own_wider_flood_limit(start_bot: StartBot, engine: Engine) -> None:
    """One query per keystroke: five per allowed message, then empty answers; messages keep their limit."""
    from bot.handlers import INLINE_QUERIES_PER_MESSAGE

    bot = await start_bot(flood_limit=1)
    allowed = INLINE_QUERIES_PER_MESSAGE
    for _ in range(allowed + 2):
        await bot.push(bot.inline_query(131, FAMILY_Q))
    await wait_until(lambda: len(bot.calls("answerInlineQuery")) == allowed + 2, what="every inline answer")
    sizes = sorted(len(c.params["results"]) for c in bot.calls("answerInlineQuery"))
    assert sizes[:2] == [0, 0] and min(sizes[2:]) >= 2
    assert handlers_of(bot.application).stats.rate_limited == 2
    await bot.push_message(131, FAMILY_Q)  # the message limit was not spent by the inline queries
    assert (await bot.pop_message(131)).text == expected_html(engine, FAMILY_Q)


# -------------------------------------------------------------------------------------------- groups


async def test_group_silent_unless_addressed(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    group = -5001

    async def assert_ignored() -> None:
        """Ignored messages are dropped without any request, so once a later addressed message is answered
        (it waits for Telegram), a reply to them would already be there."""
        await bot.push_message(111, f"/help@{BOT_USERNAME}", chat_type="supergroup", chat_id=group)
        barrier = await bot.pop_message(group)
        assert barrier.text.startswith(engine.text("help").split("\n")[0][:10]), (
            "an ignored message was answered"
        )
        await bot.assert_silent(group, 0.1)

    await bot.push_message(111, COMBINED_Q, chat_type="supergroup", chat_id=group)
    await bot.push_message(111, "/help@SomeOtherBot", chat_type="supergroup", chat_id=group)
    await assert_ignored()

    await bot.push_message(111, f"@{BOT_USERNAME} {FAMILY_Q}", chat_type="supergroup", chat_id=group)
    mention = await bot.pop_message(group)
    assert mention.text == expected_html(engine, FAMILY_Q)
    assert mention.params.get("reply_parameters")  # quotes the question in a group

    await bot.push_message(111, f"@{BOT_USERNAME.lower()}{COMBINED_Q}", chat_type="supergroup", chat_id=group)
    # The group is one conversation: the same topic again answers only the new part (the 12-day stage).
    assert (await bot.pop_message(group)).text == conversation_html(engine, [FAMILY_Q, COMBINED_Q])[1]
    await bot.push_message(111, f"@{BOT_USERNAME}_fan {FAMILY_Q}", chat_type="supergroup", chat_id=group)
    await assert_ignored()

    await bot.push_message(111, "/help", chat_type="supergroup", chat_id=group)
    assert (await bot.pop_message(group)).text.startswith(engine.text("help").split("\n")[0][:10])

    await bot.push_message(111, f"/topics@{BOT_USERNAME}", chat_type="supergroup", chat_id=group)
    assert (await bot.pop_message(group)).buttons

    ours = bot.sent_message(mention)
    await bot.push_message(112, COMBINED_Q, chat_type="supergroup", chat_id=group, reply_to=ours)
    # Asked again in the same chat: its key points, not the same text.
    repeated = conversation_html(engine, [FAMILY_Q, COMBINED_Q, COMBINED_Q])[2]
    assert (await bot.pop_message(group)).text == repeated
    assert "上面说过的要点" in repeated

    someone_else = {**ours, "from": {"id": 999, "is_bot": False, "first_name": "X"}}
    await bot.push_message(112, COMBINED_Q, chat_type="supergroup", chat_id=group, reply_to=someone_else)
    await bot.push_message(112, None, chat_type="group", chat_id=group, extra={"sticker": _STICKER})
    await assert_ignored()


# ---------------------------------------------------------------------------------- unusual messages

_STICKER = {
    "file_id": "sticker1",
    "file_unique_id": "u1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}
_PHOTO = [{"file_id": "photo1", "file_unique_id": "p1", "width": 90, "height": 90}]


async def test_non_text_messages_get_a_hint(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    hint = engine.text("non_text")
    for extra in (
        {"sticker": _STICKER},
        {"photo": _PHOTO},
        {"voice": {"file_id": "v", "file_unique_id": "v1", "duration": 3}},
        {"location": {"latitude": 31.2, "longitude": 121.5}},
        {"document": {"file_id": "d", "file_unique_id": "d1", "file_name": "合同.pdf"}},
    ):
        await bot.push_message(113, None, extra=extra)
        reply = await bot.pop_message(113)
        assert reply.text.split("\n")[0] in hint.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;"
        )
    # A captioned photo is a question.
    await bot.push_message(113, None, extra={"photo": _PHOTO, "caption": FAMILY_Q})
    assert (await bot.pop_message(113)).text == expected_html(engine, FAMILY_Q)


async def test_edited_message_is_answered(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    await bot.push_message(114, COMBINED_Q, edited=True)
    assert (await bot.pop_message(114)).text == expected_html(engine, COMBINED_Q)


@pytest.mark.parametrize(
    "text",
    [
        "逾期" * 6000,  # 12,000 characters
        "<b>逾期</b> <script>alert('x')</script> 会打给家人吗 &amp; &lt;",
        "   \n\t  ",
        "🙏🙏🙏",
        "\u202e\u0000\ud800 x",
    ],
    ids=["12000-chars", "html", "whitespace", "emoji", "control-chars"],
)
async def test_odd_messages_get_a_friendly_answer(start_bot: StartBot, text: str) -> None:
    bot = await start_bot()
    await bot.push_message(115, text)
    reply = await bot.pop_message(115)
    assert_valid_html(reply.text)
    assert "<script" not in reply.text
    # The usage event is recorded once every chunk is sent: then count them.
    await wait_until(lambda: bot.store.answers, what="the usage event")
    assert not bot.calls("sendMessage")[1:], "one reply only"


async def test_crisis_help_comes_first_and_alone(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    text = "逾期太久了我不想活了,会打给家人吗"
    expected = engine.reply(text)
    assert expected.kind is ReplyKind.CRISIS
    await bot.push_message(116, text)
    first = await bot.pop_message(116)
    assert first.text.split("\n")[0] in expected.parts[0].body
    assert first.reply_markup is None
    if len(expected.parts) > 1:
        second = await bot.pop_message(116)
        assert expected.parts[1].body.split("\n")[0][:10] in second.text


# ------------------------------------------------------------------------------------------------ load


async def test_200_users_at_once_each_get_exactly_one_reply(
    start_bot: StartBot, engine: Engine, unknown_question: str
) -> None:
    bot = await start_bot()
    questions = [FAMILY_Q, COMBINED_Q, FAMILY_Q_TRAD, unknown_question, "逾期10天会怎样"]
    users = range(20_000, 20_200)
    for user_id in users:
        bot.state.push(bot.message(user_id, questions[user_id % len(questions)]))
    expected = {q: expected_html(engine, q) for q in questions}
    for user_id in users:
        reply = await bot.pop_message(user_id, timeout=30)
        assert reply.text == expected[questions[user_id % len(questions)]]
    await wait_until(lambda: len(bot.store.answers) >= 200, timeout=30, what="200 usage events")
    sent = bot.calls("sendMessage")
    assert len(sent) == 200
    assert sorted(c.chat_id for c in sent) == list(users)


async def test_flood_limit_notes_once_then_stays_quiet(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot(flood_limit=3)
    for _ in range(6):
        await bot.push_message(117, FAMILY_Q)
    texts = [(await bot.pop_message(117)).text for _ in range(4)]  # handled concurrently: any order
    note = engine.text("rate_limited").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # One chat: the first gets the answer, the repeats its key points (never the same text twice).
    assert Counter(texts) == Counter([*conversation_html(engine, [FAMILY_Q] * 3), note])
    stats = handlers_of(bot.application).stats
    await wait_until(lambda: stats.rate_limited == 3, what="all six messages handled")
    await bot.assert_silent(117, 0.2)
    # Admins are exempt.
    for _ in range(5):
        await bot.push_message(BOT_ADMIN_ID, FAMILY_Q)
    for _ in range(5):
        await bot.pop_message(BOT_ADMIN_ID)


async def test_crisis_help_is_never_withheld_by_the_flood_limit(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot(flood_limit=1)
    crisis = "逾期太久了我不想活了,会打给家人吗"
    expected = engine.reply(crisis)
    assert expected.kind is ReplyKind.CRISIS
    await bot.push_message(125, FAMILY_Q)
    assert (await bot.pop_message(125)).text == expected_html(engine, FAMILY_Q)
    await bot.push_message(125, FAMILY_Q)
    note = await bot.pop_message(125)  # over the limit: the polite note
    assert note.text == escape_html(engine.text("rate_limited"))
    await bot.push_message(125, crisis)
    first = await bot.pop_message(125)
    assert first.text.split("\n")[0] in expected.parts[0].body
    await bot.push_message(125, FAMILY_Q)  # still over the limit, already told: nothing
    stats = handlers_of(bot.application).stats
    await wait_until(lambda: stats.rate_limited == 2, what="the fourth message")
    await wait_until(lambda: stats.crisis == 1, what="the crisis reply finished")
    remaining = len(expected.parts) - 1
    for _ in range(remaining and 1):
        await bot.pop_message(125)  # the rest of the crisis reply
    await bot.assert_silent(125, 0.2)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own retry_after use
async def test_telegram_429_beyond_the_retries_is_a_warning_without_apology(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="bot.handlers")
    monkeypatch.setattr("bot.app.MAX_SEND_RETRIES", 0)  # the first 429 is the last one
    bot = await start_bot()
    bot.state.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await bot.push_message(126, FAMILY_Q)
    stats = handlers_of(bot.application).stats
    await wait_until(lambda: stats.errors == 1, what="the error handler")
    ours = [r for r in caplog.records if r.name == "bot.handlers"]
    assert [r.levelno for r in ours if r.levelno >= logging.WARNING] == [logging.WARNING]
    assert any("network_error" in r.getMessage() and "RetryAfter" in r.getMessage() for r in ours)
    await bot.pop_message(126)  # the refused attempt
    await bot.assert_silent(126, 0.3)  # no apology: it would be refused the same way


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own retry_after use
async def test_telegram_429_is_retried(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    bot.state.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await bot.push_message(118, FAMILY_Q)
    reply = await bot.pop_message(118, timeout=15)
    assert reply.text == expected_html(engine, FAMILY_Q)  # the first (refused) attempt is recorded too
    second = await bot.pop_message(118, timeout=15)
    assert second.text == reply.text
    await bot.assert_silent(118, 0.2)


async def test_an_error_is_logged_without_the_text_and_apologised_for(
    start_bot: StartBot, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot()

    class Broken:
        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

        def reply(self, text: str, traditional: bool | None = None) -> Any:
            raise RuntimeError(f"cannot answer {text!r}")  # an exception that quotes the user's text

        def converse(self, text: str, *args: Any, **kwargs: Any) -> Any:
            return self.reply(text)

    caplog.set_level(logging.DEBUG, logger="bot.handlers")
    bot.holder.engine = Broken()
    await bot.push_message(119, FAMILY_Q)
    apology = await bot.pop_message(119)
    assert apology.text == engine.text("error")
    ours = [r for r in caplog.records if r.name == "bot.handlers"]
    errors = [logging.Formatter().format(r) for r in ours if r.levelno >= logging.INFO]  # with exc_info
    assert len(errors) == 1 and "RuntimeError" in errors[0]
    assert "Traceback" in errors[0] and "raise RuntimeError" in errors[0]  # where it happened
    # The exception's message is logged at DEBUG only, like the text itself.
    assert FAMILY_Q not in errors[0]
    assert any(FAMILY_Q in r.getMessage() for r in ours if r.levelno == logging.DEBUG)
    assert bot.settings.token not in caplog.text


async def test_a_user_who_blocked_the_bot_is_not_apologised_to(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot = await start_bot()
    bot.state.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await bot.push_message(124, FAMILY_Q)
    await bot.pop_message(124)  # the refused attempt
    stats = handlers_of(bot.application).stats
    await wait_until(lambda: stats.errors == 1, what="the error handler")
    await bot.assert_silent(124, 0.2)
    assert "forbidden" in caplog.text and "Traceback" not in caplog.text


# ----------------------------------------------------------------------------------------- maintainer


async def test_reload_by_admin_good_and_broken_file(
    start_bot: StartBot, engine: Engine, tmp_path: Path
) -> None:
    kb = tmp_path / "intents.yaml"
    shutil.copy(SHIPPED_KB, kb)
    bot = await start_bot(kb_path=kb)

    await bot.push_message(BOT_ADMIN_ID, "/reload")
    ok = await bot.pop_message(BOT_ADMIN_ID, timeout=30)
    assert ok.text.startswith("✅")
    assert bot.holder.engine is not engine

    lines = kb.read_text(encoding="utf-8").split("\n")
    line_no = next(i for i, line in enumerate(lines) if line.strip().startswith("- id: family_contact"))
    lines.insert(line_no + 1, "    bogus_key: 1")
    kb.write_text("\n".join(lines), encoding="utf-8")
    before = bot.holder.engine
    await bot.push_message(BOT_ADMIN_ID, "/reload")
    failed = await bot.pop_message(BOT_ADMIN_ID, timeout=30)
    assert failed.text.startswith("❌")
    assert_valid_html(failed.text)
    assert f"{kb}:{line_no + 2}: [family_contact]" in failed.text
    assert "bogus_key" in failed.text
    assert bot.holder.engine is before  # the last good knowledge base stays

    await bot.push_message(120, FAMILY_Q)
    assert (await bot.pop_message(120)).text == expected_html(engine, FAMILY_Q)

    kb.write_text("texts: [unclosed", encoding="utf-8")
    await bot.push_message(BOT_ADMIN_ID, "/reload")
    assert "YAML" in (await bot.pop_message(BOT_ADMIN_ID, timeout=30)).text


async def test_reload_problems_are_cut_to_fit_one_message(
    start_bot: StartBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await start_bot()
    before = bot.holder.engine
    # Escaping makes "<" four characters long and "😀" is two UTF-16 units: the cut must count both.
    problems = "\n".join(f"intents.yaml:{n}: [x] bad <key> & 😀😀😀 {'<' * 60}" for n in range(200))

    async def broken_reload() -> ReloadResult:
        return ReloadResult(False, problems)

    monkeypatch.setattr(bot.holder, "reload", broken_reload)
    await bot.push_message(BOT_ADMIN_ID, "/reload")
    failed = await bot.pop_message(BOT_ADMIN_ID)
    assert failed.text.startswith("❌")
    assert_valid_html(failed.text)
    assert "intents.yaml:0: [x] bad &lt;key&gt; &amp; 😀😀😀" in failed.text
    assert failed.text.endswith("\n…</pre>")
    assert bot.holder.engine is before


async def test_admin_commands_refused_for_others(start_bot: StartBot, engine: Engine) -> None:
    bot = await start_bot()
    for command in ("/reload", "/stats"):
        await bot.push_message(121, command)
        refusal = await bot.pop_message(121)
        assert "维护者" in refusal.text
    assert bot.holder.engine is engine  # not reloaded


async def test_stats_for_admin(start_bot: StartBot, unknown_question: str) -> None:
    bot = await start_bot()
    await bot.push_message(122, FAMILY_Q)
    await bot.pop_message(122)
    await bot.push_message(122, unknown_question)
    await bot.pop_message(122)
    await bot.push_message(BOT_ADMIN_ID, "/stats")
    stats = (await bot.pop_message(BOT_ADMIN_ID)).text
    assert_valid_html(stats)
    assert "messages: 2" in stats and "answered: 1" in stats and "fallbacks: 1" in stats
    assert "family_contact 1" in stats
    assert "recorded answers: 2" in stats


# ------------------------------------------------------------------------------------------- webhook


async def test_webhook_secret_and_health(start_bot: StartBot) -> None:
    bot = await start_bot("webhook")
    base = f"http://127.0.0.1:{bot.port}"
    update = bot.message(123, FAMILY_Q)
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        health = await client.get(f"{base}/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        wrong = await client.post(
            f"{base}/telegram",
            json={"update_id": 1, **update},
            headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
        )
        missing = await client.post(f"{base}/telegram", json={"update_id": 2, **update})
        assert (wrong.status_code, missing.status_code) == (403, 403)
        await bot.assert_silent(123, 0.4)
        bad = await client.post(
            f"{base}/telegram",
            content=b"not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": BOT_WEBHOOK_SECRET},
        )
        assert bad.status_code == 400
        assert (await client.get(f"{base}/telegram")).status_code == 405
        assert (await client.get(f"{base}/other")).status_code == 404
    await bot.push(update)
    assert (await bot.pop_message(123)).text


async def test_webhook_server_stopping_on_its_own_is_an_error(
    bot_settings: Callable[..., Any], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not asked to stop: the application is shut down and run_webhook raises (exit code 1, so that the
    platform restarts the bot) instead of returning as after SIGTERM."""
    servers: list[webhook.WebhookServer] = []

    class Recorded(webhook.WebhookServer):
        async def start(self) -> None:
            await super().start()
            servers.append(self)  # started: serving, webhook registered

    monkeypatch.setattr(webhook, "WebhookServer", Recorded)
    settings = bot_settings("webhook")
    store = RecordingStore()
    application = build_application(settings, EngineHolder(engine), store)
    task = asyncio.create_task(webhook.run_webhook(application, settings, EngineHolder(engine)))
    await wait_until(lambda: bool(servers), what="the webhook server")
    servers[0].server.should_exit = True  # uvicorn stops by itself
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        await asyncio.wait_for(task, 20)
    assert not application.running and store.closed
