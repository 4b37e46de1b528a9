"""The English layer (faq/english.py) and how the analyser, the day counts and the question splitter read
English. Every message here is invented for this file."""

from __future__ import annotations

import pytest

from faq import english, questions
from faq.analyze import _SYLLABLE
from faq.days import parse_days
from faq.engine import Engine
from faq.normalize import normalize


@pytest.mark.parametrize(
    ("written", "base"),
    [
        ("calling", "call"),
        ("called", "call"),
        ("calls", "call"),
        ("harassing", "harass"),
        ("harassed", "harass"),
        ("threatened", "threaten"),
        ("fees", "fee"),
        ("legally", "legal"),
        ("blocked", "block"),
        ("stopped", "stop"),
        ("paid", "pay"),
        ("parties", "party"),
    ],
)
def test_inflections_reach_their_base_form(written: str, base: str) -> None:
    assert base in english.base_forms(written)


def test_a_short_stem_is_no_base_form() -> None:
    # "apply" less "ly" would be "app", a word of the table
    assert "app" not in english.base_forms("apply")


def test_the_longest_phrase_is_read_first() -> None:
    words = "my emergency contact person changed".split()
    assert english.phrase_at(words, 1) == ("紧急联系人", 3)
    assert english.phrase_at("debt collection agency".split(), 0) == ("催收公司", 3)
    assert english.phrase_at("phoned my parents".split(), 0) is None


def test_a_phrase_matches_its_inflected_words() -> None:
    assert english.phrase_at("the statute of limitations".split(), 1) == ("诉讼时效", 3)
    assert english.phrase_at("ignoring calls".split(), 0) == ("不接电话", 2)


def test_no_new_english_word_is_read_as_a_pinyin_syllable() -> None:
    # A word of the table that is also a pinyin syllable would break up a phrase typed in pinyin.
    assert {w for w in english.WORDS if _SYLLABLE.fullmatch(w)} <= {"sue", "due", "ai"}


def test_every_chinese_target_is_a_word_the_examples_use(engine: Engine) -> None:
    known = set(engine.matcher.idf)
    targets = {*english.WORDS.values(), *english.PHRASES.values()} - {""}
    missing = {t: engine.analyzer.tokens(t) for t in targets if not set(engine.analyzer.tokens(t)) <= known}
    assert not missing


@pytest.mark.parametrize(
    ("message", "expected", "absent"),
    [
        ("the collectors keep ringing my office number", {"催收", "单位"}, {"the", "my", "keep"}),
        ("received a court summons yesterday, what now", {"法院", "传票"}, {"a", "what"}),
        ("is this lender even licensed", {"平台", "持牌"}, {"is", "this"}),
        ("they threatened to visit my hometown", {"威胁", "上门", "老家"}, {"they", "to"}),
        ("can my statute of limitations still run out", {"诉讼时效"}, {"statute", "of"}),
        ("i m late on a payment plan", {"逾期", "分期"}, {"m", "i"}),
        ("will the old loan expire if they never chase it", {"贷款", "过期"}, {"will", "they", "expire"}),
        ("is it true an unpaid card gets time barred", {"真的吗", "时效"}, {"is", "true", "barred"}),
        # acc22: owing, paying first, more time, court, a lender's app gone, a card's own terms
        ("my dad owes three lenders, which one first", {"家人", "平台", "先还"}, {"which", "one", "first"}),
        ("could they give me more time before payday", {"延期"}, {"more", "time"}),
        ("they want to take me to court", {"起诉"}, {"take", "court"}),
        ("the app is gone, must i pay", {"平台没了"}, {"gone", "must", "pay"}),
        ("does a late payment hurt my credit", {"影响", "征信"}, {"hurt", "credit"}),
        ("credit card minimum payment rules", {"信用卡", "最低", "还款"}, {"征信", "credit"}),
    ],
)
def test_english_messages_read_as_the_knowledge_bases_words(
    engine: Engine, message: str, expected: set[str], absent: set[str]
) -> None:
    tokens = set(engine.analyzer.tokens(normalize(message)))
    assert expected <= tokens
    assert not (absent & tokens)


def test_pinyin_among_english_is_still_pinyin(engine: Engine) -> None:
    assert "紧急联系人" in engine.analyzer.tokens(normalize("how do i update my jin ji lian xi ren"))


def test_english_borrowing_verbs_are_incidental(engine: Engine) -> None:
    stripped = engine.analyzer.strip_incidental(normalize("i owed 8000 to two apps"))
    assert "owed" not in stripped and "8000" not in stripped


@pytest.mark.parametrize(
    ("message", "days", "approximate"),
    [
        ("two months behind with my card", 60, False),
        ("nearly a month overdue now", 30, True),
        ("i am five weeks past due", 35, False),
        ("overdue by three days, scared", 3, False),
        ("a few days late on the loan", 3, True),
    ],
)
def test_day_counts_in_english_words(message: str, days: int, approximate: bool) -> None:
    found = parse_days(message)
    assert found is not None and (found.days, found.approximate) == (days, approximate)


@pytest.mark.parametrize(
    "message",
    [
        "they ring me ten times a day",  # a day in a frequency
        "the app wants it all back in 30 days",  # the loan's term
        "do they sue after 90 days",  # a rule
        "can i pay within two weeks",  # a wait
    ],
)
def test_english_periods_that_are_no_day_count(message: str) -> None:
    assert parse_days(message) is None


def test_a_space_between_english_words_is_no_pause() -> None:
    parts = questions.asking_units(normalize("会被报到credit bureau吗 能不能分期"))
    assert next(whole for _, whole in parts).endswith("credit bureau吗")


def test_english_numbers_are_whole_words() -> None:
    # "often" holds "ten", "ones" holds "one": only whole words count
    assert parse_days("often days go by") is None
    assert parse_days("someones days overdue") is None
