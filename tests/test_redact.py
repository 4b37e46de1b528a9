"""Redaction of personal data (faq/usage/redact.py): examples, things that must stay, and properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq.usage.redact import (
    AMOUNT,
    BANK_CARD,
    EMAIL,
    ID_CARD,
    NAME,
    NUMBER,
    PHONE,
    PLACEHOLDERS,
    classify_number,
    clean,
    redact,
    strip_placeholders,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # phones
        ("我的电话13812345678", f"我的电话{PHONE}"),
        ("打我138 1234 5678", f"打我{PHONE}"),
        ("号码是138-1234-5678吗", f"号码是{PHONE}吗"),
        ("+86 13812345678", PHONE),
        ("+86-138-1234-5678", PHONE),
        ("8613812345678", PHONE),
        ("0086 13812345678", PHONE),
        ("座机010-12345678", f"座机{PHONE}"),
        ("0755 1234567打来的", f"{PHONE}打来的"),
        ("(021)87654321", PHONE),
        ("（0755）1234567", PHONE),
        ("１３８１２３４５６７８", PHONE),  # full-width digits
        ("电话138.1234.5678", f"电话{PHONE}"),
        ("138 - 1234 - 5678", PHONE),
        ("138  1234  5678", PHONE),
        ("138—1234—5678", PHONE),
        ("138_1234_5678", PHONE),
        ("１３８．１２３４．５６７８", PHONE),
        # ID cards
        ("身份证11010519491231002X", f"身份证{ID_CARD}"),
        ("身份证号110105194912310021", f"身份证号{ID_CARD}"),
        ("身份证11010519491231002x呢", f"身份证{ID_CARD}呢"),
        ("老身份证110105491231002", f"老身份证{ID_CARD}"),
        # bank cards
        ("卡号6222021234567890123", f"卡号{BANK_CARD}"),
        ("卡号6222 0212 3456 7890 123", f"卡号{BANK_CARD}"),
        ("6222-0212-3456-7890", BANK_CARD),
        # e-mail and accounts
        ("邮箱 zhang.san+loan@qq.com 收到律师函", f"邮箱 {EMAIL} 收到律师函"),
        ("加我vx: wang_123", "加我vx: <账号>"),
        ("qq12345678", f"qq{NUMBER}"),
        ("一三八一二三四五六七八", NUMBER),
        # amounts and names
        ("张三欠了5000元", f"{NAME}欠了{AMOUNT}"),
        ("借给李四3万", f"借给{NAME}{AMOUNT}"),
        ("欠张三5000", f"欠{NAME}{AMOUNT}"),
        ("我跟王小明借了2万块", f"我跟{NAME}借了{AMOUNT}"),
        ("我朋友赵四借了我3000", f"我朋友{NAME}借了我{AMOUNT}"),
        ("逾期30天欠了两万多", f"逾期30天欠了{AMOUNT}"),
        ("本金:8000利息2000", f"本金:{AMOUNT}利息{AMOUNT}"),
        ("网贷5000逾期15天", f"网贷{AMOUNT}逾期15天"),
        ("¥5,000.50", AMOUNT),
        ("借了1.5w", f"借了{AMOUNT}"),
        ("三千块", AMOUNT),
        ("一共二十多万", f"一共{AMOUNT}"),
        ("欠了12000000元", f"欠了{AMOUNT}"),
    ],
)
def test_redacts(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "逾期15天会怎样",
        "逾期一百多天了",
        "逾期100多天",
        "拖了三个月",
        "还了3期",
        "借了10个平台",
        "欠了两年",
        "打了12378投诉",
        "2023-12-15还款日",
        "2023.12.15还款日",
        "2024 - 3 - 5到期",
        "3/15号还",
        "年化36.5%",
        "借了1.5个月",
        "马上还款",
        "周末还可以吗",
        "何时还清",
        "高利贷还要还吗",
        "白条还不上了",
        "余额还不上",
        "千万别借",
        "每天打20个电话",
        "晚上10点以后还打电话合法吗",
        "年化36%",
    ],
)
def test_keeps(text: str) -> None:
    """Day counts, call counts, dates, hotlines and words that start with a surname stay."""
    assert redact(text) == text


def test_classify_number() -> None:
    assert classify_number("13812345678") == PHONE
    assert classify_number("11010519491231002X") == ID_CARD
    assert classify_number("6222021234567890") == BANK_CARD
    assert classify_number("1234567") == NUMBER
    assert classify_number("12378") is None
    assert classify_number("15") is None


def test_clean_and_placeholders() -> None:
    assert clean("a\x00b\x07c") == "a b c"
    assert "\x00" not in redact("电话\x0013812345678")
    assert clean("x" * 5000) == "x" * 1000
    assert strip_placeholders(f"我的电话{PHONE}被打爆了").split() == ["我的电话", "被打爆了"]
    assert all(p.startswith("<") and p.endswith(">") for p in PLACEHOLDERS)


def test_lone_surrogates_do_not_break() -> None:
    assert redact("电话\ud83d13812345678") == f"电话?{PHONE}"


# ------------------------------------------------------------------------------------------ properties

_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_PUNCT = st.sampled_from([*list(",。!?、:; ()《》“”…~ \n"), "吗", "呢", "了"])
_LATIN = st.sampled_from(list("abcxyzABCXYZ_@.-+"))
chinese_text = st.text(alphabet=st.one_of(_HAN, _PUNCT), max_size=30)
mixed_text = st.text(alphabet=st.one_of(_HAN, _PUNCT, _LATIN, st.sampled_from(list("0123456789"))), max_size=30)


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, as written): a mainland mobile, sometimes grouped, sometimes with +86."""
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                               min_size=9, max_size=9)))
    sep = draw(st.sampled_from(["", " ", "-"]))
    written = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86", "+86-"]))
    return digits, prefix + written


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    """An 18-character resident ID: area, birth date, sequence, check character (0-9 or X)."""
    area = draw(st.integers(110000, 659999))
    year = draw(st.integers(1930, 2015))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    seq = draw(st.integers(0, 999))
    check = draw(st.sampled_from("0123456789Xx"))
    return f"{area}{year:04d}{month:02d}{day:02d}{seq:03d}{check}"


def _digit_runs(text: str) -> list[str]:
    return [re.sub(r"\D", "", m) for m in re.findall(r"\d(?:[ \t\u3000\-]?\d)*", text)]


@settings(max_examples=300, deadline=None)
@given(before=chinese_text, number=mobiles(), after=chinese_text)
def test_mobiles_never_survive(before: str, number: tuple[str, str], after: str) -> None:
    out = redact(before + number[1] + after)
    assert not re.search(r"\d", out), out
    assert PHONE in out


@settings(max_examples=300, deadline=None)
@given(before=chinese_text, number=id_numbers(), after=chinese_text)
def test_id_numbers_never_survive(before: str, number: str, after: str) -> None:
    out = redact(before + number + after)
    assert not re.search(r"\d", out), out
    assert ID_CARD in out


@settings(max_examples=300, deadline=None)
@given(before=chinese_text, digits=st.text(alphabet="0123456789", min_size=18, max_size=18), after=chinese_text)
def test_any_18_digits_never_survive(before: str, digits: str, after: str) -> None:
    out = redact(before + digits + after)
    assert not re.search(r"\d", out), out


@settings(max_examples=300, deadline=None)
@given(before=mixed_text, mobile=mobiles(), ident=id_numbers(), after=mixed_text)
def test_numbers_never_survive_next_to_anything(
    before: str, mobile: tuple[str, str], ident: str, after: str
) -> None:
    """Even glued to letters, other digits or each other, neither number's digits come through."""
    out = redact(before + mobile[1] + after + ident + before)
    for run in _digit_runs(out):
        assert mobile[0] not in run, out
        assert ident[:17] not in run, out


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_redact_never_raises_and_keeps_no_long_digit_run(text: str) -> None:
    out = redact(text)
    assert isinstance(out, str)
    assert "\x00" not in out
    # Only dashed dates (YYYY-MM-DD, at most 8 digits) may keep 7 or more digits.
    assert all(len(run) <= 8 for run in _digit_runs(out)), out
