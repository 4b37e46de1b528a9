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
    MAX_TEXT_CHARS,
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
        ("138/1234/5678", PHONE),
        ("１３８／１２３４／５６７８", PHONE),
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
        ("电话幺三八一二三四五六七八", f"电话{NUMBER}"),
        ("一三八 一二三四 五六七八", NUMBER),
        ("138一二三四5678", NUMBER),
        ("壹叁捌壹贰叁肆伍陆柒捌", NUMBER),
        ("手机1 3 8 1 2 3 4 5 6 7 8", f"手机{PHONE}"),
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
        "2023/12/15还款日",
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


# ------------------------------------------------------------------------ names in introductions

N = NAME


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 我叫 / 名字叫 / 姓名: with and without punctuation, with a separator, without a known surname
        ("我叫王小明,逾期30天了", f"我叫{N},逾期30天了"),
        ("我叫王小明逾期30天了", f"我叫{N}逾期30天了"),
        ("我叫王小明，想问一下", f"我叫{N}，想问一下"),
        ("我叫 王小明", f"我叫 {N}"),
        ("我叫：王小明", f"我叫：{N}"),
        ("我叫“王小明”", f"我叫“{N}”"),
        ("你好我叫李娜我借了网贷", f"你好我叫{N}我借了网贷"),
        ("我叫小明", f"我叫{N}"),
        ("我叫欧阳娜娜", f"我叫{N}"),
        ("我叫Wang Xiaoming,逾期了", f"我叫{N},逾期了"),
        ("姓名: Li Na", f"姓名: {N}"),
        ("我叫司马光", f"我叫{N}"),
        ("名字叫陈静", f"名字叫{N}"),
        ("我的名字是刘洋", f"我的名字是{N}"),
        ("姓名:黄伟", f"姓名:{N}"),
        ("真实姓名是周杰", f"真实姓名是{N}"),
        # 本人 / 我是
        ("本人王小明,身份证11010519491231002X", f"本人{N},身份证{ID_CARD}"),
        ("本人张伟，逾期两个月", f"本人{N}，逾期两个月"),
        ("我是王小明", f"我是{N}"),
        ("我是李强，逾期了", f"我是{N}，逾期了"),
        ("我是张伟逾期15天了", f"我是{N}逾期15天了"),
        # family, friends, emergency contacts
        ("我老婆李娜被催收打电话", f"我老婆{N}被催收打电话"),
        ("我老公王强网贷逾期了", f"我老公{N}网贷逾期了"),
        ("我妈张桂兰接到催收电话", f"我妈{N}接到催收电话"),
        ("我爸刘建国", f"我爸{N}"),
        ("我朋友赵四借了我3000", f"我朋友{N}借了我{AMOUNT}"),
        ("我朋友叫孙悦", f"我朋友叫{N}"),
        ("我老婆叫小丽", f"我老婆叫{N}"),
        ("紧急联系人是张伟,会被打电话吗", f"紧急联系人是{N},会被打电话吗"),
        ("紧急联系人李强会被打吗", f"紧急联系人{N}会被打吗"),
        ("紧急联系人：王芳", f"紧急联系人：{N}"),
        ("他叫王强", f"他叫{N}"),
        ("一个叫张伟的催收员", f"一个叫{N}的催收员"),
        # X是我...
        ("王强是我朋友", f"{N}是我朋友"),
        ("张伟是我的紧急联系人", f"{N}是我的紧急联系人"),
        ("你好，李娜是我老婆", f"你好，{N}是我老婆"),
        # a name alone at the start, before punctuation; Cantonese 我係
        ("李娜，30岁，欠了网贷", f"{N}，30岁，欠了网贷"),
        ("王小明:\n信用卡逾期了", f"{N}:\n信用卡逾期了"),
        ("我係陳大文,想問下", f"我係{N},想問下"),
        # 姓
        ("本人姓王", f"本人姓{N}"),
        ("我姓刘，逾期了", f"我姓{N}，逾期了"),
        ("免贵姓欧阳", f"免贵姓{N}"),
        # several in one message, and with numbers
        ("我叫王小明，我老婆叫李娜，紧急联系人是张伟", f"我叫{N}，我老婆叫{N}，紧急联系人是{N}"),
        ("我叫王小明,电话13812345678", f"我叫{N},电话{PHONE}"),
        # Traditional
        ("我叫王曉明,逾期了", f"我叫{N},逾期了"),
        ("我老婆張麗被催收", f"我老婆{N}被催收"),
        ("緊急聯絡人是陳大文", f"緊急聯絡人是{N}"),
        ("緊急聯繫人是劉德華", f"緊急聯繫人是{N}"),
        ("我媽王秀英接到電話", f"我媽{N}接到電話"),
        ("本人姓鄭", f"本人姓{N}"),
        ("我叫王小明,電話13812345678", f"我叫{N},電話{PHONE}"),
    ],
)
def test_redacts_names(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # platforms and lenders
        "我是天星金融的用户",
        "我是极融用户逾期15天",
        "我是借呗逾期",
        "我老公的花呗逾期了",
        "我是微粒贷逾期",
        "我是京东金条用户",
        "我是美团借钱逾期",
        "我是安逸花逾期",
        "我是平安普惠的",
        "我是马上消费金融的",
        "借呗是我第一次借",
        # laws and institutions
        "根据民法典",
        "个人信息保护法怎么规定",
        "治安管理处罚法第42条",
        "我是按民法典说的",
        "中国银行业协会投诉",
        "打12378投诉",
        "我老婆说打12378",
        "银保监会投诉有用吗",
        # ordinary words after 我是 / 本人 / a relative
        "我是学生",
        "我是上班族",
        "我是借款人",
        "我是第一次逾期",
        "我是高中生",
        "我是武汉的",
        "我是个体户",
        "我是白户",
        "我是单亲妈妈",
        "我是黑户还能借吗",
        "我是金融专业的",
        "我是由于疫情",
        "我是和朋友一起借的",
        "本人逾期了",
        "本人马上还",
        "我老公马上要还",
        "我老公单位",
        "我妈高血压",
        "我朋友圈",
        "我的紧急联系人填的是我妈",
        "紧急联系人会被打电话吗",
        # 姓 and 名字 as ordinary words
        "老百姓怎么办",
        "您贵姓",
        "姓名和电话被泄露了",
        "名字被泄露了",
        "我叫他们别打了",
        "我叫什么名字",
        # a word alone at the start, before punctuation
        "高利贷，还要还吗",
        "周末，催收还打电话",
        "江苏，逾期三个月",
        "马上,怎么办",
        "你好，请问",
        "我係學生",
        # Traditional
        "我是學生",
        "我是借唄逾期",
        "根據民法典",
    ],
)
def test_keeps_words_that_are_not_names(text: str) -> None:
    assert redact(text) == text


def test_names_and_traditional_spans_line_up() -> None:
    """The Traditional text keeps its own characters around the placeholder."""
    assert redact("我老婆張麗被催收,緊急聯絡人") == f"我老婆{NAME}被催收,緊急聯絡人"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_redaction_is_idempotent_and_bounded(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert len(once) <= 4 * len(text) + 4
    assert len(once) <= 4 * MAX_TEXT_CHARS


@settings(max_examples=300, deadline=None)
@given(before=chinese_text, after=chinese_text, text=mixed_text)
def test_redaction_is_idempotent_on_chinese(before: str, after: str, text: str) -> None:
    once = redact(before + "我叫" + text + after)
    assert redact(once) == once


_GIVEN_CHARS = st.sampled_from(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞辉斌波宇浩凯健俊帆"))
_COMMON_SURNAMES = st.sampled_from(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"))


@settings(max_examples=300, deadline=None)
@given(
    surname=_COMMON_SURNAMES,
    given_name=st.lists(_GIVEN_CHARS, min_size=1, max_size=2).map("".join),
    trigger=st.sampled_from(["我叫", "本人", "我是", "我老婆", "我老公", "我妈", "我朋友", "紧急联系人是", "名字叫"]),
    after=st.sampled_from(["", ",", "，逾期30天了", "逾期了", "被催收打电话", " 想问一下", "。"]),
)
def test_introduced_names_never_survive(surname: str, given_name: str, trigger: str, after: str) -> None:
    name = surname + given_name
    out = redact(trigger + name + after)
    assert out == trigger + NAME + after, out
