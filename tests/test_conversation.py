"""Conversations (issue 11): the answer first and short, follow-ups understood in context, no repeats, a
fallback that helps, the stage first when it decides, Traditional Chinese for Taiwan and Hong Kong readers.

Driven through the engine (:meth:`Engine.converse`), the console (bot/console.py) and ``faq ask --json --chat``.
The Telegram front end's conversations are in tests/test_bot_conversation.py."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.console import Console
from bot.service import Assistant, EngineHolder
from faq.context import EXPIRY_SECONDS, Context, ContextStore, is_same_topic, match_offered
from faq.engine import FIRST_MESSAGE_LIMIT, FIRST_MESSAGE_SHARE, Engine
from faq.normalize import is_traditional, normalize, to_traditional
from faq.reply import Reply, ReplyKind, Suggestion

REPO = Path(__file__).resolve().parent.parent
T0 = 1_000_000.0


class Chat:
    """One conversation with the engine, one minute between messages unless told otherwise."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.context: Context | None = None
        self.now = T0

    def say(self, text: str, after: float = 60.0) -> Reply:
        self.now += after
        reply, self.context = self.engine.converse(text, self.context, self.now)
        return reply


def first_line(reply: Reply) -> str:
    return reply.text.strip().split("\n", 1)[0]


# ------------------------------------------------------------------------------------------ answer first


def test_every_answer_opens_with_its_summary_and_json_has_summary_and_details(engine: Engine) -> None:
    for intent in engine.kb.intents:
        reply = engine.answer_intent(intent.id)
        assert reply is not None and reply.summary, intent.id
        assert first_line(reply) == reply.summary
        assert reply.parts[0].heading == reply.summary  # bold on Telegram
        assert len(reply.summary) <= 80
        data = reply.to_json()
        assert data["summary"] == reply.summary
        assert data["answer"] == reply.text
        assert data["details"] is None or isinstance(data["details"], str)
        if intent.summary:
            assert reply.summary == intent.summary


def test_first_message_within_500_characters_for_at_least_90_percent(engine: Engine) -> None:
    measured = engine.first_messages()
    lengths = [len(reply.text) for _, reply in measured]
    assert len(lengths) >= len(engine.kb.intents) * 5
    within = sum(1 for n in lengths if n <= FIRST_MESSAGE_LIMIT)
    assert within / len(lengths) >= FIRST_MESSAGE_SHARE, sorted(lengths)[-10:]


def test_what_does_not_fit_goes_to_the_details(engine: Engine) -> None:
    long = [i for i in engine.kb.intents if len(i.answer) > FIRST_MESSAGE_LIMIT]
    for intent in long:
        reply = engine.answer_intent(intent.id)
        assert reply is not None and reply.details, intent.id
        # Nothing is lost: every line of the answer is in the first message or the details.
        shown = "".join(f"{reply.text}{reply.details}".split())
        for line in ("".join(line.split()).rstrip(":") for line in intent.answer.splitlines()):
            assert line in shown, (intent.id, line)


def test_fear_gets_a_calming_first_clause(engine: Engine) -> None:
    reassure = engine.kb.texts.reassure
    assert reassure
    scared = engine.reply("催收会不会打给我家人,好怕")
    calm = engine.reply("催收会不会打给我家人")
    assert scared.intent == calm.intent == "family_contact"
    assert scared.text.startswith(reassure)
    assert not calm.text.startswith(reassure)
    assert scared.summary == calm.summary  # the sentence that answers stays the same
    for word in ("吓死了", "怎么办啊", "好慌"):
        assert engine.reply(f"催收说要爆我通讯录,{word}").text.startswith(reassure), word


# -------------------------------------------------------------------------------------------- context


def test_days_platform_and_topic_follow_ups(engine: Engine) -> None:
    chat = Chat(engine)
    first = chat.say("天星金融逾期10天")
    assert first.kind is ReplyKind.STAGE and (first.days, first.platform) == (10, "tianxing")

    family = chat.say("会打给我家人吗")
    assert family.intent == "family_contact"
    assert (family.days, family.platform) == (10, "tianxing")
    assert family.stage is not None and (family.stage.platform, family.stage.min_days) == ("tianxing", 8)
    assert "天星金融" in family.text

    later = chat.say("那20天呢")
    assert later.intent == "family_contact" and later.followup == "days"
    assert (later.days, later.platform) == (20, "tianxing")
    assert later.stage is not None and later.stage.min_days == 16
    assert later.summary and later.summary.startswith("天星金融逾期20天")

    other = chat.say("那极融呢")
    assert other.intent == "family_contact" and other.followup == "platform"
    assert (other.days, other.platform) == (20, "jirong")
    assert other.kind is not ReplyKind.OUT_OF_SCOPE  # a platform follow-up is no loan request

    texts = {other.text}
    for follow_up in ("那我该怎么办", "还有别的办法吗", "是真的吗"):
        reply = chat.say(follow_up)
        assert reply.intent == "family_contact", follow_up
        assert reply.followup == "topic", follow_up
        assert (reply.days, reply.platform) == (20, "jirong")
        texts.add(reply.text)
    assert len(texts) >= 3  # each answers something new, or at least differently


def test_a_stage_follow_up_keeps_the_stage_topic(engine: Engine) -> None:
    chat = Chat(engine)
    chat.say("极融逾期5天")
    reply = chat.say("那10天呢")
    assert reply.kind is ReplyKind.STAGE
    assert (reply.days, reply.platform) == (10, "jirong")


def test_context_expires_after_30_minutes(engine: Engine) -> None:
    chat = Chat(engine)
    chat.say("逾期10天会打给我家人吗")
    reply = chat.say("那20天呢", after=EXPIRY_SECONDS + 1)
    assert reply.followup is None and reply.intent != "family_contact"
    assert reply.kind is ReplyKind.STAGE and reply.platform is None


def test_a_typed_follow_up_is_matched_against_the_buttons_just_offered(engine: Engine) -> None:
    chat = Chat(engine)
    family = chat.say("逾期15天会打给我爸妈吗")
    target = family.related[0]
    reply = chat.say(f"{target.title}")
    assert reply.intent == target.intent and reply.followup == "button"
    assert reply.days == 15  # the day count goes along


def test_not_answering_calls_goes_to_avoid_contact(engine: Engine) -> None:
    if engine.kb.intent("avoid_contact") is None:
        pytest.skip("avoid_contact is added on the kb-new branch")
    chat = Chat(engine)
    chat.say("逾期20天会打给我家人吗")
    reply = chat.say("那要是我不接电话呢")
    assert reply.intent == "avoid_contact"


def test_follow_up_buttons_are_written_as_questions(engine: Engine) -> None:
    reply = engine.reply("逾期多久会打电话给家里人")
    family = engine.kb.intent("family_contact")
    assert family is not None
    expected = []
    for intent_id in family.related:
        related = engine.kb.intent(intent_id)
        assert related is not None
        expected.append(related.ask or related.title)
    assert [s.title for s in reply.related] == expected


# ------------------------------------------------------------------------------------------- no repeats


def test_the_same_question_twice_gets_the_key_points_not_the_same_text(engine: Engine) -> None:
    chat = Chat(engine)
    first = chat.say("会不会爆通讯录")
    again = chat.say("会不会爆通讯录")
    assert again.intent == first.intent == "contact_list"
    assert again.followup == "repeat"
    assert again.text != first.text and len(again.text) < len(first.text)
    assert again.text.startswith(engine.kb.texts.recap_heading)
    assert again.related  # buttons to go on


@pytest.mark.parametrize("first", ["逾期20天会打给我家人吗", "催收说要上门找我", "催收話要上門搵我,點算"])
def test_follow_ups_never_send_the_same_text_twice_in_a_row(engine: Engine, first: str) -> None:
    chat = Chat(engine)
    texts = [chat.say(first).text]
    for message in ("那我该怎么办", "还有别的办法吗", "是真的吗", "还有别的办法吗", "那我该怎么办", "是真的吗"):
        reply = chat.say(message)
        assert reply.followup in ("topic", "repeat"), message
        texts.append(reply.text)
    for before, after in itertools.pairwise(texts):
        assert before != after


def test_pressing_the_topic_just_shown_does_not_repeat_it(engine: Engine) -> None:
    chat = Chat(engine)
    first = chat.say("怎么投诉催收")
    assert first.intent == "complain"
    pressed = engine.press("complain", chat.context, chat.now + 5)
    assert pressed is not None
    reply, _ = pressed
    assert reply.followup == "repeat" and reply.text != first.text


# --------------------------------------------------------------------------------------------- fallback


def test_fallback_asks_what_worries_with_situation_buttons(engine: Engine) -> None:
    reply = Chat(engine).say("那我该怎么办")  # nothing before it: never a guessed topic
    assert reply.kind is ReplyKind.FALLBACK
    assert reply.text.startswith(engine.kb.texts.ask_situation.split(":")[0])
    labels = [label for label, _ in engine.kb.texts.situations]
    assert [s.title for s in reply.suggestions] == labels
    assert {"催收要找家人", "还不上了", "说要起诉或上门", "已还清还被催", "看逾期几天会怎样"} <= set(labels)
    assert all(engine.kb.intent(s.intent) for s in reply.suggestions)


def test_did_you_mean_quotes_the_users_words(engine: Engine) -> None:
    titles = [i.title for i in engine.kb.intents]
    for a in titles:
        for b in titles:
            message = a[:4] + b[:4]
            reply = engine.reply(message)
            if reply.kind is ReplyKind.SUGGEST:
                assert f"“{message}”" in reply.text
                assert reply.suggestions
                # A reader of Traditional sees their own words, untouched by the script conversion.
                written = to_traditional(message, "tw").replace("訊息", "信息")
                traditional = engine.reply(written)
                if traditional.kind is ReplyKind.SUGGEST:
                    assert f"“{written}”" in traditional.text and traditional.traditional
                return
    pytest.skip("no ambiguous message found among title pairs")


# ----------------------------------------------------------------------------------------- stage first


def test_stage_first_and_no_contradiction_at_day_20(engine: Engine) -> None:
    reply = engine.reply("逾期20天了会打给我家人吗")
    assert reply.intent == "family_contact" and reply.days == 20
    assert reply.summary and reply.summary.startswith("逾期20天")
    assert "紧急联系人" in reply.summary
    assert "一般不会一逾期就打给家人" not in reply.text
    early = engine.reply("逾期3天会打给我家人吗")
    assert early.summary and not early.summary.startswith("逾期3天:可能开始联系")


def test_no_stage_block_once_paid_off(engine: Engine) -> None:
    # The time overdue before paying off is reported; the time since paying off is no day count at all.
    for message, days in (("逾期了三天已经还了,会不会上征信", 3), ("结清一个月了还有人打电话催我", None)):
        reply = engine.reply(message)
        assert reply.days == days, message
        assert days is None or reply.followup == "paid_off", message
        assert "【" not in reply.text and not (reply.summary or "").startswith("逾期"), message
        for stage_days in (3, 30):
            assert engine.stage_reply(stage_days).parts[0].plain() not in reply.text, message
    # Nor is it taken as an overdue count for the next question.
    chat = Chat(engine)
    chat.say("结清一个月了还有人打电话催我")
    assert chat.say("会打给我家人吗").days is None


@pytest.mark.parametrize(
    ("message", "days"),
    [("借呗晚了四天才还 会上征信吗", 4), ("逾期一周之后还上了 有记录吗", 7), ("yq五天还了 影响大不大", 5), ("逾期半个月 前天补上了 会怎样", 15)],
)
def test_repaid_late_reports_the_count_without_a_stage(engine: Engine, message: str, days: int) -> None:
    # Late, then repaid (还上了 / 才还 / 补上了 / N天还了): the count is reported, no stage block follows.
    reply = engine.reply(message)
    assert reply.days == days and reply.followup == "paid_off", message
    assert "【" not in reply.text, message


@pytest.mark.parametrize("message", ["逾期五天还了一半 会怎样", "逾期十天了 实在还不上了", "逾期三天了 能还上了吗"])
def test_still_owed_keeps_its_stage(engine: Engine, message: str) -> None:
    # Part repaid, unable to repay, or asking whether one can: still overdue, the stage block stays.
    reply = engine.reply(message)
    assert reply.followup != "paid_off" and "【" in reply.text, message


# ------------------------------------------------------------------------------------------ Traditional


ARTEFACTS_EVERYONE = ("爲", "覈", "纔")
ARTEFACTS_TAIWAN = ("裏", "着", "羣")


def test_taiwan_reader_gets_taiwan_forms_and_their_own_words(engine: Engine) -> None:
    reply = engine.reply("網貸逾期兩週了,催收會打電話給我的緊急聯絡人嗎")
    assert reply.traditional and reply.intent == "family_contact"
    everything = "\n".join([reply.text, reply.details or "", *(s.title for s in reply.related)])
    for char in (*ARTEFACTS_EVERYONE, *ARTEFACTS_TAIWAN):
        assert char not in everything, char
    assert "聯絡人" in reply.text and "聯繫人" not in everything


def test_hong_kong_reader_is_understood_and_gets_hong_kong_forms(engine: Engine) -> None:
    reply = engine.reply("逾期咗兩個禮拜,佢哋會唔會打俾我屋企人")
    assert reply.traditional and reply.intent == "family_contact" and reply.days == 14
    everything = "\n".join([reply.text, reply.details or ""])
    for char in ARTEFACTS_EVERYONE:
        assert char not in everything, char
    assert is_traditional(reply.text)


def test_cantonese_follow_ups(engine: Engine) -> None:
    chat = Chat(engine)
    chat.say("催收話要打俾我屋企人")
    for message in ("咁點算", "係咪真㗎"):
        reply = chat.say(message)
        assert reply.intent == "family_contact" and reply.followup in ("topic", "repeat"), message
        assert reply.traditional


def test_conversion_never_gives_opencc_only_forms() -> None:
    text = "核实行为才可以,里面着急,群里,平台,一台手机"
    for variant in (None, "tw", "hk"):
        out = to_traditional(text, variant)
        assert not set(out) & set(ARTEFACTS_EVERYONE), (variant, out)
    tw = to_traditional(text, "tw")
    assert not set(tw) & set(ARTEFACTS_TAIWAN) and "平台" in tw


def test_after_reply_sets_every_field_of_the_context() -> None:
    """after_reply builds a new Context with every field named (not dataclasses.replace): a field added to
    Context must be set there too, or it would silently go back to its default after every reply."""
    import dataclasses
    import inspect

    from faq import context as context_module

    source = inspect.getsource(context_module.after_reply)
    built = source[source.index("return Context(") :]
    for field in dataclasses.fields(Context):
        assert f"{field.name}=" in built, field.name
    before = Context(intent="family_contact", days=20, platform="jirong", at=T0, words=("聯絡人",),
                     crisis_until=T0 + 600, crisis_region="taiwan", kind="answer", shown="x")
    after = context_module.after_reply(
        before, now=T0 + 60, kind="fallback", intent=None, days=None, platform=None, shown=None,
        details_shown=False, traditional=True, variant="tw", words=(), crisis=False,
    )
    assert (after.intent, after.days, after.platform, after.shown) == ("family_contact", 20, "jirong", "x")
    assert (after.crisis_until, after.crisis_region, after.words) == (T0 + 600, "taiwan", ("聯絡人",))
    assert after.at == T0 + 60 and after.kind == "fallback" and after.variant == "tw"


def test_line_by_line_conversion_is_the_whole_texts_conversion(engine: Engine) -> None:
    """to_traditional converts (and remembers) line by line: the same text as OpenCC on the whole text,
    for every multi-line text of the knowledge base and the stage blocks, in every variant."""
    from faq.normalize import _CONFIGS, _FIXES, _converter

    texts = [t for i in engine.kb.intents for t in (i.answer, i.details or "") if "\n" in t]
    texts += [s.todo + "\n" + s.expect + "\n" + s.rights for table in engine.kb.stages.values() for s in table]
    assert len(texts) > 20
    for variant in (None, "tw", "hk"):
        key = variant if variant in _CONFIGS else "t"
        for text in texts:
            whole = str(_converter(key).convert(text))
            for wrong, right in _FIXES[key].items():
                whole = whole.replace(wrong, right)
            assert to_traditional(text, variant) == whole, (variant, text[:40])


def test_traditional_readers_are_told_what_is_mainland_only(engine: Engine) -> None:
    note = engine.kb.texts.mainland_note
    assert note
    reply = engine.reply("被催收威脅恐嚇怎麼辦,可以報警嗎")
    assert reply.traditional and "110" in reply.text
    assert to_traditional(note, "tw") in reply.text
    simplified = engine.reply("被催收威胁恐吓怎么办,可以报警吗")
    assert note not in simplified.text


# --------------------------------------------------------------------------------------------- crisis


def test_replies_end_with_a_help_line_for_30_minutes_after_a_crisis(engine: Engine) -> None:
    chat = Chat(engine)
    crisis = chat.say("欠太多了我不想活了")
    assert crisis.crisis
    footer = engine.crisis_footer(crisis.help_region)  # the crisis helper's line for the reader's region
    assert footer and "12356" in footer
    soon = chat.say("怎么投诉催收", after=10 * 60)
    assert soon.intent == "complain" and soon.text.rstrip().endswith(footer)
    assert chat.context is not None and chat.context.crisis_until > chat.now
    later = chat.say("会不会爆通讯录", after=25 * 60)  # 35 minutes after the crisis
    assert later.intent == "contact_list" and footer not in later.text
    assert footer not in Chat(engine).say("怎么投诉催收").text  # other chats never get it


# ------------------------------------------------------------------------------------------ unit parts


def test_same_topic_phrases() -> None:
    for text in ("那我该怎么办", "还有别的办法吗", "是真的吗", "真的假的", "然后呢"):
        assert is_same_topic(normalize(text)), text
    for text in ("会打给我家人吗", "怎么投诉", "我该怎么办才能不让催收打给我妈妈呢"):
        assert not is_same_topic(normalize(text)), text


def test_match_offered() -> None:
    offered = (Suggestion("avoid_contact", "不接电话会怎样?"), Suggestion("complain", "怎么投诉?"))
    assert match_offered(normalize("不接电话会怎样"), offered) == "avoid_contact"
    assert match_offered(normalize("怎么投诉"), offered) == "complain"
    assert match_offered(normalize("会爆通讯录吗"), offered) is None


def test_context_store_is_bounded_and_expires() -> None:
    store = ContextStore(size=2)
    for chat in range(3):
        store.set(chat, Context(intent="complain", at=T0))
    assert len(store) == 2 and store.get(0, T0) is None
    assert store.get(2, T0 + 60) is not None
    assert store.get(2, T0 + EXPIRY_SECONDS + 1) is None


# ---------------------------------------------------------------------------------------- the console


async def test_console_conversation_with_more_and_numbered_buttons(engine: Engine) -> None:
    out = io.StringIO()
    console = Console(Assistant(EngineHolder(engine)), out)
    for line in ("天星金融逾期10天", "会打给我家人吗", "那20天呢", "/more", "那我该怎么办", "1"):
        out.truncate(0)
        out.seek(0)
        console.handle(line)
        text = out.getvalue()
        if line == "会打给我家人吗":
            assert "天星金融" in text and engine.kb.texts.more_hint in text
            family = engine.kb.intent("family_contact")
            assert family is not None
            related = engine.kb.intent(family.related[0])
            assert related is not None and f"1. {related.ask or related.title}" in text
        elif line == "那20天呢":
            assert "天星金融逾期20天" in text and "紧急联系人" in text.split("\n")[0]
        elif line == "/more":
            assert "逾期多久会联系家人" in text and len(text) > 100
        elif line == "那我该怎么办":
            assert engine.kb.texts.stage_todo in text.split("\n")[0]
        elif line == "1":
            assert related.id != "family_contact"
            assert "逾期20天" in text or related.summary in text
    context = console.assistant.contexts.get("console", time.time())
    assert context is not None and context.platform == "tianxing" and context.days == 20
    await console.assistant.drain()


# --------------------------------------------------------------------------------- faq ask --json --chat


def test_faq_ask_json_chat_is_one_conversation() -> None:
    lines = ["天星金融逾期10天", "会打给我家人吗", "那20天呢", "那极融呢", "会打给我家人吗", "/more", "是真的吗"]
    done = subprocess.run(
        [sys.executable, "-m", "faq", "ask", "--json", "--chat", "-"],
        input="\n".join(lines).encode(),
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(rows) == len(lines)
    for row in rows:
        assert {"summary", "details", "answer", "followup"} <= set(row)
    assert [(r["days"], r["platform"]) for r in rows[:5]] == [
        (10, "tianxing"),
        (10, "tianxing"),
        (20, "tianxing"),
        (20, "jirong"),
        (20, "jirong"),
    ]
    assert [r["intent"] for r in rows[1:]] == ["family_contact"] * 6
    assert rows[4]["followup"] == "repeat" and rows[4]["answer"] != rows[3]["answer"]
    assert rows[5]["kind"] == "details" and rows[5]["answer"]
    # Without --chat every line stands alone.
    alone = subprocess.run(
        [sys.executable, "-m", "faq", "ask", "--json", "-"],
        input="天星金融逾期10天\n那20天呢\n".encode(),
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    second = json.loads(alone.stdout.decode().splitlines()[1])
    assert second["platform"] is None and second["followup"] is None


def test_more_without_a_topic_is_a_friendly_text(engine: Engine) -> None:
    reply, context = engine.more(None)
    assert reply.kind is ReplyKind.DETAILS and reply.text == engine.kb.texts.no_more_details
    assert context.intent is None
    unknown, _ = engine.more(None, intent_id="no_such_intent")
    assert unknown.text == engine.kb.texts.no_more_details
