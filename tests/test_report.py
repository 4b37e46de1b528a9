"""`faq report` (faq/usage/report.py): statistics, grouping of unanswered questions, YAML, plot, end to end."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_async
from kb_fixtures import minimal_crisis

from faq.engine import Engine
from faq.kb import TEXT_KEYS, load_knowledge_base
from faq.usage import AnswerEvent, Feedback, new_answer_id
from faq.usage.read import AnswerRow, FeedbackRow, UsageData
from faq.usage.redact import NAME, PHONE
from faq.usage.report import (
    Group,
    ReportOptions,
    Unanswered,
    add_arguments,
    build_groups,
    collect_refused,
    collect_unanswered,
    daily_stats,
    engine_ranker,
    engine_refusal,
    engine_tokenizer,
    group_texts,
    latest_feedback,
    load_timezone,
    parse_since,
    refused_proposals,
    render_text,
    render_yaml,
    run,
    stage_counts,
    stage_labeler,
    table,
    yaml_additions,
)
from faq.usage.settings import StoreSettings
from faq.usage.store import SqlStore

SHANGHAI = load_timezone("Asia/Shanghai")

_TEXTS = {key: f"{key} 文本" for key in TEXT_KEYS}
SMALL_KB: dict[str, Any] = {
    "version": 1,
    "texts": {**_TEXTS, "stage_heading": "逾期{days}天({platform})", "stage_not_overdue": "还没逾期({platform})"},
    "crisis": minimal_crisis(),
    "platforms": [{"id": "jirong", "names": ["极融"]}],
    "stages": {
        "general": [
            {"min_days": 0, "max_days": 0, "title": "还款日", "expect": "提醒", "rights": "无", "todo": "还款"},
            {"min_days": 1, "max_days": 15, "title": "早期", "expect": "短信", "rights": "投诉", "todo": "协商"},
            {"min_days": 16, "max_days": None, "title": "后期", "expect": "外包", "rights": "投诉", "todo": "留证"},
        ],
        "jirong": [
            {"min_days": 0, "max_days": 3, "title": "极融早期", "expect": "提醒", "rights": "无", "todo": "还款"},
            {"min_days": 4, "max_days": None, "title": "极融后期", "expect": "电话", "rights": "投诉", "todo": "协商"},
        ],
    },
    "synonyms": {"爸妈": "家人", "父母": "家人"},
    "out_of_scope": [
        {"id": "loan_request", "answer": "我们不推荐任何贷款。", "questions": ["推荐个下款快的口子", "哪里能借到钱"]},
    ],
    "intents": [
        {
            "id": "family_contact",
            "title": "会不会联系家人",
            "questions": [
                "逾期会不会打电话给家人",
                "催收会联系我爸妈吗",
                "逾期了会告诉我父母吗",
                "会打给我老婆吗",
                "催收会不会找我家里人",
            ],
            "answer": "一般不会直接联系家人。",
            "sources": ["测试"],
        },
        {
            "id": "credit_report",
            "title": "会不会上征信",
            "questions": ["逾期会上征信吗", "网贷逾期影响征信吗", "征信多久能恢复", "逾期记录会保留几年"],
            "answer": "会上报征信。",
            "sources": ["测试"],
        },
    ],
}


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kb") / "intents.yaml"
    path.write_text(yaml.safe_dump(SMALL_KB, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_engine(kb_path: Path) -> Engine:
    return Engine.load(kb_path)


NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def answer(
    question: str | None = None,
    *,
    intent: str | None = None,
    kind: str = "fallback",
    at: datetime = NOW,
    answer_id: str | None = None,
    user: str = "u1",
    days: int | None = None,
    platform: str | None = None,
    confidence: float = 0.1,
    reason: str | None = "fallback",
) -> AnswerRow:
    return AnswerRow(
        at=at,
        answer_id=answer_id or new_answer_id(),
        user_hash=user,
        chat_type="private",
        intent=intent,
        confidence=confidence,
        days=days,
        platform=platform,
        fell_back=kind in ("fallback", "suggest", "out_of_scope"),
        latency_ms=5.0,
        kind=kind,
        question=question,
        question_reason=reason if question else None,
    )


def vote(answer_id: str, value: Feedback, question: str | None = None, at: datetime = NOW) -> FeedbackRow:
    return FeedbackRow(at=at, answer_id=answer_id, user_hash="u1", value=value.value, question=question)


# ------------------------------------------------------------------------------------------ pure parts


def test_parse_since() -> None:
    assert parse_since("7d", NOW, UTC) == NOW - timedelta(days=7)
    assert parse_since("30 days", NOW, UTC) == NOW - timedelta(days=30)
    assert parse_since("2024-03-01", NOW, SHANGHAI) == datetime(2024, 3, 1, tzinfo=SHANGHAI)
    assert parse_since(None, NOW, UTC) is None
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_since("last week", NOW, UTC)
    with pytest.raises(ValueError, match="--since"):
        parse_since("99999999d", NOW, UTC)  # before year 1: was an OverflowError and a traceback
    with pytest.raises(ValueError, match="time zone"):
        load_timezone("Mars/Olympus")


def test_daily_stats_count_days_in_the_time_zone() -> None:
    late = answer("a", at=datetime(2024, 3, 1, 20, 0, tzinfo=UTC))  # 04:00 on the 2nd in Shanghai
    early = answer(None, kind="answer", intent="family_contact", at=datetime(2024, 3, 2, 1, 0, tzinfo=UTC), user="u2")
    votes = latest_feedback([vote(early.answer_id, Feedback.UP), vote(early.answer_id, Feedback.DOWN, at=NOW)])
    (day,) = daily_stats([late, early], votes, SHANGHAI)
    assert (day.day, day.answers, day.users, day.fell_back, day.rated, day.down) == (date(2024, 3, 2), 2, 2, 1, 1, 1)
    assert day.fallback_rate == 0.5 and day.down_rate == 0.5
    assert [d.day for d in daily_stats([late, early], votes, UTC)] == [date(2024, 3, 1), date(2024, 3, 2)]


def test_stage_counts(small_engine: Engine) -> None:
    rows = [
        answer(days=5),
        answer(days=10),
        answer(days=20),
        answer(days=5, platform="jirong"),
        answer(days=None),
    ]
    counts = dict(stage_counts(rows, stage_labeler(small_engine)))
    assert counts == {"general 1-15 天  早期": 2, "general 16+ 天  后期": 1, "jirong 4+ 天  极融后期": 1}


def test_group_texts_pure() -> None:
    def chars(text: str) -> list[str]:
        return [c for c in text if c.strip() and c not in "吗了"]

    texts = ["停息挂账怎么申请", "停息挂账如何申请", "停息挂账怎么申请", "会上征信吗", "征信会上吗", "???", "???", "!!!"]
    groups = group_texts(texts, chars, similarity=60)
    as_texts = [sorted({texts[i] for i in g}) for g in groups]
    assert as_texts[0] == ["停息挂账如何申请", "停息挂账怎么申请"]
    assert ["会上征信吗", "征信会上吗"] in as_texts
    assert ["???"] in as_texts and ["!!!"] in as_texts  # no words: only identical texts group
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))
    assert group_texts([], chars) == []


def test_collect_unanswered() -> None:
    fallback = answer("停息挂账怎么申请")
    out_of_scope = answer("推荐个口子", kind="out_of_scope", intent=None)
    complained_oos = answer("逾期了能借钱吗", kind="out_of_scope", intent=None)
    confident = answer(None, kind="answer", intent="family_contact", confidence=0.9)
    changed_mind = answer(None, kind="answer", intent="credit_report", confidence=0.9)
    suggest = answer("催收天天打电话", kind="suggest")
    data = UsageData(
        answers=[fallback, out_of_scope, complained_oos, confident, changed_mind, suggest],
        feedback=[
            vote(confident.answer_id, Feedback.DOWN, "会打给我同事吗"),
            vote(changed_mind.answer_id, Feedback.DOWN, "征信多久恢复", at=NOW),
            vote(changed_mind.answer_id, Feedback.UP, at=NOW + timedelta(minutes=1)),
            vote(suggest.answer_id, Feedback.NONE_OF_THESE, "催收天天打电话"),
            vote(complained_oos.answer_id, Feedback.DOWN, "逾期了能借钱吗"),
        ],
    )
    items = {u.text: u for u in collect_unanswered(data)}
    assert set(items) == {"停息挂账怎么申请", "逾期了能借钱吗", "会打给我同事吗", "催收天天打电话"}
    assert items["会打给我同事吗"].reasons == ("down",)
    assert items["会打给我同事吗"].answered_intent == "family_contact"
    assert items["催收天天打电话"].reasons == ("fallback", "none_of_these")


UNANSWERED = [
    # fit family_contact
    "催收会不会打电话给我爸妈",
    "催收会不会打电话给我父母",
    "催收会打电话给我家人吗",
    # a new topic
    "停息挂账怎么申请",
    "停息挂账如何申请",
    "能不能停息挂账",
    # already an example question: never proposed again
    "逾期会上征信吗",
]


def unanswered(texts: list[str]) -> list[Unanswered]:
    return [Unanswered(t, ("fallback",), new_answer_id(), NOW) for t in texts]


def test_groups_and_yaml(small_engine: Engine, kb_path: Path) -> None:
    groups = build_groups(unanswered(UNANSWERED), engine_tokenizer(small_engine), engine_ranker(small_engine))
    by_text = {t: g for g in groups for t in g.texts}
    family = by_text["催收会不会打电话给我爸妈"]
    assert set(family.texts) == set(UNANSWERED[:3])
    assert family.nearest == "family_contact" and family.fits(0.35)
    new_topic = by_text["停息挂账怎么申请"]
    assert set(new_topic.texts) >= {"停息挂账怎么申请", "停息挂账如何申请"}
    assert not new_topic.fits(0.35)

    known = [q for intent in small_engine.kb.intents for q in intent.questions]
    doc = yaml.safe_load(render_yaml(yaml_additions(groups, 0.35, known), ["header"]))
    assert sorted(doc["add_questions"]["family_contact"]) == sorted(UNANSWERED[:3])
    (skeleton,) = [n for n in doc["new_intents"] if "停息挂账怎么申请" in n["questions"]]
    assert skeleton["id"].startswith("new_topic_") and skeleton["answer"] == "TODO" and skeleton["sources"] == ["TODO"]
    assert len(skeleton["title"]) <= 16
    everything = str(doc)
    assert "逾期会上征信吗" not in everything

    # Ready to paste: the knowledge base with the additions pasted in still loads.
    merged = yaml.safe_load(kb_path.read_text(encoding="utf-8"))
    for intent in merged["intents"]:
        intent["questions"] += doc["add_questions"].get(intent["id"], [])
    merged["intents"] += doc["new_intents"]
    pasted = kb_path.parent / "pasted.yaml"
    pasted.write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")
    kb = load_knowledge_base(pasted)
    assert kb.intent("family_contact") is not None
    assert len(kb.intents) == 2 + len(doc["new_intents"])


def test_rejected_answers_go_to_review(small_engine: Engine) -> None:
    items = [
        Unanswered("催收会不会打电话给我爸妈", ("down",), "a1", NOW, "family_contact"),
        Unanswered("催收会不会打电话给我父母", ("down",), "a2", NOW, "family_contact"),
    ]
    (group,) = build_groups(items, engine_tokenizer(small_engine), engine_ranker(small_engine))
    assert group.nearest == "family_contact" and group.rejected == 2 and not group.fits(0.0)
    doc = yaml_additions([group], 0.35)
    assert "add_questions" not in doc and "new_intents" not in doc
    assert sorted(doc["answers_to_review"]["family_contact"]) == sorted(t.text for t in items)


def test_out_of_scope_groups_are_not_proposed() -> None:
    group = Group(texts=("推荐个口子",), counts=(3,), reasons={"down": 3}, nearest="family_contact",
                  score=0.1, out_of_scope="loan_request")
    assert yaml_additions([group], 0.35) == {}
    assert yaml_additions([replace(group, out_of_scope=None, nearest=None)], 0.35) == {}  # nothing to match
    fresh = replace(group, out_of_scope=None)
    assert yaml_additions([fresh], 0.35, taken_ids=["new_topic_1"])["new_intents"][0]["id"] == "new_topic_2"
    assert yaml.safe_load(render_yaml({})) == {}


def test_placeholders_do_not_steer_grouping(small_engine: Engine) -> None:
    rank = engine_ranker(small_engine)
    items = unanswered(["我的电话<电话>被打爆了", "我的电话<电话>被打爆了"])
    (group,) = build_groups(items, engine_tokenizer(small_engine), rank)
    assert group.size == 2 and group.counts == (2,)


def test_table() -> None:
    lines = table(["name", "n"], [("a", 1), ("bbb", 22)])
    assert lines == ["name   n", "----  --", "a      1", "bbb   22"]


# ---------------------------------------------------------------------------------------- end to end


def seed(url: str, kb: Engine) -> list[AnswerEvent]:
    messages = [
        "催收会不会打电话给我爸妈",
        "催收会不会打电话给我父母",
        "停息挂账怎么申请",
        "停息挂账如何申请",
        "停息挂账怎么申请",
        "逾期会上征信吗",
        "极融逾期5天会怎样",
        "我的手机13812345678被催收打爆了,停息挂账可以吗",
    ]
    events: list[AnswerEvent] = []

    async def go() -> None:
        store = SqlStore(StoreSettings(database_url=url, hash_secret="k"))
        await store.start()
        for n, message in enumerate(messages):
            reply = kb.reply(message)
            # Every message is recorded as unanswered ("did you mean" suggestions), stating its day count.
            event = AnswerEvent(
                answer_id=new_answer_id(),
                user_id=1000 + n,
                chat_type="private",
                intent=None,
                confidence=min(reply.confidence, 0.25),
                days=reply.days,
                platform=reply.platform,
                fell_back=True,
                latency_ms=3.0,
                kind="suggest",
                question=message,
                at=datetime.now(UTC) - timedelta(days=n % 3),
            )
            assert await store.record_answer(event)
            events.append(event)
        # A confident answer that the user rejected: its text comes from the store's memory.
        rejected = AnswerEvent(
            new_answer_id(), 77, "private", "credit_report", 0.9, None, None, False, 3.0, "answer", "征信什么时候能恢复正常"
        )
        assert await store.record_answer(rejected)
        assert await store.record_feedback(rejected.answer_id, 77, Feedback.DOWN)
        events.append(rejected)
        await store.close()

    run_async(go())
    return events


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("DATABASE_URL", "LOW_CONFIDENCE"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_report_end_to_end(
    database_url: str, kb_path: Path, small_engine: Engine, capsys: pytest.CaptureFixture[str], no_environment: None
) -> None:
    seed(database_url, small_engine)
    assert run(parse(["--db", database_url, "--kb", str(kb_path), "--since", "30d"])) == 0
    out = capsys.readouterr().out
    for heading in ("Usage report", "Per day", "Top intents", "Busiest stages", "Unanswered questions"):
        assert heading in out
    assert "Answers: 9 to 9 users" in out
    assert "jirong 4+ 天  极融后期" in out
    assert "13812345678" not in out and "<电话>" in out

    assert run(parse(["--db", database_url, "--kb", str(kb_path), "--yaml"])) == 0
    doc = yaml.safe_load(capsys.readouterr().out)
    proposed = [q for qs in doc.get("add_questions", {}).values() for q in qs]
    proposed += [q for intent in doc.get("new_intents", []) for q in intent["questions"]]
    assert "停息挂账怎么申请" in proposed and "停息挂账如何申请" in proposed
    assert proposed.count("停息挂账怎么申请") == 1
    assert "逾期会上征信吗" not in proposed  # already an example
    assert set(doc["add_questions"]["family_contact"]) >= {"催收会不会打电话给我爸妈", "催收会不会打电话给我父母"}
    assert doc["answers_to_review"] == {"credit_report": ["征信什么时候能恢复正常"]}


def test_report_since_excludes_older_rows(
    tmp_path: Path, kb_path: Path, small_engine: Engine, capsys: pytest.CaptureFixture[str], no_environment: None
) -> None:
    url = f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    seed(url, small_engine)
    today = datetime.now(UTC).astimezone(SHANGHAI).date().isoformat()
    assert run(parse(["--db", url, "--kb", str(kb_path), "--since", today])) == 0
    out = capsys.readouterr().out
    assert "Answers: 9 " not in out and "Answers: " in out


def test_report_plot(tmp_path: Path, kb_path: Path, small_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    url = f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    seed(url, small_engine)
    png = tmp_path / "usage.png"
    assert run(parse(["--db", url, "--kb", str(kb_path), "--plot", str(png)])) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written" in capsys.readouterr().err


def test_report_plot_without_matplotlib(
    tmp_path: Path, kb_path: Path, small_engine: Engine, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    seed(url, small_engine)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert run(parse(["--db", url, "--kb", str(kb_path), "--plot", str(tmp_path / "x.png")])) == 1
    assert "pip install" in capsys.readouterr().err


def test_report_without_a_log(tmp_path: Path, kb_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nothing.sqlite3"
    assert run(parse(["--db", f"sqlite:///{missing}", "--kb", str(kb_path)])) == 1
    assert "no usage log" in capsys.readouterr().err
    assert not missing.exists()  # the report never creates a database
    assert run(parse(["--db", "sqlite:///x", "--since", "yesterday"])) == 2


def test_report_on_an_unreachable_database(kb_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse(["--db", "postgresql://postgres@127.0.0.1:1/none", "--kb", str(kb_path)])) == 1
    assert "cannot read the usage log" in capsys.readouterr().err


def test_report_on_an_empty_period(
    tmp_path: Path, kb_path: Path, small_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    seed(url, small_engine)
    assert run(parse(["--db", url, "--kb", str(kb_path), "--since", "2999-01-01"])) == 0
    assert "No answers recorded" in capsys.readouterr().out


def test_group_dataclass_fits() -> None:
    base = Group(texts=("a",), counts=(4,), reasons={}, nearest="x", score=0.5)
    assert base.fits(0.35) and not base.fits(0.6)
    assert not replace(base, rejected=2).fits(0.35)
    assert not replace(base, nearest=None).fits(0.0)


# ------------------------------------------------------------------------------ refused as out of scope

# The small knowledge base with a catch-all "unrelated" group, as intents.yaml has one: a question about
# credit cards that is not about points or fees is refused as unrelated, though it may be a missing topic.
OOS_KB: dict[str, Any] = {
    **SMALL_KB,
    "out_of_scope": [
        *SMALL_KB["out_of_scope"],
        {"id": "unrelated", "questions": ["信用卡积分能换什么", "信用卡年费怎么免", "社保卡怎么激活", "房贷利率是多少"]},
    ],
}
REFUSED_CREDIT_CARD = ["信用卡逾期了会怎样", "信用卡逾期会怎么样", "信用卡逾期了会怎样啊"]


@pytest.fixture(scope="module")
def oos_kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oos_kb") / "intents.yaml"
    path.write_text(yaml.safe_dump(OOS_KB, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def oos_engine(oos_kb_path: Path) -> Engine:
    return Engine.load(oos_kb_path)


def test_collect_refused() -> None:
    refused = answer("信用卡逾期了会怎样", kind="out_of_scope", reason="out_of_scope")
    older = answer("推荐个口子", kind="out_of_scope", reason="fallback", at=NOW - timedelta(days=1))  # kept before
    complained = answer("逾期了能借钱吗", kind="out_of_scope", reason="out_of_scope")
    no_text = answer(None, kind="out_of_scope")
    fallback = answer("停息挂账怎么申请")
    data = UsageData(
        answers=[refused, older, complained, no_text, fallback],
        feedback=[vote(complained.answer_id, Feedback.DOWN, "逾期了能借钱吗")],
    )
    assert [u.text for u in collect_refused(data)] == ["推荐个口子", "信用卡逾期了会怎样"]  # oldest first
    assert all(u.reasons == ("out_of_scope",) for u in collect_refused(data))
    # The complaint is listed once, with the unanswered questions.
    assert "逾期了能借钱吗" in {u.text for u in collect_unanswered(data)}
    assert "信用卡逾期了会怎样" not in {u.text for u in collect_unanswered(data)}


def refused_items(texts: list[str]) -> list[Unanswered]:
    return [Unanswered(t, ("out_of_scope",), new_answer_id(), NOW) for t in texts]


def test_refused_groups_say_what_refuses_them(oos_engine: Engine) -> None:
    texts = [*REFUSED_CREDIT_CARD, "推荐个下款快的口子呗", "哪里能借到钱啊", "逾期会上征信吗"]
    groups = build_groups(
        refused_items(texts),
        engine_tokenizer(oos_engine),
        engine_ranker(oos_engine),
        refusal=engine_refusal(oos_engine),
    )
    by_text = {t: g for g in groups for t in g.texts}
    credit_card = by_text["信用卡逾期了会怎样"]
    assert set(credit_card.texts) == set(REFUSED_CREDIT_CARD)
    assert credit_card.refused_as == {"unrelated": 3} and credit_card.answered_now == 0
    assert by_text["推荐个下款快的口子呗"].refused_as.get("loan_request")
    # Refused once, answered by today's knowledge base: counted as such, not as refused.
    now_answered = by_text["逾期会上征信吗"]
    assert now_answered.answered_now == 1 and now_answered.refused_as == {}
    assert sum(g.size for g in groups) == len(texts)


def test_refused_yaml_is_ready_to_paste(oos_engine: Engine, oos_kb_path: Path) -> None:
    texts = [*REFUSED_CREDIT_CARD, "信用卡积分能换什么", "你好呀"]
    groups = build_groups(
        refused_items(texts), engine_tokenizer(oos_engine), engine_ranker(oos_engine),
        refusal=engine_refusal(oos_engine),
    )
    kb = oos_engine.kb
    known = [q for i in kb.intents for q in i.questions] + [q for g in kb.out_of_scope for q in g.questions]
    proposals = refused_proposals(groups, 0.35, known, taken_ids=["new_topic_1"])
    text = render_yaml({"new_intents": [{"id": "new_topic_1", "questions": ["x"]}]}, ["header"], proposals)
    doc = yaml.safe_load(text)
    proposed = [q for qs in doc.get("refused_add_questions", {}).values() for q in qs]
    proposed += [q for new in doc.get("refused_new_intents", []) for q in new["questions"]]
    assert set(proposed) == set(REFUSED_CREDIT_CARD)  # not the known example, not the greeting
    assert "# refused as unrelated 3; nearest intent " in text
    assert all(new["id"] != "new_topic_1" for new in doc.get("refused_new_intents", []))
    # Only refusals: still one YAML document, never "{}" followed by keys.
    alone = yaml.safe_load(render_yaml({}, ["header"], proposals))
    assert set(alone) <= {"refused_add_questions", "refused_new_intents"} and alone
    # Pasted into the knowledge base, it still loads.
    merged = yaml.safe_load(oos_kb_path.read_text(encoding="utf-8"))
    for intent in merged["intents"]:
        intent["questions"] += doc.get("refused_add_questions", {}).get(intent["id"], [])
    merged["intents"] += doc.get("refused_new_intents", [])
    pasted = oos_kb_path.parent / "pasted.yaml"
    pasted.write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert len(load_knowledge_base(pasted).intents) == 2 + len(doc.get("refused_new_intents", []))


def test_refused_proposals_skip_groups_that_resemble_no_intent() -> None:
    greeting = Group(texts=("你好呀",), counts=(2,), reasons={}, nearest="threats", score=0.05,
                     refused_as={"greeting": 2})
    assert refused_proposals([greeting], 0.35) == []
    loan = Group(texts=("推荐个口子",), counts=(3,), reasons={}, nearest="negotiate", score=0.4,
                 refused_as={"loan_request": 2, "unrelated": 1})
    assert refused_proposals([loan], 0.35, deliberate=["loan_request", "greeting"]) == []
    assert refused_proposals([loan], 0.35)[0].intent == "negotiate"
    multiline = replace(greeting, texts=("信用卡\n逾期了",), score=0.3)
    (proposal,) = refused_proposals([multiline], 0.35)
    assert proposal.skeleton is not None and proposal.questions == ("信用卡 逾期了",)
    assert yaml.safe_load(render_yaml({}, (), [proposal]))["refused_new_intents"][0]["questions"] == ["信用卡 逾期了"]


# Self-introductions and numbers, as a borrower writes them: none of it may reach the database.
PERSONAL = [
    ("我叫王小明,信用卡逾期了会怎样", ["王小明"]),
    ("本人李娜,电话13812345678,信用卡逾期了会怎样", ["李娜", "13812345678"]),
    ("我老婆张丽被催收打电话，怎么办", ["张丽"]),
    ("緊急聯絡人是陳大文,會被打電話嗎", ["陳大文"]),
    ("王强是我朋友，他借了我三千块", ["王强", "三千"]),
    ("我是刘洋 身份证110105194912310021 逾期15天", ["刘洋", "110105194912310021"]),
]


def record_replies(url: str, engine: Engine, messages: list[str]) -> None:
    """Record each message's reply as the bot does (bot/service.py builds the same event)."""

    async def go() -> None:
        store = SqlStore(StoreSettings(database_url=url, hash_secret="k"))
        await store.start()
        for n, message in enumerate(messages):
            reply = engine.reply(message)
            event = AnswerEvent(
                answer_id=new_answer_id(),
                user_id=2000 + n,
                chat_type="private",
                intent=reply.intent,
                confidence=reply.confidence,
                days=reply.days,
                platform=reply.platform,
                fell_back=reply.fell_back,
                latency_ms=3.0,
                kind=reply.kind.value,
                question=message,
            )
            assert await store.record_answer(event)
        await store.close()

    run_async(go())


def test_refused_questions_reach_the_report_and_no_personal_data_the_database(
    database_url: str, oos_kb_path: Path, oos_engine: Engine, capsys: pytest.CaptureFixture[str],
    no_environment: None,
) -> None:
    messages = [
        *REFUSED_CREDIT_CARD,
        "推荐个下款快的口子呗",
        "我不想活了",  # crisis: never kept
        "逾期会上征信吗",  # answered confidently: not kept
        *(text for text, _ in PERSONAL),
    ]
    record_replies(database_url, oos_engine, messages)

    async def fetch() -> UsageData:
        store = SqlStore(StoreSettings(database_url=database_url, hash_secret="k"))
        try:
            return await store.fetch()
        finally:
            await store.close()

    data = run_async(fetch())
    kept = {row.question: row for row in data.answers if row.question}
    for text in REFUSED_CREDIT_CARD:
        assert kept[text].kind == "out_of_scope" and kept[text].question_reason == "out_of_scope"
    assert "我不想活了" not in kept and "逾期会上征信吗" not in kept
    stored = " ".join(kept)
    for text, secrets in PERSONAL:
        for secret in secrets:
            assert secret not in stored, (text, stored)
    assert NAME in stored and PHONE in stored

    assert run(parse(["--db", database_url, "--kb", str(oos_kb_path)])) == 0
    out = capsys.readouterr().out
    section = out[out.index("Refused as out of scope"):]
    assert "refused as unrelated" in section and "信用卡逾期了会怎样" in section
    assert "refused as loan_request 1" in section
    assert "王小明" not in out and "13812345678" not in out

    assert run(parse(["--db", database_url, "--kb", str(oos_kb_path), "--yaml"])) == 0
    doc = yaml.safe_load(capsys.readouterr().out)
    proposed = [q for qs in doc.get("refused_add_questions", {}).values() for q in qs]
    proposed += [q for new in doc.get("refused_new_intents", []) for q in new["questions"]]
    assert "信用卡逾期了会怎样" in proposed


def test_render_text_lists_refusals_apart(oos_engine: Engine) -> None:
    refused = answer("信用卡逾期了会怎样", kind="out_of_scope", reason="out_of_scope")
    quiet = answer(None, kind="out_of_scope")
    complained = answer("逾期了能借钱吗", kind="out_of_scope", reason="out_of_scope")
    data = UsageData(
        answers=[refused, quiet, complained], feedback=[vote(complained.answer_id, Feedback.NONE_OF_THESE)]
    )
    groups = build_groups(
        collect_refused(data), engine_tokenizer(oos_engine), engine_ranker(oos_engine),
        refusal=engine_refusal(oos_engine),
    )
    text = render_text(data, [], [], UTC, ReportOptions(), "title", groups)
    assert "Refused as out of scope: 1 questions in 1 groups (of 3 refusals" in text
    assert "1 refusals kept no text" in text
    assert "(1 that users complained about are listed with the unanswered questions above)" in text
    assert "#1      1x  refused as unrelated 1; nearest credit_report" in text
