"""The bot's pure parts: rendering and splitting, callback data, settings, redaction, the flood limiter."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Mode, Settings, SettingsError, derive_webhook_secret
from bot.log import (
    REDACTED,
    JsonFormatter,
    Redactor,
    TextFormatter,
    format_fields,
    traceback_without_messages,
)
from bot.ratelimit import FloodLimiter, Verdict
from bot.render import (
    CALLBACK_LIMIT,
    MESSAGE_LIMIT,
    FeedbackPress,
    IntentPress,
    decode_callback,
    encode_feedback,
    encode_intent,
    pre_block,
    render_parts,
    render_reply,
    resolve_intent,
    single_message,
    utf16_len,
    without_feedback,
)
from bot.service import Assistant, EngineHolder, Stats, parse_stage_args
from faq.engine import Engine
from faq.reply import Part, Reply, ReplyKind, Suggestion
from faq.usage import Feedback

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

# ------------------------------------------------------------------------------------------- rendering


def _plain(chunks: list[str]) -> str:
    return html.unescape(re.sub(r"</?b>", "", "".join(chunks)))


def test_headings_are_bold_and_text_escaped() -> None:
    chunks = render_parts([Part("a < b & c > d", "逾期<10>天")])
    assert chunks == ["<b>逾期&lt;10&gt;天</b>\na &lt; b &amp; c &gt; d"]


def test_long_reply_is_split_at_paragraphs_and_buttons_go_last() -> None:
    paragraph = "催收" * 900  # 1800 characters
    reply = Reply(
        ReplyKind.ANSWER,
        (Part("\n\n".join([paragraph] * 5)),),
        intent="x",
        related=(Suggestion("a", "A"), Suggestion("b", "B")),
    )
    chunks = render_reply(reply, "abc123", "都不是")
    assert len(chunks) == 3
    assert all(utf16_len(c.html) <= MESSAGE_LIMIT for c in chunks)
    assert chunks[0].html == f"{paragraph}\n\n{paragraph}"
    assert [c.markup is None for c in chunks] == [True, True, False]
    last = chunks[-1].markup
    assert last is not None
    assert [b.text for row in last.inline_keyboard for b in row] == ["A", "B", "👍", "👎"]


def test_one_huge_line_is_cut_without_breaking_entities() -> None:
    text = "&<>" * 5000
    chunks = render_parts([Part(text)])
    assert all(utf16_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert all(not re.search(r"&(?!amp;|lt;|gt;)", c) for c in chunks)
    assert _plain(chunks) == text


def test_crisis_part_is_sent_alone_and_first() -> None:
    reply = Reply(
        ReplyKind.CRISIS,
        (Part("打 12356"), Part("关于家人", None)),
        intent="family_contact",
        related=(Suggestion("a", "A"),),
        crisis=True,
    )
    chunks = render_reply(reply, "ff", "都不是")
    assert [c.html for c in chunks] == ["打 12356", "关于家人"]
    assert chunks[0].markup is None and chunks[1].markup is not None


def test_suggestions_get_none_of_these_and_no_feedback() -> None:
    reply = Reply(
        ReplyKind.FALLBACK,
        (Part("不知道"),),
        suggestions=tuple(Suggestion(f"i{n}", f"T{n}") for n in range(7)),
        traditional=True,
    )
    (chunk,) = render_reply(reply, "0a1b", "都不是")
    assert chunk.markup is not None
    data = [b.callback_data for row in chunk.markup.inline_keyboard for b in row]
    # At most five (the fallback's situation buttons), then "都不是".
    assert data == ["i:t:i0", "i:t:i1", "i:t:i2", "i:t:i3", "i:t:i4", "f:n:t:0a1b"]


def test_without_feedback_drops_only_the_vote_row() -> None:
    reply = Reply(ReplyKind.ANSWER, (Part("x"),), intent="x", related=(Suggestion("a", "A"),))
    markup = render_reply(reply, "abc", "都不是")[0].markup
    remaining = without_feedback(markup)
    assert remaining is not None
    assert [b.text for row in remaining.inline_keyboard for b in row] == ["A"]
    only_votes = render_reply(Reply(ReplyKind.ANSWER, (Part("x"),), intent="x"), "abc", "都不是")[0].markup
    assert without_feedback(only_votes) is None


def test_single_message_fits() -> None:
    reply = Reply(ReplyKind.ANSWER, (Part("\n\n".join(["债务" * 1000] * 5)),))
    text = single_message(reply)
    assert utf16_len(text) <= MESSAGE_LIMIT and text.endswith("…")


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.tuples(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000),
            st.one_of(st.none(), st.text(max_size=40)),
        ),
        max_size=4,
    ),
    limit=st.sampled_from([60, 500, MESSAGE_LIMIT]),
)
def test_chunks_always_fit_and_keep_every_character(parts: list[tuple[str, str | None]], limit: int) -> None:
    rendered = render_parts([Part(body, heading) for body, heading in parts], limit)
    for chunk in rendered:
        assert 0 < utf16_len(chunk) <= limit
        assert chunk.strip(), "Telegram refuses an empty message"
        assert chunk.count("<b>") == chunk.count("</b>")
    # Every non-space character survives, in order.
    expected = "".join(
        ch for body, heading in parts for ch in ((heading or "").strip() + body) if not ch.isspace()
    )
    got = "".join(ch for ch in _plain(rendered) if not ch.isspace())
    assert got == expected


def test_no_chunk_is_only_whitespace() -> None:
    # A long run of spaces inside a line used to become a chunk of its own ("message text is empty").
    chunks = render_parts([Part("a" * 59 + " " * 100 + "b")], 60)
    assert all(c.strip() for c in chunks)
    assert _plain(chunks).replace(" ", "") == "a" * 59 + "b"
    whitespace = Reply(ReplyKind.ANSWER, (Part(" \n\n "),), intent="x")
    assert [c.html for c in render_reply(whitespace, "ab", "都不是")] == ["…"]
    assert single_message(whitespace) == "…"


def test_lone_surrogates_are_measured_not_fatal() -> None:
    assert utf16_len("\ud800") == 1 and utf16_len("😀") == 2 and utf16_len("逾期") == 2
    assert _plain(render_parts([Part("a\ud800b")])) == "a\ud800b"


def test_pre_block_fits_after_escaping() -> None:
    assert pre_block("a < b", "<b>x</b>\n") == "<b>x</b>\n<pre>a &lt; b</pre>"
    for text in ("<" * 5000, "😀" * 3000, "\n".join(["x & y <z>"] * 800)):
        block = pre_block(text, "❌ 出错了\n")
        assert utf16_len(block) <= MESSAGE_LIMIT
        assert block.startswith("❌ 出错了\n<pre>") and block.endswith("\n…</pre>")
        assert re.search(r"&(?!amp;|lt;|gt;)", block) is None  # no entity cut in half
    text = "\n".join(f"line {n}" for n in range(2000))
    body = pre_block(text).removeprefix("<pre>").removesuffix("\n…</pre>")
    assert text.startswith(body + "\n") and len(body) > 3000  # cut at a line end, not before


# ------------------------------------------------------------------------------------------ callbacks


@given(st.from_regex(r"[a-z][a-z0-9_]{0,80}", fullmatch=True), st.booleans())
def test_intent_callback_round_trip(intent_id: str, traditional: bool) -> None:
    data = encode_intent(intent_id, traditional)
    assert len(data.encode()) <= CALLBACK_LIMIT
    press = decode_callback(data)
    assert isinstance(press, IntentPress) and press.traditional == traditional
    assert resolve_intent(press, ["other", intent_id]) == intent_id


def test_feedback_callback_round_trip() -> None:
    for value in Feedback:
        data = encode_feedback("0123456789ab", value, True)
        assert decode_callback(data) == FeedbackPress("0123456789ab", value, True)


@given(st.text(max_size=100))
def test_decoding_never_raises(data: str) -> None:
    assert decode_callback(data) is None or isinstance(decode_callback(data), IntentPress | FeedbackPress)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "i:x:abc",
        "i:s:",
        "i:s:Bad-Id",
        "i:s:family_contact\n",
        "f:u:s:XYZ",
        "f:u:s:0a1b\n",
        "f:q:s:ab",
        "h:s",
        "x" * 65,
    ],
)
def test_garbage_callbacks_decode_to_none(data: str | None) -> None:
    assert decode_callback(data) is None


# --------------------------------------------------------------------------------------------- settings


def test_modes_follow_the_environment() -> None:
    assert Settings.from_env({}).mode is Mode.CONSOLE
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}).mode is Mode.POLLING
    webhook = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://x.example.com/tg/hook"})
    assert webhook.mode is Mode.WEBHOOK
    assert webhook.webhook_path == "/tg/hook"
    assert webhook.webhook_secret == derive_webhook_secret(TOKEN)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook.webhook_secret or "")
    assert (webhook.port, webhook.listen_host) == (8080, "0.0.0.0")
    forced = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_MODE": "console"})
    assert forced.mode is Mode.CONSOLE


def test_settings_read_every_variable(tmp_path: Path) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text("x", encoding="utf-8")
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": f"  {TOKEN} ",
            "WEBHOOK_URL": "https://a.example.com/t",
            "WEBHOOK_SECRET": "s3cret_-X_0123456789",
            "PORT": "9000",
            "LISTEN_HOST": "127.0.0.1",
            "TELEGRAM_BASE_URL": "http://localhost:8081",
            "ADMIN_IDS": "1, 2;3",
            "KB_PATH": str(kb),
            "FLOOD_LIMIT": "5",
            "SEND_RATE_LIMIT": "0",
            "CONCURRENT_UPDATES": "8",
            "LOG_LEVEL": "debug",
            "LOG_FORMAT": "json",
        }
    )
    assert s.token == TOKEN
    assert s.webhook_secret == "s3cret_-X_0123456789"
    assert (s.port, s.listen_host) == (9000, "127.0.0.1")
    assert s.base_url == "http://localhost:8081/bot"
    assert s.base_file_url == "http://localhost:8081/file/bot"
    assert s.admin_ids == {1, 2, 3} and s.is_admin(2) and not s.is_admin(4) and not s.is_admin(None)
    assert s.kb_path == kb
    assert (s.flood_limit, s.send_rate_limit, s.concurrent_updates) == (5, 0.0, 8)
    assert (s.log_level, s.log_format) == ("DEBUG", "json")
    assert TOKEN not in repr(s) and "s3cret" not in repr(s)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "TELEGRAM_BOT_TOKEN": "'not a token'",
                "WEBHOOK_SECRET": "has spaces!",
                "PORT": "eighty",
                "ADMIN_IDS": "me",
                "FLOOD_LIMIT": "-1",
                "LOG_LEVEL": "loud",
                "BOT_MODE": "fast",
                "KB_PATH": "/no/such/file.yaml",
            }
        )
    text = str(caught.value)
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "WEBHOOK_SECRET",
        "PORT",
        "ADMIN_IDS",
        "FLOOD_LIMIT",
        "LOG_LEVEL",
        "BOT_MODE",
        "KB_PATH",
    ):
        assert name in text
    assert len(caught.value.problems) == 8


@pytest.mark.parametrize("secret", ["abc", "s3cret_-X", "x" * 15, "y" * 257])
def test_a_guessable_or_overlong_webhook_secret_is_refused(secret: str) -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET must be 16 to 256"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": secret})
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": "z" * 16}).webhook_secret == "z" * 16


def test_webhook_path_must_not_be_the_health_check() -> None:
    with pytest.raises(SettingsError, match="/healthz"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://x.example.com/healthz"})
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://x.example.com/"}).mode is (
        Mode.WEBHOOK
    )


def test_webhook_mode_without_url_says_what_to_set() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, "webhook")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env({}, "polling")
    polling_on_a_web_port = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "PORT": "5000"})
    assert any("WEBHOOK_URL" in note for note in polling_on_a_web_port.notes)


# -------------------------------------------------------------------------------------------- logging


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    return logging.LogRecord(
        "x", logging.INFO, __file__, 1, msg, args, (type(exc), exc, exc.__traceback__) if exc else None
    )


def test_redaction_of_token_and_secret_everywhere() -> None:
    secret = derive_webhook_secret(TOKEN)
    redactor = Redactor([TOKEN, TOKEN.split(":")[1], secret])
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    record = _record("HTTP Request: POST %s %s", url, secret)
    assert redactor.filter(record)
    assert TOKEN not in record.getMessage() and secret not in record.getMessage()
    assert REDACTED in record.getMessage()
    encoded = url.replace(":", "%3A")
    assert TOKEN.split(":")[1] not in redactor.redact(encoded)
    try:
        raise RuntimeError(f"failed {url}")
    except RuntimeError as exc:
        error = exc
    for formatter in (TextFormatter(redactor), JsonFormatter(redactor)):
        out = formatter.format(_record("oops", exc=error))
        assert TOKEN.split(":")[1] not in out and "failed" in out


def test_traceback_without_messages() -> None:
    secret_text = "我的电话13812345678"

    def inner() -> None:
        raise KeyError(secret_text)

    try:
        try:
            inner()
        except KeyError as exc:
            raise ValueError(f"bad {secret_text}") from exc
    except ValueError as exc:
        text = traceback_without_messages(exc)
    assert secret_text not in text
    assert "builtins.KeyError" in text and "builtins.ValueError" in text and "which led to" in text
    assert "inner()" in text and text.count("Traceback") == 2


def test_fields_are_one_line() -> None:
    line = format_fields({"intent": "family_contact", "confidence": 0.8312, "days": None, "note": "a b"})
    assert line == 'intent=family_contact confidence=0.831 days=- note="a b"'


# ------------------------------------------------------------------------------------------ flood limit


def test_flood_limiter_notifies_once_per_window() -> None:
    now = [0.0]
    limiter = FloodLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(3)] == [Verdict.ALLOW] * 3
    assert limiter.check(1) is Verdict.NOTIFY
    assert limiter.check(1) is Verdict.DROP
    assert limiter.check(2) is Verdict.ALLOW  # per user
    now[0] = 61
    assert limiter.check(1) is Verdict.ALLOW
    assert FloodLimiter(0).check(1) is Verdict.ALLOW  # 0 = off


# -------------------------------------------------------------------------------------------- service


def test_parse_stage_args(engine: Engine) -> None:
    assert parse_stage_args(engine, "10 极融") == (10, "jirong")
    assert parse_stage_args(engine, "極融 10天") == (10, "jirong")
    assert parse_stage_args(engine, "3") == (3, None)
    assert parse_stage_args(engine, "99999999") is not None
    assert parse_stage_args(engine, "") is None
    assert parse_stage_args(engine, "很久") is None


def test_stats_counts(engine: Engine) -> None:
    stats = Stats()
    stats.count(engine.reply("逾期多久会打电话给家里人"))
    stats.count(Reply(ReplyKind.FALLBACK, (Part("x"),)))
    text = stats.render()
    assert "answered: 1" in text and "fallbacks: 1" in text and "family_contact 1" in text


def test_crisis_check_reads_the_whole_message(engine: Engine) -> None:
    assistant = Assistant(EngineHolder(engine))
    assert assistant.is_crisis("逾期" * 400 + "我不想活了")  # beyond the engine's first 600 characters
    assert not assistant.is_crisis("逾期" * 400)


async def test_engine_holder_keeps_the_last_good_engine(engine: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "intents.yaml"
    broken.write_text("intents: [\n", encoding="utf-8")
    holder = EngineHolder(engine, broken)
    result = await holder.reload()
    assert not result.ok and str(broken) in result.message
    assert holder.engine is engine


def test_stats_count_one_vote_per_user_and_answer() -> None:
    stats = Stats()
    stats.vote("a1", 1, "up")
    stats.vote("a1", 1, "up")  # a double tap
    stats.vote("a2", 1, "down")
    stats.vote("a2", 1, "up")  # a changed mind
    stats.vote("a1", 2, "down")  # someone else in a group
    assert (stats.feedback["up"], stats.feedback["down"]) == (2, 1)
    assert "👍 2  👎 1" in stats.render()
