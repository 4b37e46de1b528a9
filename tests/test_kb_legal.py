"""The legal citations users see follow the law in force today (2026-11-26); see docs/legal-sources.md.

Guards what the legal review corrected: article numbers of the 《民事诉讼法》 as amended in 2023 (in force
2024-01-01: every execution article moved up by 4), the limits of what a borrower is told is safe (an account
can be frozen before judgment, the sole home can be sold in the listed exceptions), the effect of 提存 (民法典
571), no attribution of rules that no source confirms, and answers on a borrower's own legal position saying
that they are mainland China's law (readers in Hong Kong and Taiwan are under other law).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_kb_content import visible_texts

from faq.kb import KnowledgeBase, load_knowledge_base

SHIPPED = Path(__file__).resolve().parent.parent / "intents.yaml"

#: Intents that tell a borrower their own legal position (court, jail, interest, family, limitation).
LEGAL_POSITION = ("lawsuit", "jail", "interest_fees", "family_liability", "statute_of_limitations")

#: (words of the rule, its article in the 2023 《民事诉讼法》): a line that states the rule and cites an
#: article number cites this one (the 2021 numbers were 128, 90, 95, 147, 246, 248, 250, 251, 262).
CIVIL_PROCEDURE_2023: list[tuple[str, str]] = [
    (r"答辩状", "第128条"),
    (r"电子方式", "第90条"),
    (r"公告送达|视为送达", "第95条"),
    (r"缺席判决", "第147条"),
    (r"申请执行的期间", "第250条"),
    (r"报告财产|报告或虚假报告", "第252条"),
    (r"生活必需品和?", "第254、255条"),
    (r"限制出境", "第266条"),
]

#: Statements no page confirmed: they must not be attributed to the rule they were said to come from.
UNCONFIRMED_ATTRIBUTIONS: list[tuple[str, str]] = [
    (
        "a third party's refusal obliges collectors to stop (not in any summary of the 2026 guideline)",
        r"明确(要求不要?再联系|拒绝)[^。\n]{0,6}(应当|应)停止",
    ),
    ("the 2025 national standard's hours", r"国家标准[^。\n]{0,60}22[::点]"),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(SHIPPED)


def _visible(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    yield from visible_texts(kb)


def _lines(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    for where, text in _visible(kb):
        for line in text.splitlines():
            yield where, line


@pytest.mark.parametrize(("rule", "article"), CIVIL_PROCEDURE_2023, ids=[a for _, a in CIVIL_PROCEDURE_2023])
def test_civil_procedure_articles_are_the_2023_numbers(kb: KnowledgeBase, rule: str, article: str) -> None:
    cited = [
        (where, line)
        for where, line in _lines(kb)
        if re.search(rule, line) and re.search(r"第\d+条", line) and "解释》" not in line
    ]
    assert cited, f"no line states '{rule}' with its article"
    wanted = article.removeprefix("第").removesuffix("条").split("、")
    wrong = [
        (w, line) for w, line in cited if not any(f"第{n}" in line or f"、{n}条" in line for n in wanted)
    ]
    assert not wrong, wrong


def test_an_account_can_be_frozen_before_judgment(kb: KnowledgeBase) -> None:
    """A borrower whose account is frozen while the case runs must not take it for a scam or for a judgment."""
    lawsuit = kb.intent("lawsuit")
    assert lawsuit is not None
    assert "保全" in lawsuit.answer and "判决前" in lawsuit.answer
    assert re.search(r"第103、104条", lawsuit.details)
    assert "才会被强制执行" not in lawsuit.answer


def test_the_sole_home_rule_comes_with_its_exceptions(kb: KnowledgeBase) -> None:
    for where, text in _visible(kb):
        if "不得拍卖" in text:
            assert "第20条" in text and "例外" in text, where


def test_deposit_takes_effect_under_article_571(kb: KnowledgeBase) -> None:
    intent = kb.intent("platform_closed")
    assert intent is not None
    assert "提存" in intent.details and "第571条" in intent.details


@pytest.mark.parametrize(
    ("what", "pattern"), UNCONFIRMED_ATTRIBUTIONS, ids=[w for w, _ in UNCONFIRMED_ATTRIBUTIONS]
)
def test_unconfirmed_rules_are_not_attributed(kb: KnowledgeBase, what: str, pattern: str) -> None:
    found = [where for where, text in _visible(kb) if re.search(pattern, text)]
    assert not found, f"{what}: {found}"


@pytest.mark.parametrize("intent_id", LEGAL_POSITION)
def test_legal_position_answers_say_they_are_mainland_law(kb: KnowledgeBase, intent_id: str) -> None:
    intent = kb.intent(intent_id)
    assert intent is not None
    assert re.search(r"中国大陆的规定[^。\n]*香港、台湾", intent.answer), intent.answer


def test_welcome_says_which_law_the_answers_follow(kb: KnowledgeBase) -> None:
    assert "中国大陆" in kb.texts.welcome


def test_credit_record_clock_is_not_stated_as_a_quoted_rule(kb: KnowledgeBase) -> None:
    """征信条例 16 says 'from when the conduct ends'; 'from repayment' is the usual reading, so it is hedged."""
    intent = kb.intent("credit_report")
    assert intent is not None
    assert "一般" in intent.summary and "还清" in intent.summary
