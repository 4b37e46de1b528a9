"""Tests for faq.days.parse_days: table-driven examples plus hypothesis properties."""

from __future__ import annotations

import json
import pickle

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq.days import MAX_SCAN, DayCount, StatedDays, as_said, parse_days, stated
from faq.engine import Engine

# (message, expected days or None)
EXACT_NUMBERS = [
    ("逾期4天", 4),
    ("逾期十二天", 12),
    ("三十五天了", 35),
    ("逾期 15 天", 15),
    ("逾期两天", 2),
    ("逾期一百二十天", 120),
    ("逾期五十天", 50),
    ("逾期二十天了", 20),
    ("俩天", 2),
    ("三天", 3),
    ("一天了", 1),
    ("逾期1天", 1),
    ("逾期一天", 1),
    ("逾期 1.5 个月", 45),
]

WEEKS = [
    ("三周", 21),
    ("两个礼拜", 14),
    ("一个星期", 7),
    ("一个星期了", 7),
    ("仨星期", 21),
    ("晚还了一周", 7),
    ("逾期了一个多星期", 10),
]

MONTHS_AND_YEARS = [
    ("半个月", 15),
    ("大半个月", 20),
    ("逾期半个多月", 20),
    ("一个月", 30),
    ("五个月", 150),
    ("两个多月", 70),
    ("一个多月", 40),
    ("一个半月", 45),
    ("个把月", 30),
    ("一两个月", 60),
    ("好几个月了", 90),
    ("欠了两个月了", 60),
    ("逾期两月了", 60),
    ("拖欠了俩月", 60),
    ("半年", 180),
    ("逾期快半年了", 180),
    ("一年", 365),
    ("一年多", 400),
    ("一年半", 545),
    ("两年", 730),
    ("欠款三年了", 1095),
    ("两个月零五天", 65),
    ("逾期了两个月零十天", 70),
    ("拖了一年零三个月", 455),
]

ORDINALS = [
    ("第12天", 12),
    ("第十五天", 15),
    ("逾期第3天", 3),
    ("逾期第一天", 1),
    # "today is day N", in Cantonese with 日 (a bare 日 is otherwise a date): 今日系第三日
    ("迟还咗 唔知佢哋跟住会做咩 我今日系第三日", 3),
    ("今日已经系第五日 佢哋会唔会上门", 5),
]

#: Cantonese "a whole month / week" (成个月, 成个礼拜) is one.
A_WHOLE = [
    ("借咗钱 过期咗成个月 佢哋会唔会告我", 30),
    ("迟咗成个礼拜未还", 7),
    ("成日打嚟烦我", None),  # 成日: all day long
]


@pytest.mark.parametrize(("text", "days"), A_WHOLE, ids=[t for t, _ in A_WHOLE])
def test_a_whole_month_in_cantonese(text: str, days: int | None) -> None:
    found = parse_days(text)
    assert (found.days if found else None) == days

APPROXIMATIONS = [
    ("五六天", 6),
    ("七八天", 8),
    ("十七八天", 18),
    ("二三十天", 30),
    ("三五天", 5),
    ("二十多天", 25),
    ("逾期了二十余天", 25),
    ("十多天", 15),
    ("十几天", 15),
    ("迟还十几天", 15),
    ("十来天", 10),
    ("逾期一百多天", 150),
    ("差不多两周", 14),
    ("快一个月了", 30),
    ("一周左右", 7),
    ("逾期十天左右", 10),
    ("逾期将近两个月", 60),
    ("逾期不到一周", 7),
    ("我已经逾期了大概三个星期", 21),
    ("几天", 3),
    ("逾期几天了", 3),
    ("逾期好几天了", 3),
    ("逾期几十天了", 30),
    ("逾期3到5天", 5),
]

VERBS_AND_CONTEXTS = [
    ("拖了3天", 3),
    ("拖欠十天了", 10),
    ("晚还了5天", 5),
    ("超期20天", 20),
    ("过期两周", 14),
    ("遲還了5天", 5),
    ("迟还了五天", 5),
    ("延期3天了", 3),
    ("欠了两个月了", 60),
    ("3天没还", 3),
    ("还不上三个月了", 90),
    ("已经10天了", 10),
    ("逾期第十天", 10),
    ("超过还款日5天", 5),
    ("huankuan日过了3天", 3),
    ("yuqi 5 tian", 5),
    ("YUQI 5 TIAN", 5),
    ("逾期5tian", 5),
    ("逾期5 days", 5),
    ("overdue 10 days", 10),
    ("十五天了咋办", 15),
    ("35天了会怎样", 35),
    ("三十五天了还没还", 35),
    ("逾期一百二十天了还没还", 120),
    ("三天前就逾期了", 3),
    ("目前逾期3天", 3),
    ("逾期了,3天了", 3),
    ("他们说逾期3个月就起诉", 90),
]

TRADITIONAL_AND_FULL_WIDTH = [
    ("過期兩週", 14),
    ("逾期兩個月", 60),
    ("過期一個禮拜", 7),
    ("遲還了三週", 21),
    ("已經逾期半個月了", 15),
    ("還有3天到期", -3),
    ("逾期１５天", 15),
    ("逾期４天", 4),
    # 预期 (the input method's first guess for yuqi) before a count, but not a loan's arrival
    ("借的钱预期二十天 会不会打给我妈", 20),
    ("借呗那笔预期十二天 催收说要上门", 12),
    ("网贷预期3天 会上征信吗", 3),
    ("申请的贷款预期3天到账", None),
    ("预期两周内放款吗", None),
    # 廿 (20) and 卅 (30), as Hong Kong and older writers put them
    ("已經遲咗廿日", 20),
    ("逾期廿三天 佢哋日日打嚟", 23),
    ("拖咗卅日未還", 30),
    # Cantonese countdowns: 仲有 (还有), 先 (才), even beside 欠咗
    ("借咗兩千 仲有四日先到期 可唔可以遲啲還", -4),
    ("仲有兩日到期 會唔會打俾屋企人", -2),
]

NOT_YET_DUE = [
    ("今天到期", 0),
    ("今天是还款日", 0),
    ("还款日是今天", 0),
    ("明天才到期", -1),
    ("明天还款日", -1),
    ("到期日是明天", -1),
    ("后天到期", -2),
    ("大后天到期", -3),
    ("还有3天到期", -3),
    ("还有三天才还款", -3),
    ("还有两天就逾期了", -2),
    ("离还款日还有3天", -3),
    ("3天后到期", -3),
    ("差3天到期", -3),
    ("还没逾期", 0),
    ("还没到期", 0),
    ("未逾期", 0),
    ("还没逾期 还有3天到期", -3),
    ("今天到期 逾期会怎样", 0),
    # in English, in any case (a capital once raised KeyError: the offsets table is keyed in lower case)
    ("the loan is due today, what happens if I miss it", 0),
    ("Due Tomorrow and I am short", -1),
    ("my due date is Tomorrow", -1),
    ("it was due yesterday", 1),
    # a count of days overdue beats a due date still ahead, as it beats 还有3天到期
    ("一笔逾期6天了 另一笔明天到期", 6),
    ("6 days overdue on one, the other is due tomorrow", 6),
]

EXCLUSIONS = [
    ("借了8000块", None),
    ("欠了5000元", None),
    ("3万", None),
    ("一天打了六个电话", None),
    ("一天打十几次", None),
    ("一天打三次", None),
    ("下个月第二日再还", None),  # a date, not "today is day N"
    ("我逾期了，他们一天打三次", None),
    ("晚上9点", None),
    ("21:30", None),
    ("13812345678", None),
    ("6月18号", None),
    ("6月18日", None),
    ("2024年5月", None),
    ("分6期", None),
    ("12期", None),
    ("利率24%", None),
    ("年化36%", None),
    ("48小时", None),
    ("72小时", None),
    ("逾期24小时", None),
    ("3次", None),
    ("3条短信", None),
    ("1-3个月缓冲期", None),
    ("能申请1-3个月的延期吗", None),
    ("15天缓冲期", None),
    ("每天", None),
    ("天天打", None),
    ("申请延期一个月", None),
    ("能延期一个月吗", None),
    ("借了3个月", None),
    ("还款期限7天", None),
    ("有一天", None),
    ("前几天逾期了", None),
    ("这两天一直打电话", None),
    ("过两天就还", None),
    ("再等三天", None),
    ("最近三个月", None),
    ("给我3天", None),
    ("宽限几天", None),
    ("分12个月", None),
    ("3天内还清", None),
    ("3天到账", None),
    ("一年前借的", None),
    ("一个月利息多少", None),
    ("三天两头打电话", None),
    ("一天到晚打", None),
    ("逾期几天会上征信", None),
    ("逾期几天?", None),
    ("逾期15年", None),
    ("逾期99999天", None),
    ("", None),
    ("你好", None),
]

MIXED = [
    ("借了5000逾期十天了", 10),
    ("借了3个月，逾期10天", 10),
    ("逾期3天，之前借了3个月", 3),
    ("逾期3天了，一个月前借的", 3),
    ("逾期3天，一天打了六个电话", 3),
    ("逾期3天 5个电话", 3),
    ("借了8000块 拖了两个月了", 60),
    ("还没逾期 但是这两天一直打电话", 0),
    ("逾期三天后会怎样", 3),
    ("逾期3天了，不对，逾期5天了", 5),
    ("三天了 逾期十天了", 10),
]

# Loan terms and countdowns to the due date are not overdue days.
TERMS_AND_COUNTDOWNS = [
    ("借了3个月", None),
    ("贷了一年", None),
    ("分12期", None),
    ("分24期 逾期9天了", 9),
    ("借了3个月 逾期10天", 10),
    ("还款日还有3天", -3),
    ("到期日还剩两天", -2),
    ("账单日还有5天 会催吗", -5),
    ("离我那张信用卡的还款日还有四天", -4),  # the due date named further back
]

# The time since a debt was settled is no overdue duration; the time overdue before settling still is.
SETTLED = [
    ("结清两个月了", None),
    ("都还清三年了 为啥还查得到", None),
    ("还完快半年了 记录还在", None),
    ("已经上岸一年多了", None),
    ("我早就还上了 已还款十多天", None),
    ("逾期了四十天 上个月还清了", 40),
    ("拖了两周 后来结清了", 14),
]

# When a loan falls due (its term) is not a time overdue, unless the overdue verb stands right before it.
TERMS_FALLING_DUE = [
    ("这种口子十天就得还", None),
    ("这笔贷款15天到期", None),
    ("欠的那个一个月就要还款", None),
    ("逾期5天还款会怎样", 5),
    ("三天还没还", 3),
]

# A space between two phrases never makes one compound duration.
PHRASES_APART = [
    ("逾期两个月 一天打好几个电话", 60),
    ("逾期一周 一天打三次", 7),
    ("拖了一年 三个月前开始被催", 365),
]

# Charges per unit of time, and how long something else went on, are not overdue durations.
PER_UNIT_AND_OTHER_SPANS = [
    ("罚息一天几十块", None),
    ("滞纳金一个月多少", None),
    ("逾期后违约金一天收多少", None),
    ("被催收骚扰了两个月", None),
    ("不良记录两年是从什么时候算", None),  # how long a record is kept, and from when
    ("家里人还要住院三个星期", None),
    ("这个月还得熬十几天", None),
    # leave, holidays and a hospital stay: how long the reader is away, not overdue
    ("下个月想请假两周 会不会被扣钱", None),
    ("年假5天怎么休", None),
    ("住院十天 逾期了一周", 7),
]

# A noun then a bare 几 asks how many; a lone 几天 (an answer to "how long?") states a few days.
HOW_MANY = [
    ("冷静期是几天", None),
    ("征信查询几年", None),
    ("几天了", 3),
]

# Mistyped and romanised 逾期; a space after 逾期超过N年 starts a new phrase.
TYPOS_AND_HOLDING_OUT = [
    ("逾其5天了", 5),
    ("yu期两周", 14),
    ("yq 20天", 20),
    ("渝期三天", 3),
    ("迟咗三日还钱 会点", 3),  # Cantonese 咗 = 了: still right after the verb
    ("逾期超过四年 诉讼时效是不是过了", 1460),
    ("两年的诉讼时效", None),
]

# A period imagined after 如果/要是 counts only when nothing else is stated; one imagined as a way out (拖/躲 N 就不用还) is
# none; due yesterday is a day late; Cantonese 过咗期;
# how long the reader has not slept is no overdue count.
IMAGINED_YESTERDAY_AND_SLEEP = [
    ("拖了八个月了 再拖两年是不是就不用还了", 240),
    ("逾期五天了 要是拖到一个月会怎样", 5),
    ("如果逾期两个月会怎样", 60),
    ("欠款躲了一年了", 365),
    ("网贷拖五年 就不用还了吧", None),
    ("花呗昨天到期 没还上", 1),
    ("还款日是前天 还没还", 2),
    ("過咗期十日 點算", 10),
    ("逾期十天了 两天没睡", 10),
    ("一个星期没睡好", None),
]

ALL_CASES = (
    IMAGINED_YESTERDAY_AND_SLEEP
    + EXACT_NUMBERS
    + WEEKS
    + MONTHS_AND_YEARS
    + ORDINALS
    + APPROXIMATIONS
    + VERBS_AND_CONTEXTS
    + TRADITIONAL_AND_FULL_WIDTH
    + NOT_YET_DUE
    + EXCLUSIONS
    + MIXED
    + TERMS_AND_COUNTDOWNS
    + SETTLED
    + TERMS_FALLING_DUE
    + PHRASES_APART
    + PER_UNIT_AND_OTHER_SPANS
    + TYPOS_AND_HOLDING_OUT
    + HOW_MANY
)


@pytest.mark.parametrize(("text", "expected"), ALL_CASES)
def test_parse_days(text: str, expected: int | None) -> None:
    result = parse_days(text)
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert result.days == expected


@pytest.mark.parametrize(
    ("text", "approximate"),
    [
        ("逾期4天", False),
        ("一个月", False),
        ("半年", False),
        ("第十五天", False),
        ("五六天", True),
        ("二十多天", True),
        ("十几天", True),
        ("十来天", True),
        ("差不多两周", True),
        ("快一个月了", True),
        ("一周左右", True),
        ("大半个月", True),
        ("一个多月", True),
        ("几天", True),
        ("明天才到期", False),
        ("还没逾期", False),
    ],
)
def test_approximate_flag(text: str, approximate: bool) -> None:
    result = parse_days(text)
    assert result is not None
    assert result.approximate is approximate


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("逾期4天", "4天"),
        ("借了5000逾期十天了", "十天"),
        ("逾期 15 天", "15 天"),
        ("第十五天", "第十五天"),
        ("差不多两周", "差不多两周"),
        ("一周左右", "一周左右"),
        ("明天才到期", "明天才到期"),
        ("還有3天到期", "3天"),
        ("已經逾期半個月了", "半個月"),
        ("两个月零五天", "两个月零五天"),
    ],
)
def test_span_points_at_phrase(text: str, phrase: str) -> None:
    result = parse_days(text)
    assert result is not None
    start, end = result.span
    assert text[start:end] == phrase


def test_result_type() -> None:
    assert parse_days("逾期4天") == DayCount(days=4, approximate=False, span=(2, 4))


def test_long_garbage_is_read_only_within_the_scanned_prefix() -> None:
    # What bounds the parser's work on any input: it reads only the first MAX_SCAN characters (the time it
    # takes is the benchmark's business, `python -m faq bench`, never a timed assertion here).
    for text in ("十天" * 50_000, "1" * 100_000, "一" * 100_000, "逾期3天" * 20_000, " " * 100_000):
        result = parse_days(text)
        assert result == parse_days(text[:MAX_SCAN])
        assert result is None or result.span[1] <= min(len(text), MAX_SCAN)
    assert parse_days("好" * MAX_SCAN + "逾期3天") is None  # a count past the scanned prefix is never looked for
    assert parse_days("好" * (MAX_SCAN - 10) + "逾期3天") is not None


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.text())
def test_never_raises_and_span_inside_text(text: str) -> None:
    result = parse_days(text)
    if result is not None:
        assert isinstance(result, DayCount)
        start, end = result.span
        assert 0 <= start < end <= len(text)


@given(
    st.text(
        alphabet="逾期拖欠了还没有到今明后天周星期礼拜个月年半多几十来一二两三五六七八九零百0123456789 ,-"
    )
)
def test_never_raises_on_domain_alphabet(text: str) -> None:
    result = parse_days(text)
    if result is not None:
        start, end = result.span
        assert 0 <= start < end <= len(text)


@given(st.integers(min_value=1, max_value=400))
def test_overdue_arabic_days(n: int) -> None:
    result = parse_days(f"逾期{n}天")
    assert result is not None
    assert result.days == n
    assert not result.approximate


@given(st.integers(min_value=1, max_value=400))
def test_overdue_chinese_days(n: int) -> None:
    result = parse_days(f"逾期{cn2an.an2cn(n)}天")
    assert result is not None
    assert result.days == n


@given(st.integers(min_value=1, max_value=400))
def test_overdue_weeks(n: int) -> None:
    for text in (f"逾期{n}周", f"逾期{cn2an.an2cn(n)}周"):
        result = parse_days(text)
        assert result is not None
        assert result.days == 7 * n


@given(st.integers(min_value=0, max_value=10**12))
def test_amounts_hours_rates_instalments_are_not_days(n: int) -> None:
    for text in (f"借了{n}块", f"欠了{n}元", f"{n}小时", f"利率{n}%", f"年化{n}%", f"分{n}期", f"{n}次"):
        assert parse_days(text) is None, text


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=31))
def test_dates_are_not_days(month: int, day: int) -> None:
    for text in (f"{month}月{day}号", f"{month}月{day}日", f"2024年{month}月"):
        assert parse_days(text) is None, text


@pytest.mark.parametrize(
    ("text", "days"),
    [("我明天到期但是钱不够 能不能晚几天还", -1), ("后天到期 晚几天还会怎样", -2), ("逾期几天了", 3)],
)
def test_vague_few_days_gives_way_to_a_due_date(text: str, days: int) -> None:
    found = parse_days(text)
    assert found is not None and found.days == days


@pytest.mark.parametrize("text", ["逾期记录会保留几年", "催收员一个月工资多少", "要等几天才有结果"])
def test_questions_about_durations_and_monthly_amounts_are_not_day_counts(text: str) -> None:
    assert parse_days(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "不良记录要几年才能消掉",  # 几 + a continuation: how many, not how long overdue
        "网贷逾期几年之后利息还会涨吗",
        "欠款的诉讼时效是3年吗",
        "2年诉讼时效从哪天起算",
        "逾期5年以后能自动清除吗",
        "近三年有过两次逾期能办房贷吗",  # the period looked back over
        "近两年征信有逾期记录",
        "驾照过期10天了怎么办",  # 过期 of something that is not a debt
        "优惠券过期一周了",
    ],
)
def test_periods_asked_about_and_other_clocks_are_not_overdue(text: str) -> None:
    assert parse_days(text) is None, parse_days(text)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("拖了几天了", 3),  # 几 stated, then 了
        ("几天没还了", 3),
        ("逾期将近两个月了", 60),  # 近 after an overdue verb: nearly
        ("近两个月没还", 60),
        ("网贷过期两周了", 14),  # 过期 of a loan is overdue
    ],
)
def test_stated_durations_still_count(text: str, days: int) -> None:
    found = parse_days(text)
    assert found is not None and found.days == days, found


_UNITS = {"天": 1, "周": 7, "个星期": 7, "个月": 30, "年": 365}
_numbers = st.integers(min_value=1, max_value=60)
_written = st.sampled_from(["arabic", "chinese"])


def _numeral(n: int, written: str) -> str:
    return str(n) if written == "arabic" else cn2an.an2cn(n)


@given(
    st.sampled_from(["结清", "还清", "还完", "已经结清", "都还清", "早就还完", "全部还清"]),
    st.sampled_from(["", "快", "差不多", "都"]),
    _numbers,
    _written,
    st.sampled_from(list(_UNITS)),
    st.sampled_from(["", "了", "了 征信还有记录吗", "了还在催"]),
)
def test_settled_for_a_while_is_never_overdue(
    settled: str, about: str, n: int, written: str, unit: str, tail: str
) -> None:
    text = f"{settled}{about}{_numeral(n, written)}{unit}{tail}"
    assert parse_days(text) is None, text


@given(
    st.sampled_from(["还款日还有", "离还款日还有", "距离到期日还有", "到期日还剩", "还有"]),
    st.integers(min_value=1, max_value=30),
    _written,
    st.sampled_from(["", "到期", "就到期了", "才还款"]),
)
def test_days_left_before_the_due_date_are_never_overdue(
    prefix: str, n: int, written: str, tail: str
) -> None:
    text = f"{prefix}{_numeral(n, written)}天{tail}"
    found = parse_days(text)
    assert found is None or found.days <= 0, (text, found)
    if tail or prefix != "还有":  # a countdown: the days left, as a negative count
        assert found is not None and found.days == -n, (text, found)


@given(
    st.sampled_from(["", "欠了几个口子 ", "这个贷款", "那笔钱"]),
    _numbers,
    _written,
    st.sampled_from(list(_UNITS)),
    st.sampled_from(["就要还", "就得还", "到期", "就到期"]),
)
def test_when_a_loan_falls_due_is_no_overdue_count(
    lead: str, n: int, written: str, unit: str, due: str
) -> None:
    text = f"{lead}{_numeral(n, written)}{unit}{due}"
    assert parse_days(text) is None, text


@given(
    st.integers(min_value=1, max_value=11),
    st.sampled_from(["一天打", "一周催", "一天发"]),
    st.integers(min_value=2, max_value=20),
)
def test_a_space_keeps_a_duration_apart_from_a_frequency(months: int, every: str, times: int) -> None:
    text = f"逾期{cn2an.an2cn(months)}个月 {every}{times}次"
    found = parse_days(text)
    assert found is not None and found.days == 30 * months, (text, found)


@pytest.mark.parametrize("typo", ["逾其", "yu期", "yq "])
@pytest.mark.parametrize(
    "message", ["花呗{}两周了 会不会上门", "{}20天 会不会打给我家里人", "借了三千 {}一个月了 会被起诉吗"]
)
def test_a_mistyped_overdue_verb_reads_like_the_right_one(engine: Engine, typo: str, message: str) -> None:
    """The day count is read through the typo, and the question beside it is matched as if 逾期 were
    spelled right (the typo goes away with the count, like 逾期 does)."""
    right, typed = engine.reply(message.format("逾期")), engine.reply(message.format(typo))
    assert right.days is not None
    assert (typed.days, typed.intent) == (right.days, right.intent), message.format(typo)


@given(
    st.sampled_from(["逾期", "拖了", "欠了"]),
    st.integers(min_value=1, max_value=10),  # years beyond ten are not read (a date, a typo)
    _written,
    st.sampled_from(list(_UNITS)),
    st.sampled_from([" 后来还清了", " 上周结清了", "才还完 ", " 已经全部还上了"]),
)
def test_the_time_overdue_before_settling_still_counts(
    verb: str, n: int, written: str, unit: str, settled: str
) -> None:
    text = f"{verb}{_numeral(n, written)}{unit}{settled}"
    found = parse_days(text)
    assert found is not None and found.days == n * _UNITS[unit], (text, found)


def test_an_approximate_count_is_shown_in_the_readers_words(engine: Engine) -> None:
    reply = engine.reply("逾期一个多月了 会怎样")
    assert reply.days == 40 and "逾期一个多月" in reply.text and "逾期40天" not in reply.text
    assert "逾期15天" in engine.reply("逾期十五天 会怎样").text  # an exact count stays a number
    days = stated(40, "一个多月")
    assert isinstance(days, StatedDays) and days == 40 and as_said(days) == "一个多月" and as_said(15) == "15天"
    assert json.dumps({"days": days}) == '{"days": 40}' and pickle.loads(pickle.dumps(days)).said == "一个多月"
    assert stated(15, None) == 15 and type(stated(15, None)) is int


def test_an_imagined_way_out_is_no_count_and_the_question_keeps_it(engine: Engine) -> None:
    """"拖五年 就不用还了吧" asks about the time limit: no overdue count (the reader is not five years late), and
    the question is matched with the five years in it. A period after 如果 is marked and still reported."""
    assert parse_days("网贷拖五年 就不用还了吧") is None
    reply = engine.reply("网贷拖五年 就不用还了吧")
    assert reply.days is None and reply.intent == "statute_of_limitations"
    found = parse_days("如果逾期五年会怎样")
    assert found is not None and found.days == 1825 and found.hypothetical
    assert not parse_days("逾期五年了").hypothetical  # type: ignore[union-attr]


def test_a_distress_cue_never_takes_the_day_count_with_it(engine: Engine) -> None:
    """"N天...睡不" is a distress cue: the day count inside it stays the reader's overdue count."""
    reply = engine.reply("欠了好几个平台 逾期25天 天天睡不着 怎么办")
    assert reply.distress and reply.days == 25


def test_a_rate_reply_keeps_the_day_count(engine: Engine) -> None:
    reply = engine.reply("借了8000 逾期12天 这个利息合法吗")
    assert reply.kind.value == "apr" and reply.days == 12


def test_not_paying_between_the_period_and_the_hope_still_imagines_it() -> None:
    """"拖两年不还 是不是就没事了": the reader imagines what not paying for that long brings: no count."""
    for text in ("信用卡拖两年不还 是不是就没事了", "逾期三年不理 就自动没了吧"):
        assert parse_days(text) is None, text
    assert not parse_days("逾期三年没还 会怎样").hypothetical  # type: ignore[union-attr]


def test_a_period_of_years_stays_in_what_is_asked(engine: Engine) -> None:
    """A period of two years or more is what such a message asks about (the time limit), so the matcher
    reads it; the count is still reported, and another question keeps its own topic."""
    reply = engine.reply("早年借的网贷 已经五年没人找过我 现在还得还吗")
    assert reply.intent == "statute_of_limitations" and reply.days == 1825
    assert engine.reply("逾期五年了 会坐牢吗").intent == "jail"


def test_a_named_threshold_is_no_state() -> None:
    """"说超过60天就上门 我现在才第40天": past the threshold something happens; the reader stands at 40."""
    found = parse_days("催收说超过60天就上门 我现在才第40天")
    assert found is not None and found.days == 40 and not found.hypothetical
    assert parse_days("逾期满两个月以后就会被起诉吗") is None  # a rule, even alone
    assert _days("听讲要超过四十天才会报征信 我而家系第十二日") == 12
    assert not parse_days("已经逾期超过50天了").hypothetical  # type: ignore[union-attr]


def _days(text: str) -> int | None:
    found = parse_days(text)
    return found.days if found is not None else None


# Durations of something other than the debt being overdue: each refused, each beside a real overdue count of a
# similar shape that is still read.
OTHER_DURATIONS = [
    # out of work, ill, earning or spending per period
    ("下岗快半年了", None),
    ("下岗四个月了 网贷也逾期两个月了", 60),
    ("被裁员快一个月了 找不到活", None),
    ("没工作半年了 信用卡逾期十天", 10),
    ("生病两个月了 一直在家躺着", None),
    ("病了一个月 花呗拖了二十天", 20),
    ("住了半个月的院", None),
    ("四个月没找到工作 借呗逾期一周了", 7),
    ("一个月就挣三千五 怎么还得起", None),
    ("一年赚不到六万 网贷欠了二十万", None),
    ("一个月能拿多少底薪", None),
    ("养老金一个月才一千八 拿什么还", None),  # how much, after 才 / 只有 / 多
    ("低保一个月只有九百块", None),
    ("物业费一个月多两百 不想交", None),
    ("逾期一个月才两千块的债 会起诉吗", 30),  # the overdue verb right before it keeps the count
    ("逾期两个月拿什么还", 60),
    ("逾期两到四个月 没有工作 在家待着", 120),  # the count, then a separate phrase about work
    ("逾期三个月没工作", 90),
    ("受伤在家休息了一个月", None),
    # how long something else took: a review, a reply, a refund, a complaint
    ("审核了四天还没出结果", None),
    ("客服五天没回复我", None),
    ("逾期五天没回复催收 会怎样", 5),
    ("在银保监投诉了十天都没人理", None),
    ("退款二十天了还没到账", None),
    ("资料提交一周了没有消息", None),
    ("退款等了半个月 另外一个平台逾期八天了", 8),
    # how long the collectors went on
    ("催收骂了我二十多天", None),
    ("天天恐吓我 已经两周了", 14),  # the reader's own count after a space, not the harassment's length
    ("被短信轰炸了一个星期", None),
    ("爆我通讯录半个月了", None),
    ("逾期一个月 骂了我半个月", 30),
    # a rule the reader heard of, not their own count
    ("听说逾期超过60天就会被起诉", None),
    ("据说拖四个月以上才会上门", None),
    ("网上说逾期满一年就会坐牢 是真的吗", None),
    ("聽講遲還兩個月就會俾人告", None),
    ("据说逾期满两个月就会上门 我现在逾期四十天", 40),
    ("听说 我这个已经逾期两个月了", 60),  # the reader speaks of themselves
    ("听说欠钱不还会坐牢 真的吗 逾期第二十天", 20),  # the hearsay is another phrase
    # the reader is the lender
    ("表弟欠我钱三年了", None),
    ("室友借我的钱半年多没还", None),
    ("同事找我借的一万块 四个月了", None),
    ("我欠同事钱三个月了", 90),
    ("借给朋友两万 结果我自己网贷逾期十五天", 15),
]


@pytest.mark.parametrize(("text", "expected"), OTHER_DURATIONS)
def test_other_durations_are_no_overdue_count(text: str, expected: int | None) -> None:
    assert _days(text) == expected


# 还没逾期 is documented as 0 (not yet overdue, at most due today); a record of never having been late, a question
# whether something counts, and "some of them are not due yet" state no count.
NOT_YET_OVERDUE = [
    ("还没逾期", 0),
    ("我没逾期 为什么天天打电话", 0),
    ("还没到期 能提前还吗", 0),
    ("从没逾期过", None),
    ("从来没有逾期过 能办房贷吗", None),
    ("以前没逾期过 这次晚了三天", 3),
    ("晚上十点才还 算不算逾期", None),
    ("几个平台 有的还没到期", None),
]


@pytest.mark.parametrize(("text", "expected"), NOT_YET_OVERDUE)
def test_not_yet_overdue_and_never_overdue(text: str, expected: int | None) -> None:
    assert _days(text) == expected


# A lender's name or what comes next never takes the count away.
NEIGHBOURS = [
    ("逾期6天 分期乐", 6),
    ("逾期第九天 分期乐 会打给家人吗", 9),
    ("头一回逾期 今天第4天 接下来会怎样", 4),
    ("一天接二十个电话", None),
    ("晚缴三个礼拜 会上联征吗", 21),
    ("会不会把我欠多少都说出来 拖了5天", 5),  # 都说出来 is no hearsay
    ("忘记还了 第二天早上才还上", None),  # the next morning, not day 2
    ("今天第三天了", 3),
    ("网贷鱼期五十天", 50),
]


@pytest.mark.parametrize(("text", "expected"), NEIGHBOURS)
def test_what_stands_beside_the_count(text: str, expected: int | None) -> None:
    assert _days(text) == expected


# Issue 9: forms of the due date, and periods that are not the reader's overdue time. Invented wording.
DUE_DATE_FORMS = [
    ("后天就是还款日了 手头还差一千", -2),
    ("大后天才到还款日 现在能先协商吗", -3),
    ("今日系最后还款日 今晚先还一半得唔得", 0),
    ("缴款日是明天 薪水还没进来", -1),
    ("卡费缴款日是前天 还没缴", 2),
    ("due date是前天 现在去还来得及吗", 2),
    ("今天8号到期 还差两千", 0),
    ("昨天没还 今天一早就接到电话", 1),
    ("琴日忘咗还卡数 会唔会扣分", 1),
    ("到期第五天了 短信越来越凶", 5),
    ("超了四天 会上征信吗", 4),
    ("于期了十一天 怎么跟家里开口", 11),
    ("余期两周了 还有救吗", 14),
]

BY_THE_CALENDAR = [
    ("还款日是10号 今天14号了", 4),
    ("还款日是25号 今天22号 下周肯定还不上", -3),
    ("6月5号的还款 今天7月5号了", 30),
    ("9.2号到期的 今天都9号了", 7),
    ("还款日是31号 今天2月30号", None),  # no such date: no count from it
    ("还款日是2月29号 今天3月4号", 4),  # a leap day is a date: counted in a leap year
    ("还款日是2月27号 今天3月1号", 2),  # no year given: counted in a common year
]

NOT_THE_READERS_OVERDUE_TIME = [
    # a way out imagined, a rule, a list of stages, a point of the timeline
    ("听朋友讲拖够四年就唔使还", None),
    ("欠款熬过两年 是不是就没了", None),
    ("逾期三个月了 再熬一年行不行", 90),
    ("平台说过了15天就转给外包", None),
    ("有人说逾期满60天才会爆通讯录 我现在第20天", 20),
    ("逾期15天 45天 80天 分别会怎样", None),
    ("逾期0到60天一般怎么催", None),
    ("逾期从第三天起会怎么样", None),
    # being late asked about: marked, and a stated due date wins
    ("明天才到期 晚两天还会有事吗", -1),
    ("迟一天缴会不会罚钱", 1),
    ("上个月晚了1天才还上 这也算逾期？", 1),
    # a charge per period, a short loan's term, an amount per period
    ("逾期一天收三十块 合理吗", None),
    ("晚一天要罚多少", None),
    ("逾期一天就得多付八十 正常吗", None),
    ("迟还一天要加一百五", None),
    ("14天借3000 到手2500", None),
    ("一年要交两百年费", None),
    ("一个月能还三千那种活 哪里找", None),
    ("一个月多少钱的工资", None),
    ("一个月底薪两千八", None),
    ("逾期第6天 工资月底才发", 6),
    # the phone off, not answering, other spans of life, a holiday
    ("手机停机半个月了 会被起诉吗", None),
    ("逾期40天 失联两周了", 40),
    ("欠了一万 已经五天没接电话了", None),
    ("逾期五天没接电话", 5),
    ("毕业两年 欠了一堆网贷", None),
    ("以贷养贷快三年 现在逾期三天", 3),
    ("五天长假天天被打", None),
    # someone else's wait, a count of calls in a day, a threat of days
    ("好几周也没人催 是不是忘了", None),
    ("欠了三千 他们一天换好多号码打过来", None),
    ("逾期三天 一天被陌生号码打了十次", 3),
    ("拖欠了 说两天内上门", None),
    # the reader is the lender, further back in the sentence
    ("借给表哥的两万 拖了一年多不还", None),
    ("老板欠我半年工资 拖了八个月了", None),
    ("借给朋友的钱拖了一年 我自己网贷也逾期两个月了", 60),
    # something else falls due
    ("租约还有一个月到期", None),
]


@pytest.mark.parametrize(("text", "expected"), DUE_DATE_FORMS + BY_THE_CALENDAR + NOT_THE_READERS_OVERDUE_TIME)
def test_issue9_forms(text: str, expected: int | None) -> None:
    assert _days(text) == expected, parse_days(text)


def test_being_late_asked_about_gives_way_to_a_due_date() -> None:
    """"晚两天还会怎样" asks about being late: reported when nothing else is, a due date stated wins, and a late
    that happened (晚了) is a count like any other."""
    assert _days("晚两天还会怎样") == 2
    assert _days("今天就是还款日 晚两天还会怎样") == 0
    assert _days("今天就是还款日 已经晚了两天") == 2


def test_a_count_found_only_without_the_distress_words_is_none(engine: Engine) -> None:
    """The engine reads a message without its distress words; a period that only then stands alone belonged to
    the distress ("整宿睡不着半个月了" is how long the reader has not slept)."""
    assert engine.reply("心里好慌 已经失眠十来天了 有人能聊聊吗").days is None
    assert engine.reply("逾期25天 天天失眠 怎么办").days == 25


# ------------------------------------------------------------------------------ read22: issue 9's families

# Durations that are not the reader's overdue time, and overdue counts written in ways not read before.
READ22_NOT_OVERDUE = [
    # time since a breakup, a wedding; juggling loans in initials
    ("和男朋友分手快两年了 联系人一栏还是他", None),
    ("结婚五年了 老婆不知道我有网贷", None),
    ("ydyd快两年了 现在一个都还不上", None),
    # the time limit in English, a half of the calendar year, the stages from the first day
    ("statute of limitations 两年 对不对", None),
    ("上半年借的 会不会影响考编", None),
    ("从第1天到第30天分别会怎样", None),
    # a threshold with what it applies to before 就; hearsay from a friend or colleague
    ("是不是超过两年法院就不受理了", None),
    ("同事说逾期不到一个月不会上门 真的假的", None),
    # an app that no longer opens, wages owed to the reader, wages not paid
    ("那个平台已经三周登不上了 钱还给谁", None),
    ("工资被公司拖欠了四个月 我该找谁", None),
    ("工资被拖了两个月 花呗也快还不上了", None),
    ("工资拖着没发 分期乐的贷款拖了十天了", 10),  # the reader's own loan named after the wages
    ("银行定期两年的利率是多少", None),
    ("养老保险交了八年 能取出来吗", None),
    ("找了两个月工作都没回音", None),
    ("单位半年没发工资了 房贷都快还不上", None),
    # money per period, a short loan's term, the term of an instalment
    ("打零工一个月三千出头 网贷每个月要还两千", None),
    ("14天的借款 到手只有七成", None),
    ("逾期第六天 那个口子10天一期", 6),
    # a count of hours, a count in English before a rule
    ("the app says I'm 12 days late and they added a fee", 12),
    # a loan's term in English is no count; a count beside it is
    ("they lent me 3000 on a 14-day term", None),
    ("a 9 months loan term, is that legal", None),
    ("3 weeks overdue on a 6 months term loan", 21),
]
READ22_OVERDUE_FORMS = [
    ("一个来月没还了 家里会知道吗", 30),
    ("俩月没还上 咋整", 60),
    ("拖了仨星期了", 21),
    ("信用卡晚缴过两个月 现在能办房贷吗", 60),
    ("那笔钱拖了三年 中间从没还过", 1095),
    ("逾期第五十天 之前还好 这周开始打我同事", 50),
    ("逾期七年了 好几年都没人找过我", 2555),
    ("I've been 9 days late on 借呗, after 9 days late do they call family?", 9),
    ("a 15-day late payment on my card, will it hurt my credit?", 15),
    # the due date's own day; yesterday in Cantonese; English due days; a deadline named
    ("还款日当天下午才还上 算逾期吗", 0),
    ("寻日到期 今日先还得唔得", 1),
    ("due date is tomorrow, can I get more time", -1),
    ("today is my due date on 花呗 and I only have half", 0),
    ("截止日是昨天 我今天补缴了", 1),
    # both dates named, the later one the day paid; the count beats a countdown of another loan
    ("缴款日是8号 我10号才交上 有记录吗", 2),
    ("还款日是20号 今天22号 到期今天才发现", 2),
    ("甲平台逾期9天 乙平台还有两天到期 先顾哪头", 9),
    # the money will be late: asked about, a due date stated wins
    ("后天就是还款日 工资得晚两天才到", -2),
]


@pytest.mark.parametrize(("text", "expected"), READ22_NOT_OVERDUE + READ22_OVERDUE_FORMS)
def test_read22_families(text: str, expected: int | None) -> None:
    assert _days(text) == expected, parse_days(text)


_MONEY = st.sampled_from(["两千", "三千出头", "五千多", "2000", "4500块", "一万"])


@given(
    st.sampled_from(["", "退休金", "送外卖 ", "在厂里上班 ", "我老公 "]),
    st.sampled_from(["一个月", "一天", "一年", "一周"]),
    _MONEY,
)
def test_money_per_period_is_no_overdue_count(lead: str, period: str, money: str) -> None:
    text = f"{lead}{period}{money}"
    assert parse_days(text) is None, text


@given(
    st.sampled_from(["分手", "离婚", "结婚", "毕业"]),
    st.sampled_from(["", "快", "都", "差不多"]),
    _numbers,
    _written,
    st.sampled_from(list(_UNITS)),
    st.sampled_from(["", "了", "了 网贷的事她不知道"]),
)
def test_time_since_a_life_event_is_no_overdue_count(
    event: str, about: str, n: int, written: str, unit: str, tail: str
) -> None:
    text = f"{event}{about}{_numeral(n, written)}{unit}{tail}"
    assert parse_days(text) is None, text


@given(
    st.integers(min_value=1, max_value=90),
    st.integers(min_value=1, max_value=30),
    st.sampled_from(["还有{}天到期", "还有{}天就到还款日", "{}天后到期"]),
)
def test_an_overdue_count_beats_another_loans_countdown(overdue: int, left: int, countdown: str) -> None:
    for text in (f"借呗逾期{overdue}天 白条{countdown.format(left)}", f"白条{countdown.format(left)} 借呗逾期{overdue}天"):
        found = parse_days(text)
        assert found is not None and found.days == overdue, (text, found)


@given(
    st.sampled_from(["俩", "仨"]),
    st.sampled_from(["个月", "月", "天", "星期", "周"]),
    st.sampled_from(["逾期", "拖了", ""]),
    st.sampled_from(["没还了", "了 怎么办"]),
)
def test_colloquial_two_and_three_are_counts(numeral: str, unit: str, verb: str, tail: str) -> None:
    n = {"俩": 2, "仨": 3}[numeral]
    per = {"个月": 30, "月": 30, "天": 1, "星期": 7, "周": 7}[unit]
    text = f"{verb}{numeral}{unit}{tail}"
    found = parse_days(text)
    assert found is not None and found.days == n * per, (text, found)


@given(st.integers(min_value=1, max_value=27), st.integers(min_value=1, max_value=3), st.sampled_from(["我", ""]))
def test_the_day_paid_counts_like_todays_date(due: int, late: int, who: str) -> None:
    text = f"到期日是{due}号 {who}{due + late}号才还上 这样算晚吗"
    found = parse_days(text)
    assert found is not None and found.days == late, (text, found)


@given(st.integers(min_value=2, max_value=120), st.sampled_from(["late", "overdue", "past due"]))
def test_english_counts_after_a_rule_word_or_with_a_hyphen(n: int, late: str) -> None:
    for text in (f"what happens after {n} days {late}", f"a {n}-day {late} payment"):
        found = parse_days(text)
        assert found is not None and found.days == n, (text, found)
