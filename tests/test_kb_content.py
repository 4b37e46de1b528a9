"""The knowledge base says what is true today (2026-11-26), for the 13 intents of the first taxonomy.

Table-driven: every intent carries the fields the bot shows (summary, ask, sources, enough examples); the key
facts of current law and industry rules are in the intent a user reaches for them; and the claims a legal
review found wrong appear nowhere a user can see them (fixed texts, stage tables, intents' summary / answer /
details / sources, out-of-scope answers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from faq.kb import MAX_SUMMARY_CHARS, KnowledgeBase, load_knowledge_base
from faq.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "intents.yaml"

#: The intents this file is about (the first 13 ids of the taxonomy).
EXISTING = (
    "family_contact",
    "contact_list",
    "call_legality",
    "complain",
    "evidence",
    "threats",
    "compensation",
    "negotiate",
    "change_emergency_contact",
    "credit_report",
    "collection_process",
    "third_party_collection",
    "debt_management",
)
MAX_ASK_CHARS = 16
MIN_QUESTIONS = 20
#: summary + answer is the first message: it should fit on a phone screen or so.
MAX_FIRST_MESSAGE_CHARS = 450


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(SHIPPED)


def _intent_text(kb: KnowledgeBase, intent_id: str) -> str:
    intent = kb.intent(intent_id)
    assert intent is not None, intent_id
    return "\n".join((intent.summary, intent.answer, intent.details))


def visible_texts(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """Every text a user can be shown, with where it comes from."""
    for key in kb.texts.__dataclass_fields__:
        value = getattr(kb.texts, key)  # list-valued texts: fear words, (situation label, intent) pairs
        if not isinstance(value, str):
            value = "\n".join(item if isinstance(item, str) else item[0] for item in value)
        yield f"texts.{key}", value
    for platform, stages in kb.stages.items():
        for stage in stages:
            where = f"stages.{platform}[{stage.min_days}-{stage.max_days}]"
            for field in ("title", "expect", "rights", "todo"):
                yield f"{where}.{field}", getattr(stage, field)
    for group in kb.out_of_scope:
        if group.answer:
            yield f"out_of_scope.{group.id}.answer", group.answer
    for intent in kb.intents:
        for field in ("title", "summary", "answer", "details", "ask"):
            yield f"intents.{intent.id}.{field}", getattr(intent, field)
        for number, source in enumerate(intent.sources):  # not shown today, but may be behind "依据"
            yield f"intents.{intent.id}.sources[{number}]", source


# ------------------------------------------------------------------------------------------ every intent


@pytest.mark.parametrize("intent_id", EXISTING)
def test_intent_has_what_the_bot_shows(kb: KnowledgeBase, intent_id: str) -> None:
    intent = kb.intent(intent_id)
    assert intent is not None
    assert 0 < len(intent.summary) <= MAX_SUMMARY_CHARS, intent.summary
    assert "\n" not in intent.summary.strip(), "the summary is one sentence"
    assert 0 < len(intent.ask) <= MAX_ASK_CHARS, intent.ask
    assert intent.ask.endswith(("?", "?")), intent.ask
    assert intent.details.strip(), "legal bases and the longer explanation go into details"
    assert len(intent.summary) + len(intent.answer) <= MAX_FIRST_MESSAGE_CHARS
    assert len(intent.questions) >= MIN_QUESTIONS
    assert 2 <= len(intent.related) <= 4
    assert intent.sources


@pytest.mark.parametrize("intent_id", EXISTING)
def test_first_message_ends_with_what_to_do_now(kb: KnowledgeBase, intent_id: str) -> None:
    intent = kb.intent(intent_id)
    assert intent is not None
    last_paragraph = intent.answer.strip().split("\n\n")[-1]
    assert re.search(r"现在|今天|马上|先|保存", last_paragraph), last_paragraph


@pytest.mark.parametrize("intent_id", EXISTING)
def test_examples_are_written_the_ways_people_write(kb: KnowledgeBase, intent_id: str) -> None:
    """Short keyword queries, lender names, pinyin and Traditional all appear among the examples."""
    intent = kb.intent(intent_id)
    assert intent is not None
    questions = intent.questions
    assert any(normalize(q) != q.lower() for q in questions), "a Traditional-Chinese example"
    assert any(re.search(r"[a-z]{4,}", q) for q in questions), "a pinyin or English example"
    assert any(len(q) <= 8 and not re.search(r"[??,,。]", q) for q in questions), "a short keyword query"


LENDERS = ("借呗", "花呗", "美团", "京东", "微粒贷", "信用卡", "银行", "极融", "天星")


def test_examples_name_lenders(kb: KnowledgeBase) -> None:
    """Most intents are also asked with a lender's name in them."""
    with_lender = [
        intent_id
        for intent_id in EXISTING
        if any(name in q for name in LENDERS for q in kb.intent(intent_id).questions)  # type: ignore[union-attr]
    ]
    assert len(with_lender) >= 11, set(EXISTING) - set(with_lender)


@pytest.mark.parametrize("intent_id", EXISTING)
def test_sources_do_not_hide_behind_article_numbers(kb: KnowledgeBase, intent_id: str) -> None:
    intent = kb.intent(intent_id)
    assert intent is not None
    for source in intent.sources:
        assert "文章一" not in source and "文章二" not in source, source


# ------------------------------------------------------------------------------------------ key facts

KEY_FACTS: list[tuple[str, str, str]] = [
    # (intent, what, regular expression that must match summary + answer + details)
    ("call_legality", "no collection 22:00-08:00", r"22(:00|点)[^。\n]{0,8}8(:00|点)"),
    ("call_legality", "6 unanswered tries per number a day", r"6次"),
    ("call_legality", "the CBA guideline by name", r"《金融机构个人消费类贷款催收工作指引\(试行\)》"),
    ("call_legality", "issued by the 中国银行业协会", r"中国银行业协会"),
    ("call_legality", "self-regulation, not law", r"自律[^。\n]{0,12}不是法律|不是法律条文"),
    ("contact_list", "12321 report centre", r"12321"),
    ("contact_list", "PIPL art. 10", r"《个人信息保护法》第10条"),
    ("contact_list", "民法典 1032", r"1032"),
    ("contact_list", "民法典 1033", r"1033"),
    ("contact_list", "loan apps may not require the address book", r"(不包括|不含|不能把)通讯录"),
    ("family_contact", "only when the borrower cannot be reached", r"联系不上你"),
    ("family_contact", "only to pass on a message", r"转告"),
    ("family_contact", "not told about the debt", r"不能透露(你的)?(欠款|债务)"),
    ("family_contact", "not asked to pay", r"不能(催他还钱|向他要钱|向他催收)"),
    ("family_contact", "spouse: joint debts, 民法典 1064", r"配偶[\s\S]*第1064条"),
    ("threats", "治安管理处罚法 art. 50", r"《治安管理处罚法》[^。\n]{0,30}第五十条"),
    ("threats", "the new law since 2026-01-01", r"2026年1月1日"),
    ("threats", "no-contact order", r"禁止接触"),
    ("threats", "刑法 293之一", r"第293条之一"),
    ("evidence", "secret recording generally admissible (民诉法解释 106)", r"第106条"),
    ("evidence", "without telling the other side", r"没告诉对方"),
    ("evidence", "keep at least 3 years", r"至少(保存)?3年"),
    ("evidence", "民法典 188", r"第188条"),
    ("credit_report", "5 years", r"5年"),
    ("credit_report", "from when it is repaid", r"还清"),
    ("credit_report", "objection answered in 20 days", r"20日"),
    ("credit_report", "征信业管理条例 art. 25", r"第25条"),
    ("complain", "12378 for banks and consumer finance", r"12378"),
    ("complain", "local financial authority for 小贷", r"小额贷款公司[^。\n]{0,12}地方金融管理"),
    ("complain", "NIFA, last", r"中国互联网金融协会"),
    ("negotiate", "no legal right to a 缓冲期", r"不是法定权利|没有法定义务"),
    ("negotiate", "post-judgment risk: 拒执罪 (刑法 313)", r"第313条"),
    ("negotiate", "post-judgment risk: 司法拘留", r"司法拘留"),
    ("negotiate", "credit cards: 个性化分期 (art. 70)", r"第70条"),
    ("third_party_collection", "assignment needs notice (民法典 546)", r"第546条"),
    ("collection_process", "court papers checked through 12368", r"12368"),
]


@pytest.mark.parametrize(
    ("intent_id", "what", "pattern"), KEY_FACTS, ids=[f"{i}:{w}" for i, w, _ in KEY_FACTS]
)
def test_key_fact_is_in_its_intent(kb: KnowledgeBase, intent_id: str, what: str, pattern: str) -> None:
    assert re.search(pattern, _intent_text(kb, intent_id)), f"{intent_id} should say: {what}"


def test_complaint_channels_in_order(kb: KnowledgeBase) -> None:
    answer = kb.intent("complain").answer  # type: ignore[union-attr]
    assert answer.index("12378") < answer.index("地方金融管理局") < answer.index("中国互联网金融协会")


def test_lawsuit_summons_is_checked_not_ignored_in_stages(kb: KnowledgeBase) -> None:
    """The last stage of every table tells how to check court papers (12368), since courts serve by SMS too."""
    for platform, stages in kb.stages.items():
        assert "12368" in stages[-1].rights, platform


# ------------------------------------------------------------------------------------------ wrong claims

WRONG_CLAIMS: list[tuple[str, str]] = [
    (
        "'3 calls a day' (the guideline says up to 6 unanswered tries)",
        r"(每天|一天|每日|当天)(不)?(超过|最多)?[3三]次",
    ),
    ("'no calls from 20:00' (the guideline says 22:00)", r"晚上?(8|八)点|20[::]00|20点"),
    ("the unsourced 'three conditions'", r"三个条件|3个条件"),
    ("'失联72小时'", r"72小时"),
    ("'当期10倍'", r"10倍|十倍"),
    ("'30% 拨打率'", r"拨打率"),
    ("'录音保存6个月' (claims run 3 years)", r"(录音|证据|截图)[^。\n]{0,12}(6|六)个月"),
    ("'法院会通过正式渠道送达' (courts serve by SMS / 12368 too)", r"正式渠道送达"),
    ("article numbers users do not know", r"文章[一二]"),
    ("the 2018 NIFA 公约 as the current rule", r"自律公约"),
    ("the abolished 银保监局 as a channel", r"(向|找|打)[^。\n]{0,4}银保监"),
]


@pytest.mark.parametrize(("what", "pattern"), WRONG_CLAIMS, ids=[w for w, _ in WRONG_CLAIMS])
def test_wrong_claim_appears_nowhere_users_see(kb: KnowledgeBase, what: str, pattern: str) -> None:
    found = [where for where, text in visible_texts(kb) if re.search(pattern, text)]
    assert not found, f"{what}: {found}"


def test_no_jail_promise_without_the_post_judgment_risks(kb: KnowledgeBase) -> None:
    """'不会坐牢' may only be said together with what can follow a judgment (拒执罪, 司法拘留)."""
    for where, text in visible_texts(kb):
        if re.search(r"不(会|用)(因此)?坐牢", text):
            assert "313" in text and "司法拘留" in text, where


def test_grace_period_is_never_presented_as_a_right(kb: KnowledgeBase) -> None:
    for where, text in visible_texts(kb):
        for match in re.finditer(r"缓冲期", text):
            paragraph = text[: match.end()].rsplit("\n", 1)[-1] + text[match.end() :].split("\n", 1)[0]
            assert re.search(r"不是(法定)?权利|没有(法定)?义务|个例|由平台决定", paragraph), (
                where,
                paragraph,
            )


def test_industry_rules_are_labelled_as_self_regulation(kb: KnowledgeBase) -> None:
    """Wherever the 22:00 / 6-tries rule is stated, the reader is told it is an industry rule."""
    for where, text in visible_texts(kb):
        for line in text.splitlines():
            if "6次" in line or re.search(r"22(:00|点)", line):
                context = text if where.startswith("intents.") else line
                assert re.search(r"自律|行业规则|中国银行业协会|国家标准", context), (where, line)


def test_emergency_contacts_are_not_listed_with_guarantors_as_collectable(kb: KnowledgeBase) -> None:
    for where, text in visible_texts(kb):
        assert not re.search(r"可以联系[^。\n]{0,12}紧急联系人[^。\n]{0,6}担保人", text), where


# ------------------------------------------------------------------------------------------ dev data


def _real_queries() -> Path | None:
    for candidate in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        path = candidate / "data" / "real_queries_dev.yaml"
        if path.is_file():
            return path
    return None


def test_no_real_dev_query_is_copied_into_the_knowledge_base(kb: KnowledgeBase) -> None:
    """The real-queries dev set measures the matcher; its texts (even re-punctuated or in the other script)
    must never become examples."""
    path = _real_queries()
    if path is None:
        pytest.skip("the shared real-queries dev set is not on this machine")
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    dev = {re.sub(r"\s+", "", normalize(row["text"])) for row in rows}
    examples = [q for intent in kb.intents for q in intent.questions]
    examples += [q for group in kb.out_of_scope for q in group.questions]
    copied = [q for q in examples if re.sub(r"\s+", "", normalize(q)) in dev]
    assert not copied, copied
