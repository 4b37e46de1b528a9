"""The 13 intents added for issue 8 (part 2): shape, the key facts of current law each must state, and
that each intent's own example questions are matched to it.

The key facts are the ones a borrower acts on (the answer period and 12368 when sued, 刑法 313 after a
judgment, 民法典 1064 for a spouse, 12356 for someone in distress ...); a rewrite that drops one of them
fails here.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz

from faq.engine import Engine
from faq.kb import MAX_SUMMARY_CHARS, Intent
from faq.normalize import normalize

NEW_INTENTS = (
    "lawsuit",
    "jail",
    "home_visit",
    "interest_fees",
    "life_impact",
    "grace_period",
    "scam",
    "family_liability",
    "statute_of_limitations",
    "avoid_contact",
    "platform_closed",
    "illegal_lending",
    "emotional",
)
DISCLAIMER = "仅供参考,不构成法律意见"
#: Intents that state the law on a borrower's own legal position carry the disclaimer in the first message.
NEEDS_DISCLAIMER = ("lawsuit", "jail", "interest_fees", "family_liability", "statute_of_limitations")
MAX_ASK_CHARS = 16
MAX_FIRST_MESSAGE_CHARS = 450  # summary + answer: the first message a worried reader sees
MIN_EXAMPLES = 20

#: intent -> facts that must appear in the first message (summary + answer) ...
FIRST_MESSAGE_FACTS: dict[str, tuple[str, ...]] = {
    "lawsuit": (
        "12368",
        "15天",
        "答辩",
        "简易程序",
        "缺席判决",
        "调解",
        "抗辩",
        "冻结",
        "限制高消费",
        "失信被执行人",
        "生活必需品",
    ),
    "jail": ("民事纠纷", "骗贷", "恶意透支", "司法拘留", "第313条"),
    "home_visit": ("2人", "22点", "8点", "同意", "张贴", "110"),
    "interest_fees": ("4倍", "LPR", "24%", "砍头息", "第670条"),
    "life_impact": ("征信", "高铁", "限制高消费", "失信", "政审"),
    "grace_period": ("逾期", "宽限期", "合同", "征信"),
    "scam": ("个人", "债务优化", "反催收", "征信修复", "停息挂账", "110"),
    "family_liability": ("配偶", "第1064条", "第1161条", "担保人", "离婚"),
    "statute_of_limitations": ("3年", "第188", "第195条", "短信", "抗辩"),
    "avoid_contact": ("紧急联系人", "起诉", "公告送达", "缺席判决", "时效"),
    "platform_closed": ("放款机构", "官方", "个人账户", "征信"),
    "illegal_lending": ("放款机构", "714高炮", "套路贷", "110", "地方金融管理局"),
    "emotional": ("12356", "110", "120"),
}
#: ... and facts that must appear somewhere users can read them (summary, answer or details).
DETAIL_FACTS: dict[str, tuple[str, ...]] = {
    "lawsuit": ("第128条", "第266、275条", "有履行能力而拒不履行", "生活必需", "不得拍卖", "第147条"),
    "jail": ("第193条", "第175条之一", "第196条", "两次有效催收", "5万元", "法释〔2024〕13号"),
    "home_visit": ("中国银行业协会", "第50条", "非法侵入他人住宅", "第245条"),
    "interest_fees": ("36%", "法发〔2017〕22号", "第25条", "第29条", "综合融资成本"),
    "life_impact": ("第3条", "子女不得就读高收费私立学校", "第39、40条"),
    "scam": ("12368", "第25条", "官方"),
    "family_liability": ("第1089条", "第33条", "第35条", "放弃继承"),
    "statute_of_limitations": ("第192条", "第193条", "数据电文", "第14条", "20年"),
    "avoid_contact": ("第95条", "第147条", "连续三次"),
    "platform_closed": ("第546条", "第570条"),
    "illegal_lending": ("第13条", "36%", "第293条之一", "12321"),
    "emotional": ("18小时", "2025年5月1日"),
}
#: What users must never be told (the errors the legal review found, and the unknown "articles").
NEVER_SHOWN = ("文章一", "文章二", "晚8点", "每天不超过3次", "三个条件", "30%", "录音至少保存6个月")


def _intent(engine: Engine, intent_id: str) -> Intent:
    intent = engine.kb.intent(intent_id)
    assert intent is not None, f"{intent_id} is missing from intents.yaml"
    return intent


def _visible(intent: Intent) -> str:
    return "\n".join((intent.title, intent.summary, intent.answer, intent.details, intent.ask))


def test_all_new_intents_exist_and_come_last(engine: Engine) -> None:
    ids = [intent.id for intent in engine.kb.intents]
    assert set(NEW_INTENTS) <= set(ids)
    assert ids[-len(NEW_INTENTS) :] == list(NEW_INTENTS), "the new intents are appended at the end"


@pytest.mark.parametrize("intent_id", NEW_INTENTS)
def test_shape(engine: Engine, intent_id: str) -> None:
    intent = _intent(engine, intent_id)
    assert 0 < len(intent.summary) <= MAX_SUMMARY_CHARS
    assert len(intent.summary) + len(intent.answer) <= MAX_FIRST_MESSAGE_CHARS
    assert intent.ask and len(intent.ask) <= MAX_ASK_CHARS and intent.ask.endswith(("?", "?"))
    assert len(intent.questions) >= MIN_EXAMPLES
    assert intent.details and intent.keywords
    assert 2 <= len(intent.related) <= 4 and intent_id not in intent.related
    assert all(engine.kb.intent(other) is not None for other in intent.related)
    assert intent.sources
    assert not any(s.startswith(("文章一", "文章二")) for s in intent.sources), "sources name laws and rules"
    assert any(("《" in s) or ("热线" in s) or ("合同" in s) for s in intent.sources)


@pytest.mark.parametrize("intent_id", NEW_INTENTS)
def test_first_message_states_the_key_facts(engine: Engine, intent_id: str) -> None:
    intent = _intent(engine, intent_id)
    first = intent.summary + "\n" + intent.answer
    missing = [fact for fact in FIRST_MESSAGE_FACTS[intent_id] if fact not in first]
    assert not missing, f"{intent_id}: the first message lacks {missing}"
    if intent_id in NEEDS_DISCLAIMER:
        assert DISCLAIMER in intent.answer


@pytest.mark.parametrize("intent_id", sorted(DETAIL_FACTS))
def test_details_name_the_legal_bases(engine: Engine, intent_id: str) -> None:
    visible = _visible(_intent(engine, intent_id))
    missing = [fact for fact in DETAIL_FACTS[intent_id] if fact not in visible]
    assert not missing, f"{intent_id}: lacks {missing}"


@pytest.mark.parametrize("intent_id", NEW_INTENTS)
def test_no_wrong_or_unknown_claims(engine: Engine, intent_id: str) -> None:
    visible = _visible(_intent(engine, intent_id))
    assert not [bad for bad in NEVER_SHOWN if bad in visible]


def test_statute_of_limitations_says_plainly_that_hiding_does_not_work(engine: Engine) -> None:
    intent = _intent(engine, "statute_of_limitations")
    assert intent.summary.startswith("不会")
    assert "躲3年就没事" in intent.answer and "不成立" in intent.answer


def test_emotional_answers_warmly_without_replacing_the_crisis_entry(engine: Engine) -> None:
    """A stressed message gets the emotional answer; words of self-harm still get the crisis reply."""
    stressed = engine.reply("欠了好几笔网贷 每天都睡不好 心里很乱")
    assert stressed.intent == "emotional"
    assert "12356" in stressed.text
    assert engine.reply("欠太多了 不想活了").kind.value == "crisis"


def _self_match_rate(engine: Engine, intent_id: str) -> float:
    """Share of the intent's own examples matched to it, each with itself taken out of the nearest-example
    search when the matcher supports that (`rank(..., exclude=i)`), else with a plain reply."""
    matcher = engine.matcher
    can_exclude = "exclude" in inspect.signature(matcher.rank).parameters
    own = [
        (i, text)
        for i, (owner, text) in enumerate(zip(matcher.owners, matcher.examples, strict=True))
        if owner == intent_id
    ]
    hits = 0
    for i, text in own:
        if can_exclude:
            ranking = matcher.rank(normalize(text), exclude=i)
            hits += bool(ranking) and ranking[0].owner == intent_id
        else:
            hits += engine.reply(text).intent == intent_id
    return hits / len(own)


@pytest.mark.parametrize("intent_id", NEW_INTENTS)
def test_own_examples_match_their_intent(engine: Engine, intent_id: str) -> None:
    # Measured with main's matcher of 2026-11-26 09:15: 0.76 (scam) to 1.00 per intent; below 0.7 the
    # examples overlap a neighbour.
    assert _self_match_rate(engine, intent_id) >= 0.7


def test_leave_one_out_over_the_new_intents(engine: Engine) -> None:
    """Each example matched by an index rebuilt without it (its words forgotten too): how well the other
    examples of an intent generalise. Measured 0.735 over the 13 new intents (per intent 0.59-0.92)."""
    matcher = engine.matcher
    if not hasattr(matcher, "without"):
        pytest.skip("this matcher cannot leave an example out")
    total = correct = 0
    for i, (owner, text) in enumerate(zip(matcher.owners, matcher.examples, strict=True)):
        if owner in NEW_INTENTS:
            ranking = matcher.without(i).rank(normalize(text))
            total += 1
            correct += bool(ranking) and ranking[0].owner == owner
    assert correct / total >= 0.65


REAL_DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "real_queries_dev.yaml"


def _dev_texts() -> list[str]:
    here = Path(__file__).resolve().parent / "data"
    texts = [
        q["text"]
        for name in ("dev.yaml", "dev2.yaml")
        for q in yaml.safe_load((here / name).read_text("utf-8"))["questions"]
    ]
    for candidate in (REAL_DEV, Path("/work/shared/data/real_queries_dev.yaml")):
        if candidate.exists():
            texts += [row["text"] for row in yaml.safe_load(candidate.read_text("utf-8"))]
            break
    return texts


def test_examples_are_not_copied_from_dev_data(engine: Engine) -> None:
    """Neither copies nor near-copies (normalised, RapidFuzz ratio >= 85) of any dev question."""
    dev = [normalize(t) for t in _dev_texts()]
    near: list[tuple[str, str]] = []
    for intent_id in NEW_INTENTS:
        for question in _intent(engine, intent_id).questions:
            text = normalize(question)
            near += [(question, d) for d in dev if fuzz.ratio(text, d) >= 85]
    assert not near
