"""Find how long a borrower is overdue in a chat message.

``parse_days(text)`` returns a :class:`DayCount` (overdue days, whether the figure is approximate, and
the character span of the phrase it came from) or ``None`` when the message states no overdue duration.

The function is pure, never raises and does no per-call heavy work: the text is folded with one
``str.translate`` (full-width ASCII -> ASCII, the few Traditional characters the patterns use ->
Simplified; every mapping is one character to one character, so spans stay valid for the caller's
text), one precompiled regex finds every candidate, and small anchored regexes judge each
candidate's left and right context inside its clause. Chinese numerals are converted with ``cn2an``
behind an ``lru_cache``.

Rules
-----
Quantities
    Arabic (``4``, ``1.5``) or Chinese (``十二``, ``一百二十``, ``两``, ``俩`` = 2, ``仨`` = 3)
    numerals followed by a unit: 天/日/tian/day = 1, 周/星期/礼拜/week = 7, 个月/month = 30,
    年/year = 365 (at most ten years; ``2024年`` is a date). Ordinals ``第X天`` count as X days.
    Half units: ``半个月`` 15, ``大半个月`` 20, ``小半个月`` 10, ``半年`` 180, ``大半年`` 240,
    ``一个半月`` 45, ``一年半`` 545. Compounds ``两个月零五天`` add up (65).
Approximations (``approximate=True``)
    ``五六天`` -> 6 and ``三五天`` -> 5 (the upper bound), ``X多``/``X余`` with X a multiple of ten
    -> X + 5 (``一百多`` -> 150), ``十几`` -> 15, ``几`` -> 3, ``几十`` -> 30, ``十来`` -> 10,
    ``个把月`` -> 30, ``一个多月`` -> 40 (months: +10; weeks: +3; years: +35, so ``一年多`` -> 400),
    prefixes 快/将近/差不多/大概/不到 ... and suffixes 左右/上下/出头, ranges ``3-5天`` -> 5.
Not yet overdue (never approximate)
    ``今天到期``/``今天是还款日``/``今天就是缴款日``/``今日系最后还款日`` -> 0, ``明天(才)到期``/``明天就到还款日`` -> -1,
    ``后天到期`` -> -2, ``昨天没还``/``琴日忘咗还`` -> 1, ``due date是昨天``/``due yesterday`` -> 1, ``due tomorrow`` -> -1 (a date still ahead is beaten by a count of days
    overdue, like a countdown); a due date and today's date both
    named (``还款日是12号 今天15号`` -> 3, ``6月5号的还款 今天7月5号`` -> 30, ``还款日20号 今天18号`` -> -2);
    ``大后天`` -> -3; ``昨天到期``/``还款日是昨天`` -> 1, ``前天`` -> 2, ``大前天`` -> 3; ``还有3天(才)到期/还款``, ``3天后到期``, ``(离)还款日还有3天``, Cantonese
    ``仲有3日先到期`` -> -3; a bare
    ``还没逾期``/``还没到期``/``未逾期``/``没逾期`` -> 0. Time left with no due date named (``还有2天``, ``还剩一周``)
    is no count at all: never a positive one. Neither is a record of never having been late (``从没逾期过``,
    ``从来没有逾期过``), a question (``算不算逾期``) or a word about some of the debts (``有的还没到期``).
Which quantities are overdue durations
    A quantity is *attached* (strong) when the nearest marker to its left in the same clause is an
    overdue verb (逾期 and its typos 逾其/yu期/yq, 拖了, 拖欠, 欠, 超期, 超过, 过期, 晚还, 迟还, 迟缴 (Taiwanese), 延期了,
    没还, 还不上, 已经, 过了, yuqi, overdue ...; Cantonese 咗 after it is 了) or when it is followed by
    没还/还没还/还不上/逾期.  Otherwise it is
    *bare* and still counts (in this bot a bare duration means overdue days: ``十五天了咋办``)
    unless its context says it is something else:

    * a loan term, a request or a waiting time: nearest marker to the left is 借/贷款/期限/分期/
      申请/协商/宽限/缓冲/提前/给我/等/打了/每/想 ... (``借了3个月``, ``申请延期一个月``);
    * time since the debt was settled: nearest marker 结清/还清/还完/还上了/已还/上岸 (``结清一个月了``,
      ``还完半年了``; ``逾期两个月 后来还清了`` keeps its 60);
    * a charge per unit of time or how long something else went on or is still to go: nearest marker
      违约金/罚息/滞纳金/利息/骚扰/记录/还要/还得 (``违约金一天要多少``, ``被骚扰了几个月``, ``不良记录5年``,
      ``还要住院两个星期``); leave and holidays: 请假/休假/特休/年假/病假/放假/住院 (``请年假10天``);
      being out of work or ill: 失业/待业/被裁/没工作/离职/生病/病了 (``下岗快半年了``); something else
      taking its time: 审核/退款/投诉/提交/回复 (``审核了五天``); the collectors' abuse: 骂/恐吓/威胁/轰炸/爆
      (``骂了我大半个月``). ``下岗四个月了 网贷也逾期两个月了`` keeps its 60;
    * the reader is the lender: after 欠我/借我的/找我借/借给 ... with no overdue verb after it, even before
      没还 (``表哥欠我钱三年多了``, ``朋友借我的钱一年多没还``);
    * a rule the reader heard of: after 听说/据说/网上说/有人说 ... in the same phrase, with no word of the
      reader's own (我/现在/已经) between (``据说逾期满两个月就会上门``; ``听说 我已经逾期三个月了`` is 90);
    * an amount per period or another wait, unless an overdue verb stands right before it: followed by
      挣/赚/拿/刷/花 ... (``一个月才挣三千出头``) or by 没回复/没消息/没到账/没人理 ... (``客服三天没回复``);
    * when the loan falls due, unless the overdue verb stands right before it: followed by 就要还/得还/
      到期/还款 (``一周就要还``, ``7天到期``; ``逾期5天还款会怎样`` keeps its 5);
    * deictic or future phrases right before it: 这两天, 前几天, 过两天, 再等三天, 每3天, 有一天,
      最近三个月, 给我3天, 宽限几天, 分12个月;
    * followed by 缓冲/宽限/延期/免息/期限/分期 (``15天缓冲期``, ``1-3个月的延期``);
    * frequencies: ``一天打了六个电话``, ``一周三次`` (unless directly after an overdue verb);
    * bare only: followed by 内/以内/后/到账/利息/利率 (``3天内还清``, ``3天后还``);
    * ``几天`` followed by a question (``逾期几天会上征信``) or by anything but 了/没还 (``几年消除``,
      ``逾期几年利息怎么算``: "how many" asks about a period), a bare ``一天`` not followed by 了, a bare
      ``几`` after a noun (``诉讼时效几年``, ``冷静期是几天``; a lone ``几天``/``几天了`` still states 3);
    * the length of something else: followed by 诉讼时效/时效/有效期/从什么时候算 or by 消除/清除/恢复/作废 ...
      (``3年诉讼时效``, ``5年后自动清除``), after 时效/保留/保存 (``诉讼时效是3年``); after a space
      these start a new phrase when the overdue verb is right before the quantity (``逾期超过三年 时效过了``);
    * ``近五年`` at the head of a clause: the period looked back over (``近三年有过逾期``), unless an
      overdue verb precedes it or 没还 follows (``逾期近两个月``, ``近两个月没还``);
    * 过期 of something that is not a debt (``身份证过期3天了``, ``优惠券过期一周``);
    * dates and clock times: ``6月18号``, ``6月18日``, ``2024年5月``, ``21:30``; bare ``X月`` and
      ``X日`` only count directly after an overdue verb (``拖了两月``, ``逾期3日``).

    Amounts (``8000块``, ``3万``), counts (``3次``, ``3条短信``), hours (``48小时``), percentages,
    instalments (``分6期``, ``12期``) and phone numbers never match a day/week/month/year unit.
    Compounds join only directly or through 零/又/加: ``逾期一个月 一天打十几次`` is 30, not 31.
    * a way out or a rule, never a count: 躲/再拖/拖到/拖够/熬过/挺过/再熬 N, N followed by 就不用还/就没事/就没了/唔使还,
      a threshold (超过/满/达到 N ... 就/才, 过了/到了 N 就: ``说逾期超过90天就起诉 我现在第85天`` is 85), a list of
      stages (``30天、60天、90天``, ``1到90天``), a point of the timeline (``从第一天开始``);
    * a charge per period late (``逾期一天收两百``, ``晚一天罚多少``), a short loan's term (``7天借1500``), an amount
      per period (``一年要交``, ``一个月能还``, ``一个月多少``, ``一个月底薪``);
    * the phone off or calls unanswered (``关机一个月``, ``失联半个月``, ``已经四天不接了``), time since graduating,
      at work, sleepless, juggling loans (``拆东墙补西墙大半年``), a holiday (``七天假``), someone not chasing
      (``好几个月没人催``), calls in a day (``一天换二十个号打过来``), a threat within days (``三天内上门``);
    * time since a breakup or a wedding (分手半年了), loans juggled (ydyd), the time limit in English (statute of
      limitations 是三年), 上半年/下半年, an app that no longer opens (那个app半年前就打不开了), wages owed to the reader
      (工钱被老板欠着两个月) or not paid (厂里仨月没开工资), money per period (一个月挣三千来块), a term per instalment
      (7天一期, 一周期的) or a short loan (7天的借款), the stages from day one (从第1天到第30天), hearsay from a
      friend or colleague (同事讲逾期没到60天...), a threshold with its subject before 就 (满五年征信就清了);
    * the reader is the lender further back in the sentence (``借给表姐的那笔钱 她拖了大半年也不还``), unless the words
      after it speak of the reader or the reader's own loans; something else falls due (``租约还有3个月到期``).
Also read
    ``一个来月`` (about a month, 30), ``俩月``/``仨月`` (no month of the calendar), ``迟缴过三个月`` (过 after an overdue
    verb), ``还款日当天`` -> 0, Cantonese ``寻日`` (yesterday), ``today``/``tomorrow``/``yesterday`` as due days,
    ``截止日是昨天 我今天补缴了``, ``a 7-day late payment``, ``after 25 days late``, and the day paid beside the due date
    (``到期日是20号 我21号才还的`` -> 1).
Choosing
    A count of days overdue beats a countdown to a due date (``A贷逾期9天 B贷还有两天到期`` is 9).
    Attached quantities and explicit due-date phrases beat a bare ``还没逾期``, which beats bare
    quantities; among equals the last one wins. A period the reader imagines after 如果/要是/万一/假如/到时候
    counts as bare and says so (``hypothetical``): it is the count only when nothing else is stated
    (``如果逾期三个月会怎样`` is 90). Being late asked about (``晚一天算逾期吗``, ``迟两日还会点``: 晚/迟 with no 了)
    counts as bare too, unmarked (``今天是还款日 晚一天还算逾期吗`` is 0). Only the first ``MAX_SCAN`` characters are
    searched (a Telegram message holds at most 4096), which bounds the time spent on garbage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final, NamedTuple

from faq import regexes

__all__ = ["MAX_DAYS", "MAX_SCAN", "OVERDUE_TYPOS", "DayCount", "StatedDays", "as_said", "parse_days", "stated"]


class StatedDays(int):
    """An approximate day count that remembers how the reader said it ("一个多月" is 40 days for the stage
    tables, but a heading must not tell the reader "逾期40天"). An ``int`` everywhere else."""

    said: str

    def __new__(cls, days: int, said: str) -> StatedDays:
        value = super().__new__(cls, days)
        value.said = said
        return value

    def __reduce__(self) -> tuple[type[StatedDays], tuple[int, str]]:
        return (StatedDays, (int(self), self.said))


def stated(days: int, said: str | None) -> int:
    """``days``, carrying ``said`` (the reader's own words) when there are any."""
    return StatedDays(days, said) if said else days


def as_said(days: int) -> str:
    """How a day count is shown: the reader's words for an approximate one ("一个多月"), else "N天"."""
    said = getattr(days, "said", None)
    return said if said else f"{days}天"


@dataclass(frozen=True, slots=True)
class DayCount:
    """An overdue duration found in a message."""

    days: int  # overdue days; 0 = due today; negative = not yet due (明天才到期 -> -1)
    approximate: bool  # 二十多天, 五六天, 差不多两周, 大半个月 ...
    span: tuple[int, int]  # character span of the matched phrase in the input
    #: A period the reader imagines, not one they are in: "躲三年是不是就不用还了", "如果逾期三个月会怎样".
    hypothetical: bool = False


MAX_DAYS: Final = 36_500
MAX_SCAN: Final = 5_000  # characters searched; a Telegram message holds at most 4096
_MAX_YEARS: Final = 10
_WINDOW: Final = 12  # characters of context looked at on each side of a quantity

_STRONG: Final = 4  # attached to an overdue verb, or an explicit due-date phrase
#: Days left until a due date (还有五天到期): beaten by a count of days overdue, which is what the stage tables need
#: ("A贷逾期9天 B贷还有两天到期" is 9).
_COUNTDOWN: Final = 3
_STATUS: Final = 2  # 还没逾期 / 还没到期 without a number
_BARE: Final = 1  # a duration with no verb around it

# --------------------------------------------------------------------------------------------------
# Character folding (1:1, so spans computed on the folded text are valid for the input)
# --------------------------------------------------------------------------------------------------

_TRADITIONAL: Final = (
    "過遲還週個兩禮幾來後經沒號萬塊時點緩衝寬嗎離約貸帳賬費電話條將當這麼錢請協辦內頭連續為現從應該"
    "計餘給發會間進鐘筆項問題說務倆準備審處並裡裏滿額剩結違罰滯納騷擾壹貳參叁肆伍陸柒捌玖拾佰仟〇繳"
    "聽講據網傳業職辭罵嚇脅轟舉報饋賺領銷覆係關機聯畢"
)
_SIMPLIFIED: Final = (
    "过迟还周个两礼几来后经没号万块时点缓冲宽吗离约贷账账费电话条将当这么钱请协办内头连续为现从应该"
    "计余给发会间进钟笔项问题说务俩准备审处并里里满额剩结违罚滞纳骚扰一二三三四五六七八九十百千〇缴"
    "听讲据网传业职辞骂吓胁轰举报馈赚领销复系关机联毕"
)


def _build_fold_table() -> dict[int, str]:
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
    table[0x3000] = " "  # ideographic space
    for trad, simp in zip(_TRADITIONAL, _SIMPLIFIED, strict=True):
        if trad != simp:
            table[ord(trad)] = simp
    return table


_FOLD: Final = _build_fold_table()

# --------------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------------

_CN: Final = "零〇一二两俩仨三四五六七八九十百千几廿卅"  # 廿 20, 卅 30 (Cantonese and written forms)
#: The days a due date is named by (Cantonese 琴日 yesterday, 听日 tomorrow) and the due date's names (Taiwan's 缴款日).
_DUE_DAYS: Final = "大后天|后天|明天|明日|听日|今天|今日|大前天|前天|昨天|昨日|琴日|寻日|尋日|当天|today|tomorrow|yesterday"
_DUE_DATE: Final = "(?:还款|缴款|缴费)日"
_SP: Final = r"\s{0,2}"
#: Numbers written in English ("two months behind", "a week late", "a few days overdue"): the count, and whether it is
#: approximate. "a" / "an" count only beside an overdue word (a day in "ten calls a day" is no count).
_EN_COUNTS: Final = {
    "a": (1, False), "an": (1, False), "one": (1, False), "two": (2, False), "three": (3, False),
    "four": (4, False), "five": (5, False), "six": (6, False), "seven": (7, False), "eight": (8, False),
    "nine": (9, False), "ten": (10, False), "eleven": (11, False), "twelve": (12, False), "fifteen": (15, False),
    "twenty": (20, False), "thirty": (30, False), "forty": (40, False), "fifty": (50, False), "sixty": (60, False),
    "ninety": (90, False), "a couple of": (2, True), "a few": (3, True), "few": (3, True), "several": (3, True),
}  # fmt: skip
_EN_ARTICLES: Final = frozenset(("a", "an"))
_EN_NUMBERS: Final = "|".join(
    sorted((word.replace(" ", r"\s+") for word in _EN_COUNTS), key=lambda w: (-len(w), w))
)

_MASTER: Final = regexes.lazy(
    rf"""
    (?P<due>
        (?P<due_day>{_DUE_DAYS}){_SP}(?:[0-9]{{1,2}}{_SP}[号日]{_SP})?
        (?:就是|就到|才到|就|才|是|系|为|也|到|is{_SP}(?:the|my))?{_SP}
        (?:(?:最后)?{_DUE_DATE}|到期日?|截止|最后一天|最后期限|(?:要|需要|得|该)还|due{_SP}date)
      | (?:最后{_DUE_DATE}|{_DUE_DATE}|到期日|到期时间|到期|截止日|due{_SP}date)
        {_SP}(?:是|系|在|就是|为|就在|is|was)?{_SP}
        (?P<due_day2>{_DUE_DAYS})
      | (?P<due_day3>昨天|昨日|琴日){_SP}(?:忘了|忘记了?|忘咗|迟了|迟咗|晚了|没有?|冇)(?:还|缴|交)
      | (?<![a-z])due\s{{1,2}}(?P<due_day4>today|tomorrow|yesterday)(?![a-z])
    )
  | (?P<status>
        (?<!有)(?<!有的)(?<!有些)(?<!从)(?<!从来)(?<!向来)(?<!一直)
        (?:还没有?|还未|尚未|并没有?|(?<![还尚并])(?:没有?|未)|(?<!算)不算|还不算){_SP}(?:逾期|到期|过期|到还款日)
        (?!{_SP}(?:[0-9{_CN}半多]|过(?!了)))
    )
  | (?P<dur>
        (?P<ord>第{_SP})?
        (?:
            (?P<ar>(?<![0-9.])[0-9]{{1,6}}(?:\.[0-9]{{1,2}})?)
          | (?P<cn>(?<![{_CN}])(?:好(?=几))?[{_CN}]{{1,10}})
          | (?P<half>(?P<halfmod>[大小])?半)
          | (?P<geba>个把)
          | (?P<en>(?<![a-z])(?:{_EN_NUMBERS})(?![a-z]))
        )
        {_SP}(?P<suf>多|余|来)?(?:{_SP}|-(?=[a-z]))
        (?P<unit>
            (?P<day>天|日|tian(?![a-z])|days?(?![a-z]))
          | (?P<week>个?(?:(?P<wmore>多)|(?P<wlai>来))?(?:星期|礼拜|周|weeks?(?![a-z])))
          | (?P<month>(?P<mge>个)?(?:(?P<mmore>多)|(?P<mlai>来))?(?P<mhalf>半)?月|months?(?![a-z]))
          | (?P<year>年|years?(?![a-z]))
        )
        (?P<after_half>半)?
        (?P<after_more>多(?!少)|余)?
        (?P<asuf>{_SP}(?:左右|上下|出头))?
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)

_DATE_OF: Final = r"(?:(?P<{m}>[0-9]{{1,2}})[月.])?(?P<{d}>[0-9]{{1,2}})[号日]"
#: A due date named by the day of the month: 还款日是15号, 3月8号该还的, 6月5号的还款, 12.3号到期.
_DUE_DATE_NAMED: Final = regexes.lazy(
    rf"(?:(?:还款|缴款|到期)日{_SP}(?:是|在|为)?{_SP}{_DATE_OF.format(m='m1', d='d1')})"
    rf"|{_DATE_OF.format(m='m2', d='d2')}{_SP}(?:的还款|到期|该还|要还|是还款日)"
)
#: Today's date: 今天17号, 今天都20号了, 现在3月19号.
_TODAY_DATE: Final = regexes.lazy(rf"(?:今天|今日|现在)(?:是|都|已经|都已经)?{_SP}(?:(?P<m>[0-9]{{1,2}})月)?(?P<d>[0-9]{{1,2}})[号日]")
#: The day the reader paid, which counts like today's date: 到期日是20号 我21号才还的 (1 day late).
_PAID_ON_DATE: Final = regexes.lazy(
    rf"(?:我|是|^|(?<=[\s,，])){_SP}(?:(?P<m>[0-9]{{1,2}})月)?(?P<d>[0-9]{{1,2}})[号日]{_SP}(?:早上|上午|中午|下午|晚上|凌晨)?{_SP}(?:才|就)?"
    r"(?:还|缴|交)(?:的|了|上|清)"
)

_DUE_OFFSETS: Final = {
    "今天": 0, "今日": 0, "明天": -1, "明日": -1, "听日": -1, "后天": -2, "大后天": -3,
    "昨天": 1, "昨日": 1, "琴日": 1, "前天": 2, "大前天": 3,  # 昨天到期 / 还款日是前天: a day or two late
    "寻日": 1, "尋日": 1, "当天": 0, "today": 0, "tomorrow": -1, "yesterday": 1,
}  # fmt: skip

_LEFT_CLAUSE: Final = regexes.lazy(r"[^,，。.!！?？;；\n、…]*$")
_RIGHT_CLAUSE: Final = regexes.lazy(r"[^,，。.!！?？;；\n、…]*")

# left context, anchored at the quantity
_APPROX_BEFORE: Final = regexes.lazy(
    r"(?:快要|都快|快|将近|接近|差不多|大概|大约|约莫|约|估计|可能|几乎|大致|不到|没有到|没到|不足|(?<!最)近"
    r"|(?<![a-z])(?:nearly|almost|about|around|roughly|approximately|close\s+to))"
    r"(?:有|是|要|到)?\s{0,2}$"
)
_RANGE_BEFORE: Final = regexes.lazy(
    rf"(?:(?<![0-9.])[0-9]{{1,4}}|(?<![{_CN}])[{_CN}]{{1,4}}){_SP}(?:-|~|到|至|—){_SP}$"
)
_FUTURE_BEFORE: Final = regexes.lazy(rf"(?:还有|还剩|仲有|仲剩|只剩下?|剩下?|再过|还差|差){_SP}$")  # 仲有: Cantonese 还有
#: 离/距 还款日还有3天, 还款日还有3天, 到期日还剩两天: a countdown to the due date, not overdue.
_COUNTDOWN_WORDS: Final = regexes.lazy(r"离|距|还款日|到期日|账单日|最后还款|到期")
_EXCLUDED_BEFORE: Final = regexes.lazy(
    r"(?:这|那|(?<![目当])前|(?<![超经缴期])(?<!迟还)(?<!晚还)过|再|每|隔|头|最近|同|某|哪|要|需要|还要|等|给|宽限|缓|延|分"
    # in English: a term, a wait or a rule ("back in 14 days", "within 3 days", "after 90 days", "every two weeks")
    r"|(?<![a-z])(?:in|within|every|per|after|next|until|till))\s{0,2}$"
)
_YOU_BEFORE: Final = regexes.lazy(r"有\s{0,2}$")  # 有一天 = "one day, some day"
#: The ways people mistype 逾期 (engine.py removes them with a day count, like 逾期 itself).
OVERDUE_TYPOS: Final = (
    r"逾其|愈期|渝期|鱼期|(?<![关由对属终至基等处])于期|(?<![剩盈有])余期|yu\s?期|逾\s?qi"
    # 预期 (yùqī, "expected"), the input method's first guess for yuqi ("白条那边预期五十来天"); a count after it that
    # a loan's progress follows is no overdue count (_EXCLUDED_AFTER: "预期3天到账")
    r"|(?<![超出于过不])预期"
)
_VERB: Final = regexes.lazy(
    rf"(?:逾期|{OVERDUE_TYPOS})了?|yu\s?qi|(?<![a-z])yq(?![a-z])|overdue|late(?!r)|behind|past\s?due"
    r"|拖欠了?|拖了?|欠(?:款|了)?|超期了?|超过了?|过期了?|晚还了?|晚缴了?|晚交了?|晚了|晚(?!上)"
    r"|迟还了?|迟缴了?|迟了|迟|(?P<ext>延期|展期)(?P<ext_le>了)?|没还款?|未还款?|还不上了?|还不起了?|已经|过咗期|过了期|过了|过咗"
    r"|超了|到期(?=\s{0,2}$)",
    re.IGNORECASE,
)
_NOT_OVERDUE_MARKER: Final = regexes.lazy(
    r"借(?:了|款)?|贷款?|期限|分期|账期|周期|免息|申请|协商|办理|宽限|缓冲|提前|给我|再给|多给|还了|打了|打"
    r"|时效|有效期|保留|保存"  # 诉讼时效是3年: the length of something else
    r"|催了|连续|连着|等了?|用了|每|能不能|可不可以|能否|可否|想|希望|打算|准备|需要|要求|还要|还得"
    # 定期三年 / 交了3年保费 / 找了两个月活: a deposit's term, what was paid in, how long a search went on
    r"|定期|交了|找了"
    # 结清一个月了 / 还完半年了: time since the debt was settled, not overdue
    r"|结清|还清|还完|还上了|已还款?|上岸"
    # 违约金一天要多少 / 罚息一天几十块: a charge per unit of time; 骚扰了好几个月: how long the calls went on;
    # 不良记录5年: how long a record is kept
    r"|违约金|罚息|滞纳金|利息|骚扰|记录"
    # 请假10天 / 特休5天 / 住院两周: leave, holidays or a hospital stay, how long the reader is away
    r"|请假|休假|特休|年假|病假|事假|产假|放假|住院"
    # 失业半年了 / 病了两个月: how long the reader has been out of work or ill, not how long overdue
    r"|失业|下岗|待业|裁员|被裁|没有?工作|没上班|没活干|停工|停业|离职|辞职|生病|病了|生了病|养病|养伤|休息"
    # 审核了五天 / 投诉了一周都没人理 / 退款半个月: how long something else took
    r"|审核|审批|退款|退费|投诉|举报|反馈|提交|答复|回复"
    # 手机关机二十多天 / 失联半个月 / 关了好几个礼拜: how long the phone was off or the reader out of reach
    r"|关机|关了机|关了|停机|失联|拉黑"
    # 刚毕业一年 / 上班两个月才拿三千八 / 失眠一周了 / 独自扛了好几个月: other spans of the reader's life
    r"|毕业|工作|上班|打工|失眠|扛了|扛着|harass|borrow"
    # 拆东墙补西墙大半年 / 以贷养贷快三年: how long the reader has juggled loans, not how long one is overdue
    r"|补西墙|以贷养贷|借新还旧|ydyd"
    # 分手半年了 / 结婚三年: how long since the reader's life changed
    r"|分手|离婚|结婚|在一起|认识"
    # "statute of limitations 是三年": the length of the time limit, in English
    r"|statute|imitations?"
    # 骂了我大半个月 / 恐吓了我三天 / 爆通讯录一周了: how long the collectors' harassment went on
    r"|骂|恐吓|威胁|侮辱|羞辱|轰炸|爆"
)
#: 表哥欠我钱三年多了 / 朋友借我的钱一年多没还 / 借给他三万: the reader is the lender, whatever follows.
_LENDER: Final = regexes.lazy(
    r"欠了?我(?!们)|借了?我的|(?:跟|向|找|问|从)我(?:这里?|这儿)?借|借(?:钱)?给(?!我)|我借给|借出"
    rf"|借了我(?=[0-9{_CN}])"  # 表弟借了我八千
    r"|(?:工资|薪水|工钱|薪资)(?:被|让)?(?:老板|公司|厂里)?(?:拖欠|欠|拖)(?:了|着)?"  # 工钱被老板欠着 / 工资被拖了: owed to the reader
)
#: Further back in the sentence (借给表姐的那笔钱 她拖了大半年也不还), the reader is still the lender unless the words after it
#: speak of the reader (我) or of the reader's own loans (逾期, 网贷 ...).
_LENDER_WIDTH: Final = 30
_SENTENCE_START: Final = regexes.lazy(r"[^。.!！?？\n]*$")
_READERS_OWN_DEBT: Final = regexes.lazy(
    rf"我|俺|逾期|{OVERDUE_TYPOS}|yu\s?qi|yq|overdue|超期|晚还|迟还|迟缴|晚缴|网贷|贷款|信用卡|平台|征信", re.IGNORECASE
)
#: 据说逾期满两个月就会上门 / 据说逾期三个月以上才上门: a rule the reader heard of, not their own count (unless
#: the reader speaks of themselves before the number: "听说 我已经逾期三个月了").
_HEARSAY: Final = regexes.lazy(
    r"听说|听讲|听人说|听人讲|听别人说|听朋友说|据说|网上说|网上看到|有人说|别人说|传言|传说|(?:朋友|同事|网友|亲戚)(?:跟我)?(?:说|讲)"
)
_SELF_AFTER_HEARSAY: Final = regexes.lazy(r"我|俺|本人|现在|目前|已经|今天")

# right context, anchored right after the quantity
_DUE_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:就|才|先|后|之后|以后)?{_SP}(?:就|才|先|要)?{_SP}(?:到期|还款|要还|到还款日|逾期|截止)"  # 先: Cantonese 才
)
_AFTER_THEN_DUE: Final = regexes.lazy(
    rf"{_SP}(?:后|之后|以后){_SP}(?:就|才|要)?{_SP}(?:到期|到还款日|逾期|截止)"
)
_EXCLUDED_AFTER: Final = regexes.lazy(
    rf"{_SP}的?{_SP}(?:缓冲|宽限|延期|展期|延长|免息|期限|还款期|账期|周期|分期(?!乐)|停催|停息|挂账"
    rf"|没睡|没合眼|没怎么睡|睡不|失眠|没吃饭?|吃不下"  # 三天没睡: how long the reader has not slept
    rf"|的?长?假(?!的)"  # 七天假 / 十天长假: a holiday
    rf"|为?一期|期的"  # 7天一期 / 一周期的借款: the term of one instalment
    rf"|内?(?:到账|放款|下款|审核|审批|批下来|出结果)"  # 3天到账 / 两周内放款: how long a loan takes to arrive
    rf"|(?:[Ll]oan\s)?[Tt]erms?(?![a-z])"  # "a 14-day term", "12 months loan term": the loan's length
    rf")"
)
#: 一个月工资 / 一个月底薪三千五: a monthly amount, not a duration (directly after the quantity: "逾期第3天 工资下个月才发"
#: keeps its count).
_AMOUNT_RIGHT_AFTER: Final = regexes.lazy(r"的?(?:工资|底薪|收入|薪水|月薪|年薪|房租|租金|生活费|开销|提成|绩效)")
#: Right after a quantity, a period that is not overdue time, in three kinds (one pattern):
_OTHER_PERIOD_AFTER: Final = regexes.lazy(
    # an amount earned or spent per period: 一个月才挣三千出头 / 一年赚不到五万 / 一个月能拿多少提成 / 一个月刷两万
    r"(?:(?:就|才|只|只能|能|可以|大概|大约|也就|最多|顶多|差不多|至少)?(?:挣|赚|拿(?!什么|啥)|领|刷|花(?!呗)|消费|开销|存))"
    # or asked for: 一个月多少 / 一年多少钱
    r"|多少"
    # or named: 一个月挣三千来块 / 打工一个月六千多 / 一天300块
    # (一个月才一千八 / 一个月多三百: after a word of how much)
    rf"|(?:{_SP}(?:就|才|只|只有|也就|大概|大约|差不多|不到|还不到|多)?{_SP}"
    rf"(?:[0-9]{{3,}}|[0-9.]+{_SP}[块元千万kKwW]|[{_CN}]+(?:块|元|百|千|万)))"
    # how long the reader has been out of work or in hospital: 三个月没找到工作 / 半个月没收入 / 住了一个月的院
    # (directly after the number: "逾期三到五个月 没有工作" keeps its count)
    r"|(?:没(?:有|能)?(?:找到|找着)?(?:工作|活干?|上班|收入)|没(?:有)?发(?:工资|钱|薪)|的院)"
    # how long something else has kept the reader waiting: 客服三天没回复 / 一周都没人理 / 半个月了还没到账
    rf"|(?:{_SP}(?:了{_SP})?(?:都|也|还|一直)?{_SP}"
    r"(?:(?:没有?|没人|不)(?:回复|回音|回应|回我|答复)|没有?(?:消息|结果|到账|动静|反应|下文|进展|通过|退)|没人(?:理|管|催|找)))"
)
#: How long the reader has not answered or had the phone off (三天没接了 / 一周不接电话 / 半个月没开机): not overdue time,
#: even right after 已经.
_UNANSWERED_AFTER: Final = regexes.lazy(rf"{_SP}(?:了{_SP})?(?:都|也|一直)?{_SP}(?:没有?接|不接|没开机|关机|没上线|打不开|登不上|登录不了|用不了|打不通|联系不上)")
#: 3年诉讼时效, 5年自动消除, 几年能恢复: the length of a period the message asks about, not a state. After
#: a space it is a new phrase when an overdue verb stands right before the quantity ("逾期超过三年 时效过了").
_OTHER_CLOCK: Final = (
    r"(?:诉讼时效|时效|有效期|保存期|保留期|(?:是|要)?从(?:什么时候|何时|哪天|哪一天)(?:开始|起)?算|起算"
    rf"|(?:就|会|能|才|可以|自动|以后|之后|后){{0,3}}{_SP}(?:消除|清除|消失|恢复|洗白|作废|失效|清零))"
)
_OTHER_CLOCK_AFTER: Final = regexes.lazy(rf"{_SP}的?{_SP}{_OTHER_CLOCK}")
_OTHER_CLOCK_RIGHT_AFTER: Final = regexes.lazy(rf"的?{_OTHER_CLOCK}")
#: 一周就要还, 7天到期, 三个月还款: the loan's term (when it falls due), not a time overdue.
_TERM_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:就|才|便)?{_SP}(?:(?:要|得|需要|必须|该|应该|能|可以){_SP}(?:还|扣|交|付)|到期|还款(?!日)|还钱"
    # 7天借1500 / 7天期的借款: a short loan's term
    rf"|期的?{_SP}借|借{_SP}[0-9{_CN}]|的{_SP}(?:借款|贷款|网贷|小贷|口子))"
)
#: 近五年 / 近3个月 at the head of a clause: the period looked back over ("in the last five years"), unless
#: an overdue verb comes before it (逾期近两个月 = nearly two months).
_LOOK_BACK: Final = regexes.lazy(r"近(?:有|是|要|到)?\s{0,2}$")
#: 过期 of something that is not a debt: 身份证过期3天了, 优惠券过期一周.
_EXPIRES: Final = regexes.lazy(
    r"(?:身份证|驾照|驾驶证|护照|签证|通行证|居住证|证件|执照|优惠券|券|会员|套餐|流量|食品|食物|牛奶|面包|零食|药品?"
    r"|化妆品|罐头|饮料|密码|验证码|二维码|链接|快递|包裹|车险|保险|年检|合同)\s{0,2}(?:已经|都|早就|已)?\s{0,2}过期了?\s{0,2}$"
)
#: A period imagined, not lived: 如果/要是/万一 ..., 躲三年, 再拖半年, 拖到一个月, 拖够三年, 熬到, 等到.
_HYPOTHETICAL_BEFORE: Final = regexes.lazy(
    r"(?P<cond>如果|要是|假如|假设|万一|到时候?(?=\s{0,2}$))"
    r"|躲(?![了咗过])|再拖|拖到|拖够|拖夠|拖个|拖個|等到|等过|熬到|熬过|挺过|撑过|再过|再熬|再等|再躲|再撑|打算拖|准备拖|想拖"
)
#: ... followed by what the reader hopes follows it: 三年就不用还了, 拖三年就唔使还, 三年后就没事了, 三年不还
#: 就不用还了吗 (not paying in between).
_HYPOTHETICAL_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:后|以后|之后)?{_SP}(?:不还|没还|唔还|不管|不理)?{_SP}(?:是不是|是否|系咪|是咪)?{_SP}就{_SP}"
    r"(?:不用|唔使|可以不|能不|没事|冇事|不会|自动|没了|冇了)"
)
#: "晚一天算逾期吗", "迟两日还会点", "晚还一天会上征信吗": being late (no 了: not yet) asked about, not a count.
_LATE_ASK_BEFORE: Final = regexes.lazy(r"(?:晚|迟)(?:还款?|缴款?|交)?\s{0,2}$")
_LATE_ASK_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:还款?|缴款?|交)?{_SP}(?:的话|就|也|会|算|还算|有|能|要|可以|是否|是不是|行|没事|影响|上征信|才到|[吗吧呢?？]|$)"
)
#: "after 25 days late": the English words for being late right after the quantity outweigh a word before it.
_LATE_IN_ENGLISH_AFTER: Final = regexes.lazy(rf"{_SP}(?:overdue|late(?!r)|behind|past\s?due)", re.IGNORECASE)
#: 上半年 / 下半年: a half of the calendar year.
_CALENDAR_HALF_BEFORE: Final = regexes.lazy(r"[上下]$")
#: "逾期一天还收两百", "晚一天要另外收200": a charge per period late, not a count.
_CHARGE_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:还|就|要|得|都|会)*{_SP}(?:另外|额外|再|多)?{_SP}(?:收|罚|扣|付|加)(?:取|我)?{_SP}(?:[0-9{_CN}]|多少)"
)
#: "逾期30天、60天、90天 分别...", "30天和60天": periods listed (three or more of one unit, or two joined by 、/和/或), and
#: "1到90天", "0-30天" (a stretch of the timeline from its start): the stages asked about, not the reader's count.
_NUM: Final = rf"(?:[0-9]{{1,4}}|[{_CN}]{{1,4}})"
_LISTED: Final = regexes.lazy(
    rf"{_NUM}{_SP}(?P<u>天|个月|年|周)(?:(?:{_SP}[、/和或跟]{_SP}|\s{{1,2}}){_NUM}{_SP}(?P=u)){{2,}}"
    rf"|{_NUM}{_SP}(?P<v>天|个月|年|周){_SP}[、/和或跟]{_SP}{_NUM}{_SP}(?P=v)"
    rf"|(?<![0-9.])[01]{_SP}(?:-|~|到|至|—){_SP}[0-9]{{2,4}}{_SP}天"
    rf"|第{_SP}[1一]{_SP}天?{_SP}(?:-|~|到|至|—){_SP}第?{_SP}{_NUM}{_SP}天"
)
#: "他们一天换二十个号打过来", "同一个号一天打来七八次": a day with calls in it, how often, not a count.
_CALLS_IN_A_DAY_AFTER: Final = regexes.lazy(r"[^,，。.!！?？;；\n]{0,10}?(?:打|催|call)", re.IGNORECASE)
#: A threshold someone names ("说逾期超过90天就移交法院", "满三个月以后就会起诉"): what happens past it, not where
#: the reader stands ("我现在第85天" is).
_THRESHOLD_BEFORE: Final = regexes.lazy(r"(?:(?P<firm>超过|超出|满|达到)|到了|过了)\s*$")
_THRESHOLD_AFTER: Final = regexes.lazy(rf"{_SP}(?:以上|之后|以后|后)?{_SP}(?P<what>[^\s了,，。?？!！]{{1,4}}?)??(?:就|(?P<only>才))")
#: 会保留几年 / 要等几天: a vague 几 after a modal verb asks how long; it states nothing.
_QUESTION_BEFORE: Final = regexes.lazy(rf"(?:会|要|能|可以|需要|得|多){_SP}[^,,。!!??\s]{{0,6}}$")
_AGO_AFTER: Final = regexes.lazy(r"(?:以|之)?前")
_AGO_OVERDUE_AFTER: Final = regexes.lazy(rf"{_SP}(?:以|之)?前{_SP}(?:就|已经|已)?{_SP}(?:逾期|到期|过期|该还)")
_BARE_EXCLUDED_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:内|以内|之内|里|后|之后|以后|到账|的?利息|利率|一期|为一期|审核|就能|才能|两头|到晚|的?时间"
    r"|早上|上午|中午|下午|晚上|一早|夜里)"  # 第二天早上才还: the next day, not day 2 overdue
)
_FREQUENCY_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:就|都|要|会|能|可以|最多|至少|能够)?{_SP}"
    rf"(?:打|催|发|接(?!下来|着)|来|call|给我打|[0-9{_CN}好]{{1,4}}{_SP}(?:个|次|通|条|遍|回))",
    re.IGNORECASE,
)
_QUESTION_AFTER: Final = regexes.lazy(rf"{_SP}(?:会|就|算|能|才|开始|后|以后|之后|内|以内|可以|[?？吗呢])")
_STRONG_AFTER: Final = regexes.lazy(
    rf"{_SP}(?:了{_SP})?(?:还没有?还|没有?还|未还|还不上|还不起|没钱还|都没还|逾期|没处理"
    r"|(?:now\s+)?(?:overdue|late(?!r)|behind|past\s?due))"
)
_LE_AFTER: Final = regexes.lazy(rf"{_SP}了")
_WITHIN_AFTER: Final = regexes.lazy(rf"{_SP}(?:内|以内|之内)")
_FROM_BEFORE: Final = regexes.lazy(rf"(?:从|自){_SP}$")
_FROM_AFTER: Final = regexes.lazy(rf"{_SP}(?:开始|起)")
#: 租约还有3个月到期 / 签证还剩一周: something else falls due.
_OTHER_THING_DUE: Final = regexes.lazy(r"合同|租约|房租|签证|护照|身份证|驾照|会员|套餐|保险|押金")
#: "Today is" before an ordinal day (Cantonese 今日系第二日, 而家系第五日): the reader counts the days of the
#: debt, as 今天是第二天 does, though a bare 日 is otherwise a date.
_TODAY_IS_BEFORE: Final = regexes.lazy(rf"(?:今日|今天|而家|现在){_SP}(?:已经)?{_SP}(?:系|是)?{_SP}$")
_DATE_AFTER_YEAR: Final = regexes.lazy(rf"(?:{_SP}[0-9{_CN}]{{1,3}}{_SP}月|底|初|中(?!间)|末|份|级)")
_DATE_AFTER_MONTH: Final = regexes.lazy(rf"{_SP}(?:[0-9{_CN}]|号|日|份|初|底|中|末|旬)")
#: 两个月零五天, 一年三个月: directly adjacent or joined by 零/又/加. A space alone separates two phrases
#: ("逾期一个月 一天打十几次": a month overdue, then a frequency), never one compound.
_COMPOUND_GAP: Final = regexes.lazy(rf"(?:{_SP}(?:零|又|加){_SP})?")

# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------

_DIGITS: Final = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SPECIAL_NUMBERS: Final = {"俩": 2.0, "仨": 3.0}
_UNIT_DAYS: Final = {"day": 1, "week": 7, "month": 30, "year": 365}
_UNIT_RANK: Final = {"day": 0, "week": 1, "month": 2, "year": 3}
_HALF_UNIT_DAYS: Final = {"day": 0, "week": 3, "month": 15, "year": 180}  # 一年半, 两个半月, 两周半
_MORE_UNIT_DAYS: Final = {"day": 0, "week": 3, "month": 10, "year": 35}  # 一年多, 一个多月, 一周多
_HALF_DAYS: Final = {  # 半个月, 大半个月, 半年 ...
    "month": {"": 15, "大": 20, "小": 10},
    "year": {"": 180, "大": 240, "小": 90},
}
_HALF_MORE_DAYS: Final = {"month": 5, "year": 30}  # 半个多月 20, 半年多 210


def _more_bonus(number: float) -> float:
    """What ``多`` adds to a round number: 十多 -> +5, 二十多 -> +5, 一百多 -> +50, 3多 -> +0."""
    if number < 10 or number != int(number) or int(number) % 10:
        return 0.0
    step = 10
    while int(number) % (step * 10) == 0:
        step *= 10
    return step / 2


def _cn2an(token: str) -> float | None:
    # cn2an is imported at its first use: importing it builds three converters from YAML (~0.2 s), which
    # would delay every start; the first message with a Chinese numeral pays it once instead.
    import cn2an

    try:
        value = cn2an.cn2an(token, "smart")
    except Exception:  # cn2an raises ValueError and friends on malformed numerals
        return None
    return float(value) if isinstance(value, int | float) else None


def _collapse_adjacent_pair(token: str) -> tuple[str, bool] | None:
    """``五六`` -> ``六``, ``十七八`` -> ``十八``, ``二三十`` -> ``三十``, ``三五`` -> ``五`` (approximate).

    Two non-zero digits side by side never occur in a well-formed numeral, so any other pair is
    rejected rather than read digit by digit.
    """
    for i in range(len(token) - 1):
        low, high = _DIGITS.get(token[i]), _DIGITS.get(token[i + 1])
        if low is None or high is None:
            continue
        if high - low == 1 or (low, high) == (3, 5):
            return token[:i] + token[i + 1 :], True
        return None
    return token, False


def _ji_number(token: str) -> float | None:
    """``几`` 3, ``十几`` 15, ``二十几`` 25, ``几十`` 30, ``几百`` 300."""
    if token == "几":
        return 3.0
    if token.count("几") != 1:
        return None
    if token.endswith("几"):
        base = _cn2an(token[:-1])
        bonus = _more_bonus(base) if base is not None else 0.0
        return base + bonus if base is not None and bonus else None
    if token.startswith("几"):
        return _cn2an("三" + token[1:])
    return None


@lru_cache(maxsize=2048)
def _chinese_number(token: str) -> tuple[float, bool] | None:
    """Value of a Chinese numeral token and whether it is approximate, or None if malformed."""
    approximate = token.startswith("好")  # 好几
    token = token.removeprefix("好").replace("两", "二").replace("廿", "二十").replace("卅", "三十").lstrip("零〇")
    if token in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[token], False
    if not token or "俩" in token or "仨" in token:
        return None
    if "几" in token:
        value = _ji_number(token)
        return (value, True) if value is not None else None
    collapsed = _collapse_adjacent_pair(token)
    if collapsed is None:
        return None
    token, pair = collapsed
    value = _cn2an(token)
    return (value, approximate or pair) if value is not None else None


# --------------------------------------------------------------------------------------------------
# Quantities
# --------------------------------------------------------------------------------------------------


class _Quantity(NamedTuple):
    start: int
    end: int
    days: int
    approximate: bool
    unit: str  # day / week / month / year
    bare_month: bool  # "3月" without 个: a date unless right after an overdue verb
    ri: bool  # "3日": a date unless right after an overdue verb
    ji_only: bool  # "几天": may be a question ("逾期几天会...")
    single_day: bool  # "一天": usually "some day" / "per day"
    ordinal: bool  # 第X天
    article: bool = False  # "a month": a count only beside an overdue word
    vague: bool = False  # 几天 / 好几年: gives way to a precise count
    half: bool = False  # 半年 / 半个月 (no number before it)


class _Candidate(NamedTuple):
    start: int
    end: int
    days: int
    approximate: bool
    priority: int
    hypothetical: bool = False


def _unit_of(match: re.Match[str]) -> str:
    for unit in ("day", "week", "month", "year"):
        if match[unit] is not None:
            return unit
    raise AssertionError("unreachable: the unit group always matches")  # pragma: no cover


def _half_quantity_days(match: re.Match[str], unit: str) -> tuple[int, bool] | None:
    """半个月 / 大半个月 / 半年 / 半个多月 ..."""
    if unit not in _HALF_DAYS:
        return None
    modifier = match["halfmod"] or ""
    days = _HALF_DAYS[unit][modifier]
    more = bool(match["mmore"] or match["after_more"] or match["suf"])
    if more:
        days += _HALF_MORE_DAYS[unit]
    return days, more or bool(modifier)


def _count_of(match: re.Match[str]) -> tuple[float, bool] | None:
    """The number in front of the unit, with 多/余/来 applied."""
    if match["geba"] is not None:
        count, approximate = 1.0, True
    elif match["ar"] is not None:
        count, approximate = float(match["ar"]), False
    elif match["en"] is not None:
        whole, approximate = _EN_COUNTS[" ".join(match["en"].lower().split())]
        count = float(whole)
    else:
        parsed = _chinese_number(match["cn"])
        if parsed is None:
            return None
        count, approximate = parsed
    suffix = match["suf"]
    if suffix in ("多", "余"):
        count += _more_bonus(count)
        approximate = True
    elif suffix == "来":
        approximate = True
    return count, approximate


def _measure(match: re.Match[str]) -> _Quantity | None:
    """Turn a duration match into days, or None when it cannot be a duration."""
    unit = _unit_of(match)
    if match["half"] is not None:
        half = _half_quantity_days(match, unit)
        if half is None:
            return None
        days, approximate = half
        count = 0.5
    else:
        counted = _count_of(match)
        if counted is None:
            return None
        count, approximate = counted
        if unit == "year" and count > _MAX_YEARS:
            return None
        total = count * _UNIT_DAYS[unit]
        if match["mhalf"] or match["after_half"]:
            total += _HALF_UNIT_DAYS[unit]
            approximate = approximate or unit in ("day", "week")
        if match["wmore"] or match["mmore"] or match["after_more"]:
            total += _MORE_UNIT_DAYS[unit]
            approximate = True
        if match["wlai"] or match["mlai"]:
            approximate = True  # 一个来月: about a month
        days = int(total + 0.5)
    if match["asuf"]:
        approximate = True
    if days > MAX_DAYS:
        return None
    # 仨月 / 俩月 / 两月 name no month of the calendar (三月 and 二月 do)
    bare_month = unit == "month" and match["month"] == "月" and match["geba"] is None and match["cn"] not in ("俩", "仨", "两")
    return _Quantity(
        start=match.start("dur"),
        end=match.end("dur"),
        days=days,
        approximate=approximate,
        unit=unit,
        bare_month=bare_month,
        ri=match["day"] == "日",
        ji_only=match["cn"] == "几",
        vague=match["cn"] in ("几", "好几"),
        half=match["half"] is not None and match["halfmod"] is None,
        single_day=unit == "day" and count == 1 and not approximate and not match["ord"],
        ordinal=bool(match["ord"]),
        article=(match["en"] or "").lower() in _EN_ARTICLES,
    )


def _merge_compound(first: _Quantity, second: _Quantity, text: str) -> _Quantity | None:
    """``两个月零五天`` -> 65, ``一年三个月`` -> 455: a bigger unit directly followed by a smaller one."""
    if _UNIT_RANK[first.unit] <= _UNIT_RANK[second.unit] or first.ordinal or second.ordinal:
        return None
    if _COMPOUND_GAP.fullmatch(text, first.end, second.start) is None:
        return None
    return first._replace(
        end=second.end,
        days=min(first.days + second.days, MAX_DAYS),
        approximate=first.approximate or second.approximate,
        unit=second.unit,
        ri=second.ri,
        single_day=False,
    )


# --------------------------------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------------------------------


def _left_clause(text: str, start: int, width: int = _WINDOW) -> str:
    window = text[max(0, start - width) : start]
    found = _LEFT_CLAUSE.search(window)
    return found.group() if found else ""


def _right_clause(text: str, end: int) -> str:
    found = _RIGHT_CLAUSE.match(text, end, min(len(text), end + _WINDOW))
    return found.group() if found else ""


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


class _Attachment(NamedTuple):
    attached: bool  # the nearest marker on the left is an overdue verb
    blocked: bool  # the nearest marker on the left says "not overdue" (借了, 申请, 等了 ...)
    adjacent: bool  # the verb is directly in front of the quantity (逾期一天...)
    weak: bool = False  # that verb is only 已经 ("已经四天不接了")


def _attachment(left: str, right: str) -> _Attachment:
    """How the quantity relates to the overdue verbs and not-overdue markers on its left."""
    verb = _last(_VERB, left)
    other = _last(_NOT_OVERDUE_MARKER, left)
    if verb is not None and verb["ext"] and not verb["ext_le"] and not _LE_AFTER.match(right):
        return _Attachment(False, True, False)  # 申请延期3个月 / 能延期一个月吗: asking for an extension
    if verb is None:
        return _Attachment(False, other is not None, False)
    if other is not None and other.end() > verb.end():
        return _Attachment(False, True, False)
    # 咗 is Cantonese 了 (迟咗两日): the verb is still right before the quantity
    adjacent = not left[verb.end() :].strip().removeprefix("咗").strip()
    return _Attachment(True, False, adjacent, verb.group() == "已经")


def _lent_by_reader(left: str, text: str, start: int) -> bool:
    """"表哥欠我钱三年多了": the last word about who owes says the reader is owed; so does one further back in
    the sentence ("借给表姐的那笔钱 她拖了大半年也不还") with no word of the reader or the reader's own loans after it."""
    lender = _last(_LENDER, left)
    verb = _last(_VERB, left)
    if lender is not None and (verb is None or lender.end() >= verb.end()):
        return True
    sentence = _SENTENCE_START.search(text, max(0, start - _LENDER_WIDTH), start)
    wide = sentence.group() if sentence else ""
    lender = _last(_LENDER, wide)
    if lender is None:
        return False
    after = lender.end() + (wide[lender.end() : lender.end() + 1] == "我")  # 我借给我表弟: "my", not the reader's debt
    return _READERS_OWN_DEBT.search(wide, after) is None


def _heard_of(text: str, start: int) -> bool:
    """"据说逾期满两个月就会上门": a period in a rule the reader heard of, in the same phrase as the hearsay
    (a space may follow 听说, none after that) and with no word of the reader's own state between them."""
    clause = _left_clause(text, start, 2 * _WINDOW)
    hearsay = _last(_HEARSAY, clause)
    if hearsay is None:
        return False
    between = clause[hearsay.end() :].lstrip()
    return not any(char.isspace() for char in between) and _SELF_AFTER_HEARSAY.search(between) is None


def _names_a_threshold(left: str, right: str) -> bool:
    """"超过90天就起诉", "满三个月才上征信", "过了60天就转委外": what happens past a period, not where the reader is."""
    before = _THRESHOLD_BEFORE.search(left)
    after = _THRESHOLD_AFTER.match(right) if before is not None else None
    if after is None or (after["what"] and before["firm"] is None):  # type: ignore[index]
        return False  # (a subject before 就, "满五年征信就清了", only after 超过 / 满 / 达到)
    return before["firm"] is not None or after["only"] is None  # type: ignore[index]


def _judge(quantity: _Quantity, text: str) -> _Candidate | None:
    """Decide whether a quantity is an overdue duration, and how strongly."""
    start, approximate = quantity.start, quantity.approximate
    left, right = _left_clause(text, start), _right_clause(text, quantity.end)

    prefix = _APPROX_BEFORE.search(left)
    if prefix is not None:
        look_back = _LOOK_BACK.search(prefix.group()) is not None
        start -= len(left) - prefix.start()
        left, approximate = left[: prefix.start()], True
        if look_back and not (_attachment(left, right).attached or _STRONG_AFTER.match(right)):
            return None  # 近五年有一次逾期: the last five years, not five years overdue
    span_range = _RANGE_BEFORE.search(left)
    if span_range is not None:
        start -= len(left) - span_range.start()
        left, approximate = left[: span_range.start()], True

    # A period imagined as a way out or a rule (躲三年就不用还了, 满90天才上征信, 再熬半年) is no count at all; one
    # imagined after 如果/要是 counts only when no other is stated (the stage it asks about).
    imagined = _last(_HYPOTHETICAL_BEFORE, left)
    if (
        (imagined is not None and imagined["cond"] is None)
        or _HYPOTHETICAL_AFTER.match(right)
        or _names_a_threshold(left, right)
    ):
        return None
    hypothetical = imagined is not None
    # 晚一天算逾期吗: being late, asked about, counts as bare (a stated due date wins: "今天是还款日 晚一天还算逾期吗"
    # is 0); it is not marked imagined, so the engine matches the question as before.
    late_asked = bool(_LATE_ASK_BEFORE.search(left) and _LATE_ASK_AFTER.match(right))
    if _CHARGE_AFTER.match(right):
        return None  # 逾期一天收两百 / 晚一天罚多少

    def candidate(days: int, priority: int) -> _Candidate:
        if hypothetical or late_asked:
            priority = min(priority, _BARE)
        return _Candidate(start, quantity.end, days, approximate if days > 0 else False, priority, hypothetical)

    if quantity.ordinal and _FROM_BEFORE.search(left) and _FROM_AFTER.match(right):
        return None  # 从第一天开始会怎样: a point of the timeline asked about
    if quantity.ordinal and _TODAY_IS_BEFORE.search(left) and not _BARE_EXCLUDED_AFTER.match(right):
        return candidate(quantity.days, _STRONG)  # 今天第4天: the reader counts the days of the debt

    if not quantity.ordinal:
        if _FUTURE_BEFORE.search(left):
            # the due date may be named further back: 离还款deadline还有三天
            if _OTHER_THING_DUE.search(left):
                return None
            if _DUE_AFTER.match(right) or _COUNTDOWN_WORDS.search(_left_clause(text, start, 2 * _WINDOW)):
                return candidate(-quantity.days, _COUNTDOWN)
            return None  # 还有2天 / 还剩一周: time left, never time overdue
        if _AFTER_THEN_DUE.match(right):
            return candidate(-quantity.days, _COUNTDOWN)
    if (_EXCLUDED_BEFORE.search(left) and not _LATE_IN_ENGLISH_AFTER.match(right)) or (
        quantity.single_day and _YOU_BEFORE.search(left)
    ):
        return None  # (but "after 25 days late" is 25)
    if quantity.half and _CALENDAR_HALF_BEFORE.search(left):
        return None  # 下半年打算结婚: the second half of the year
    verb = _attachment(left, right)
    if _EXCLUDED_AFTER.match(right) or _lent_by_reader(left, text, start) or _heard_of(text, start):
        return None
    if not quantity.ordinal and _AMOUNT_RIGHT_AFTER.match(text, quantity.end):
        return None  # 一个月工资 / 一个月底薪三千
    if _UNANSWERED_AFTER.match(right) and not (verb.adjacent and not verb.weak):
        return None  # 已经四天不接了 / 半个月没开机
    if not verb.adjacent and (
        _WITHIN_AFTER.match(right) or (quantity.single_day and _CALLS_IN_A_DAY_AFTER.match(right))
    ):
        return None  # 说三天内来抓 / 一天换二十个号打过来
    if (_OTHER_CLOCK_RIGHT_AFTER if verb.adjacent else _OTHER_CLOCK_AFTER).match(right):
        return None
    if _AGO_AFTER.match(right):
        return candidate(quantity.days, _STRONG) if _AGO_OVERDUE_AFTER.match(right) else None
    if quantity.ji_only and (_QUESTION_AFTER.match(text, quantity.end) or _QUESTION_BEFORE.search(left)):
        return None
    if quantity.ji_only and right.strip() and not (_LE_AFTER.match(right) or _STRONG_AFTER.match(right)):
        return None  # 几年消除 / 逾期几年利息怎么算: "how many" asks about a period; 逾期几天了 states one
    if _EXPIRES.search(left):
        return None

    strong_after = _STRONG_AFTER.match(right) is not None
    if not verb.adjacent and not strong_after and _OTHER_PERIOD_AFTER.match(right):
        return None  # 一个月才挣三千出头 / 客服三天没回复: earned per month, or how long something else took
    if not verb.adjacent and not strong_after and _TERM_AFTER.match(right):
        return None  # 欠了几个口子 一周就要还 / 7天到期: when the loan falls due
    today_is = quantity.ri and quantity.ordinal and _TODAY_IS_BEFORE.search(left) is not None
    if (quantity.bare_month or quantity.ri) and not verb.attached and not today_is:
        return None
    if quantity.article and not (verb.adjacent or strong_after):
        return None  # "a month overdue" / "late a week" count; "calls ten times a day" does not
    if quantity.bare_month and _DATE_AFTER_MONTH.match(right):
        return None
    if quantity.unit == "year" and _DATE_AFTER_YEAR.match(right):
        return None
    if _FREQUENCY_AFTER.match(right) and not verb.adjacent:
        return None  # 一天打了六个电话 / 三天打十几次
    if verb.blocked and not strong_after:
        return None
    if quantity.ji_only and verb.attached and not verb.adjacent and not right.strip():
        return None  # a bare query such as "逾期后几天找亲属": how many days is asked, the verb far back
    if verb.attached or strong_after:
        # A vague 几天 ("晚几天还") gives way to anything precise, such as a due date (明天到期).
        return candidate(quantity.days, _BARE if quantity.vague else _STRONG)
    if _BARE_EXCLUDED_AFTER.match(right):
        return None
    if quantity.single_day and not _LE_AFTER.match(right):
        return None
    if quantity.ji_only and left.strip() and not _LE_AFTER.match(right):
        return None  # 诉讼时效几年 / 网贷几年: a noun then 几 asks how many; a lone 几天 answers one
    return candidate(quantity.days, _BARE)


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[re.Match[str] | _Quantity]:
    """Due-date / status matches and measured durations in order, compounds merged."""
    tokens: list[re.Match[str] | _Quantity] = []
    for match in _MASTER.finditer(text):
        if match["dur"] is None:
            tokens.append(match)
            continue
        quantity = _measure(match)
        if quantity is None:
            continue
        previous = tokens[-1] if tokens else None
        if isinstance(previous, _Quantity):
            merged = _merge_compound(previous, quantity, text)
            if merged is not None:
                tokens[-1] = merged
                continue
        tokens.append(quantity)
    return tokens


def _by_the_calendar(text: str) -> _Candidate | None:
    """"还款日是12号 今天15号" is 3, "6月5号的还款 今天7月5号了" 30, "还款日20号 今天18号" -2: a due date and today's
    date, both named (in the same month unless months are given)."""
    due = _DUE_DATE_NAMED.search(text)
    today = _TODAY_DATE.search(text) or _PAID_ON_DATE.search(text)
    if due is None or today is None:
        return None
    due_month, due_day = due["m1"] or due["m2"], int(due["d1"] or due["d2"])
    month = today["m"] or due_month
    due_month = due_month or month
    days = _days_between(int(due_month or 1), due_day, int(month or 1), int(today["d"]))
    if days is None:
        return None
    if days < 0 and today["m"] and due_month != month:
        days += 365  # 12月28号到期 今天1月3号
    if not -31 <= days <= 365:
        return None
    return _Candidate(today.start(), today.end(), days, False, _STRONG)


def _days_between(due_month: int, due_day: int, month: int, day: int) -> int | None:
    """Days from a due date to today's date, neither with a year: counted in a common year, or in a leap year
    when either date is 29 February; None when a date does not exist (2月30号, 13月)."""
    for year in (2023, 2024):
        try:
            return (date(year, month, day) - date(year, due_month, due_day)).days
        except ValueError:
            continue
    return None


def _candidates(text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    by_the_calendar = _by_the_calendar(text) if "号" in text or "日" in text else None
    listed = [match.span() for match in _LISTED.finditer(text)]
    for token in _tokens(text):
        if isinstance(token, _Quantity):
            if any(start <= token.start < end for start, end in listed):
                continue
            judged = _judge(token, text)
            if judged is not None:
                found.append(judged)
        elif token["due"] is not None:
            offset = _DUE_OFFSETS[(token["due_day"] or token["due_day2"] or token["due_day3"] or token["due_day4"]).lower()]
            # 明天到期 / due tomorrow counts down to a due date: a count of days overdue beats it, as it beats
            # 还有3天到期 ("A贷逾期5天 B贷明天到期" is 5); a due date today or already past is a strong reading.
            found.append(_Candidate(token.start(), token.end(), offset, False, _COUNTDOWN if offset < 0 else _STRONG))
        else:
            found.append(_Candidate(token.start(), token.end(), 0, False, _STATUS))
    if by_the_calendar is not None:
        found.append(by_the_calendar)  # both dates named: the count wins over "到期 今天" read on its own
    return found


def parse_days(text: str) -> DayCount | None:
    """Find how many days overdue a message says the borrower is (see the module docstring)."""
    if not isinstance(text, str) or not text:
        return None
    return _parse_days(text)


#: Cantonese "a whole month / week" (过期咗成个月, 迟咗成个礼拜) reads as one (same length: spans stay valid).
_A_WHOLE: Final = regexes.lazy(r"(?<![一二两三四五六七八九十\d])成个(?=月|礼拜|星期)")


@lru_cache(maxsize=1024)
def _parse_days(text: str) -> DayCount | None:
    """:func:`parse_days` of a non-empty text, remembered: the engine reads some texts twice for one
    message (the message, then the part that asks; the matcher's parts), and DayCount is immutable."""
    best: _Candidate | None = None
    for found in _candidates(_A_WHOLE.sub("一个", text[:MAX_SCAN].translate(_FOLD))):
        if best is None or found.priority >= best.priority:
            best = found
    if best is None:
        return None
    return DayCount(
        days=best.days, approximate=best.approximate, span=(best.start, best.end), hypothetical=best.hypothetical
    )
