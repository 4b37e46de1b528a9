"""The real annual rate of a loan, from the figures a borrower writes in a message.

>>> figures = parse_loan("借5000到手4500 分12期 每期还500")
>>> figures.received, figures.instalments, figures.instalment
(4500.0, 12, 500.0)
>>> round(annual_rate(figures).percent, 1)
56.8

Pure functions, no I/O except :func:`load_rate_texts` (the maintainer-editable ``rate.yaml``):

- :func:`parse_amount` reads one amount in any form people type: ``5000``, ``5,000``, ``5k``, ``1.2万``,
  ``两千``, ``一万五`` (= 15000), ``1万2`` (= 12000), ``三千五`` (= 3500), ``两千零五十``.
- :func:`parse_loan` reads a whole message (Simplified or Traditional) into :class:`LoanFigures`: the
  amount on the contract, the money actually received, fees taken up front (砍头息), the instalments
  (count, amount, weekly or monthly) or a single repayment after a number of days.
- :func:`annual_rate` computes the annual rate on the money actually received (民法典 670: interest
  deducted up front does not count as lent money): the IRR of the instalment plan, per period, times the
  periods in a year (monthly IRR × 12, the convention of 年化利率 disclosures); for a single repayment
  after D days, ``(repaid / received - 1) × 365 / D``. It returns :class:`Missing` when the figures are
  not enough, naming what to ask for.
- :func:`explain` words the result against the lines that matter (4×LPR for private lending, 24 % and
  36 % for licensed lenders' all-in cost), with texts from ``rate.yaml``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from faq import regexes, yamlfile
from faq.normalize import safe_text, to_simplified

#: The knowledge base's intent about interest and fees: its id goes with a rate reply (and its related
#: topics become the reply's buttons).
RATE_INTENT = "interest_fees"
DEFAULT_RATE_PATH = Path(__file__).resolve().parent.parent / "rate.yaml"

#: Periods a year for instalments paid every month or every week.
PERIODS_PER_YEAR = {30: 12, 7: 52}
#: Bounds that keep a figure plausible for a consumer loan (anything else is a misreading).
MAX_AMOUNT = 100_000_000
MAX_INSTALMENTS = 360
MAX_TERM_DAYS = 3650

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN = "零〇一二两俩三四五六七八九十百千万"
#: One amount: starts with a digit or a Chinese numeral, may mix both with units (1万2, 2.5k).
_NUM = rf"[\d{_CN}][\d.{_CN}kw]*"
#: An amount of money: never one followed by a unit of time or a count ("催收一天", "打了8次").
_AMT = rf"(?P<amt>{_NUM})(?![\d.{_CN}kw])(?!天|日|次|个|周|星期|礼拜|年|号|点|分钟|小时|条|通|半|笔)\s*(?:元|块钱?|rmb|人民币)?"
_FEE_WORDS = "砍头息|服务费|手续费|押金|会员费|保险费|审核费|担保费|中介费|咨询费|管理费|保证金|认证费|砍头"


# ------------------------------------------------------------------------------------------- amounts


def _small(text: str) -> float | None:
    """A number below 10,000 written with digits and/or 十百千 (elided last unit: 三千五 = 3500)."""
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total = 0.0
    number: float | None = None
    last_unit = 1
    zero = False
    for token in re.findall(r"\d+(?:\.\d+)?|.", text):
        if token[0].isdigit():
            if number is not None:
                return None
            number = float(token)
        elif token in _CN_DIGITS:
            if token in "零〇":
                zero = True
                continue
            if number is not None:
                return None
            number = float(_CN_DIGITS[token])
        elif token in _CN_UNITS:
            unit = _CN_UNITS[token]
            if unit >= last_unit and total:
                return None  # 千...千, 百千: not a number
            total += (1.0 if number is None else number) * unit
            last_unit, number = unit, None
        else:
            return None
    if number is not None:
        # 三千五 -> 3500, 一百五 -> 150; after a 零 (三千零五) the digit counts as itself
        total += number * (last_unit // 10 if last_unit > 1 and not zero and number < 10 else 1)
    return total


def parse_amount(text: str) -> float | None:
    """An amount of money or a count: ``5000``, ``5,000``, ``5k``, ``1.2万``, ``两千``, ``一万五``,
    ``1万2`` (12000), ``1万零500``. None when ``text`` is not one number."""
    text = text.strip().lower().replace(",", "").replace("k", "千").replace("w", "万")
    text = re.sub(r"(?:元|块钱?|rmb)$", "", text)
    if not text or text.count("万") > 1:
        return None
    high, sep, low = text.partition("万")
    if not sep:
        return _small(text)
    high_value = _small(high) if high else 1.0
    if high_value is None:
        return None
    if not low:
        return high_value * 10_000
    if re.fullmatch(r"[\d一二两三四五六七八九]", low):  # 1万2, 一万五: the next unit down is elided
        low_value = _small(low)
        return None if low_value is None else high_value * 10_000 + low_value * 1000
    low_value = _small(low.lstrip("零〇"))
    return None if low_value is None else high_value * 10_000 + low_value


# --------------------------------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class LoanFigures:
    """What a message says about one loan. Every field is optional: people give what they remember."""

    principal: float | None = None  # the amount on the contract ("借5000")
    received: float | None = None  # the money that actually reached the borrower ("到手4500")
    fees: float | None = None  # taken up front: 砍头息, service fees ("砍头息扣了500")
    instalments: int | None = None  # how many instalments ("分12期")
    instalment: float | None = None  # the amount of each ("每期还500")
    period_days: int = 30  # 30: monthly instalments; 7: weekly ("每周还")
    repayment: float | None = None  # one repayment of everything ("7天后还3000")
    term_days: int | None = None  # days until that repayment
    total: float | None = None  # everything repaid ("一共还6000")
    monthly_rate: float | None = None  # a stated rate per month, as a fraction ("月息1分" 0.01)
    daily_rate: float | None = None  # a stated rate per day ("日息万五" 0.0005, "日利率0.1%")
    interest: float | None = None  # interest stated as an amount per month ("每月利息300")

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self) if f.name != "period_days")

    @property
    def money_received(self) -> float | None:
        """The money actually received: stated, else the contract amount less the fees taken up front."""
        if self.received is not None:
            return self.received
        if self.principal is not None:
            return self.principal - (self.fees or 0.0)
        return None

    def merged(self, other: LoanFigures) -> LoanFigures:
        """These figures completed (and corrected) by ``other``'s: a later answer in a conversation."""
        changes = {
            f.name: getattr(other, f.name)
            for f in fields(other)
            if f.name != "period_days" and getattr(other, f.name) is not None
        }
        if other.instalments is not None or other.instalment is not None:
            changes["period_days"] = other.period_days
        return replace(self, **changes)


_THOUSANDS = regexes.lazy(r"(?<=\d)[,,](?=\d{3}(?!\d))")
_NOT_READ = regexes.lazy(r"[^\w\u3400-\u9fff.%‰]+")
_NO_DECIMAL_POINT = regexes.lazy(r"(?<!\d)\.|\.(?!\d)")


def _fold(message: str | bytes | None) -> str:
    """The message in the form the patterns read: NFKC, Simplified, lower case, thousands separators
    removed, punctuation as spaces (amounts keep their decimal point)."""
    text = unicodedata.normalize("NFKC", safe_text(message))
    text = to_simplified(text).lower()
    text = _THOUSANDS.sub("", text)
    text = _NOT_READ.sub(" ", text)
    return _NO_DECIMAL_POINT.sub(" ", text)


def parse_term(text: str) -> int | None:
    """Days in a loan term: "7天" 7, "两周" 14, "一个月" 30, "半个月" 15, "1年" 365; None otherwise."""
    text = text.replace(" ", "")
    fixed = {"半个月": 15, "半月": 15, "下个月": 30, "下月": 30, "半年": 180, "下周": 7, "下个星期": 7}
    if text in fixed:
        return fixed[text]
    text = re.sub(r"个(?=周|星期|礼拜)", "", text)
    m = re.fullmatch(rf"(?P<n>[\d.{_CN}]+)(?P<unit>天|日|周|星期|礼拜|个月|月|年)", text)
    if not m:
        return None
    n = parse_amount(m["n"])
    if n is None or n <= 0:
        return None
    unit = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7, "个月": 30, "月": 30, "年": 365}[m["unit"]]
    days = round(n * unit)
    return days if 0 < days <= MAX_TERM_DAYS else None


#: A stated rate: 1.5%, 1.5‰, 百分之一, 万分之五, 万五 (0.05 %), 1分 (1 %), 1分5 (1.5 %), 8厘 (0.8 %).
_RATE_VALUE = (
    rf"(?:[\d.]+\s*[%‰]|(?:百|千|万)分之[\d.{_CN}]+|万[\d一二两三四五六七八九](?![\d{_CN}])"
    rf"|[\d.{_CN}]+\s*分(?:[\d一二两三四五六七八九](?!\s*[期天月个]))?|[\d.{_CN}]+\s*厘)"
)


def parse_rate(text: str) -> float | None:
    """A stated rate as a fraction: "1.5%" 0.015, "万五" 0.0005, "1分" 0.01, "1分5" 0.015, "8厘" 0.008."""
    text = text.replace(" ", "")
    m = re.fullmatch(r"([\d.]+)([%‰])", text)
    if m:
        value = parse_amount(m[1])
        return None if value is None else value / (100 if m[2] == "%" else 1000)
    m = re.fullmatch(rf"(百|千|万)分之([\d.{_CN}]+)", text)
    if m:
        value = parse_amount(m[2])
        return None if value is None else value / {"百": 100, "千": 1000, "万": 10000}[m[1]]
    m = re.fullmatch(r"万([\d一二两三四五六七八九])", text)
    if m:
        value = parse_amount(m[1])
        return None if value is None else value / 10000
    m = re.fullmatch(rf"([\d.{_CN}]+)分([\d一二两三四五六七八九])?", text)
    if m:
        whole, tenth = parse_amount(m[1]), parse_amount(m[2]) if m[2] else 0.0
        return None if whole is None or tenth is None else (whole + tenth / 10) / 100
    m = re.fullmatch(rf"([\d.{_CN}]+)厘", text)
    if m:
        value = parse_amount(m[1])
        return None if value is None else value / 1000
    return None


_TERM = rf"(?:半个?月|下个?月|半年|下个?星期|下周|[\d.{_CN}]+\s*(?:天|日|个?周|个?星期|个?礼拜|个月|月|年))"
#: (field, pattern) in the order they are tried; each match's text is blanked so later patterns do not
#: read the same figure again ("每期还500" is no single repayment, "砍头息扣了500" no principal). Compiled by
#: :func:`_patterns` when a message first needs them (most messages state no money: ~0.03 s of a start).
_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    (
        "monthly_rate",
        rf"(?:月息|月利率|月利|月费率|每月利率|月费)\s*(?:是|为|才|只有|按)?\s*(?P<rate>{_RATE_VALUE})",
    ),
    (
        "daily_rate",
        rf"(?:日息|日利率|日利|日费率|每天利息|每日利息|天息)\s*(?:是|为|才|只有|按)?\s*(?P<rate>{_RATE_VALUE})",
    ),
    ("interest", rf"(?:每个?月|一个月|月)\s*(?:的)?\s*利?息\s*(?:是|为|要|收|交|付)?\s*{_AMT}"),
    (
        "instalment",
        rf"(?P<per>每期|每个?月|每周|每星期|每礼拜|月供|周供|一期|一个月|一月)\s*(?:要|需要|需|得|都)?\s*"
        rf"(?:还款?|还|供|扣款?|交|付)?\s*(?:了|的)?\s*(?:金额|是|为)?\s*{_AMT}",
    ),
    (
        "single",
        rf"(?P<term>{_TERM})\s*(?:后|之后|以后|到期|内)?\s*(?:就|要|需要|得|需|必须)?\s*"
        rf"(?:一次性|连本带息|全部)?\s*(?:还款?|归还|还了|还)\s*(?:了)?\s*{_AMT}",
    ),
    (
        "total",
        rf"(?:总共|一共|共计|合计|总计|总|连本带息|本息)\s*(?:要|需要|得|需)?\s*(?:还款?|还了|还|归还)?\s*"
        rf"(?:金额)?\s*(?:是|为)?\s*{_AMT}",
    ),
    ("due", rf"到期\s*(?:要|需要|得|需)?\s*(?:一次性|连本带息)?\s*(?:还款?|还|归还)\s*{_AMT}"),
    ("term", rf"(?:期限|借期|周期|借款期限|借了?)\s*(?:是|为)?\s*(?P<term>{_TERM})"),
    (
        "fees",
        rf"(?:{_FEE_WORDS})\s*(?:先|被|就|直接|又)?\s*(?:扣|收|要|交|付|拿)?\s*(?:了|掉|走)?\s*"
        rf"(?:是|为|有)?\s*{_AMT}",
    ),
    (
        "fees",
        rf"(?:先|提前|预先|直接|被)?\s*(?<!催)(?:扣|收)\s*(?:了|掉|走)?\s*(?:我)?\s*{_AMT}",
    ),
    (
        "received",
        r"(?:实际|实)?\s*(?:到手|到账|拿到手?|收到|下款|放款|打款|只给了?我?|只到了?|只下了?|实到)\s*"
        rf"(?:了|只有|只|才|就|的)*\s*(?:是|为|有)?\s*{_AMT}",
    ),
    (
        "principal",
        rf"(?:借款?|贷款?|本金|合同金额|合同上?写?的?|额度)\s*(?:了|钱|金额|本金)*\s*(?:是|为|写的是)?\s*{_AMT}",
    ),
    ("instalments", rf"(?<!第)(?:分|共|一共|总共)?\s*(?P<n>[\d{_CN}]+)\s*期(?!限)"),
    ("instalments", rf"分\s*(?P<n>[\d{_CN}]+)\s*个?月"),
    ("weeks", rf"分\s*(?P<n>[\d{_CN}]+)\s*(?:个?周|个?星期|个?礼拜)"),
    ("instalments", rf"还\s*(?P<n>[\d{_CN}]+)\s*个月"),
    # Last resorts: "还2000" with no term before it, a bare term ("期限" unsaid: "借3000 7天 到期还3500").
    ("due", rf"(?<!每)(?:要|需要|得|需)?\s*还(?:款|了)?\s*{_AMT}(?!\s*(?:个|期|天|周|星期|礼拜|年|月))"),
    (
        "bare_term",
        rf"(?<![\d.{_CN}])(?<!逾期)(?<!逾期 )(?<!拖了)(?<!逾)(?<!拖)(?<!超)(?<!晚)(?<!第)(?P<term>{_TERM})",
    ),
)


def _patterns() -> Iterator[tuple[str, re.Pattern[str]]]:
    """Each field's pattern in :data:`_PATTERN_SOURCES`' order, compiled once per process (:func:`faq.regexes.compiled`)."""
    return ((name, regexes.compiled(pattern)) for name, pattern in _PATTERN_SOURCES)


_WEEKLY = ("每周", "每星期", "每礼拜", "周供")


def parse_loan(message: str | bytes | None) -> LoanFigures:
    """The loan figures a message states (fields it does not state stay None). Never raises."""
    return _parse_folded(_fold(message))


def _parse_folded(text: str) -> LoanFigures:
    found: dict[str, Any] = {}
    for name, pattern in _patterns():
        for m in pattern.finditer(text):
            if _store(found, name, m):
                text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
                break
    return LoanFigures(**found)


def _leading_amount(text: str) -> float | None:
    """The longest prefix of ``text`` that is an amount ("500一期" -> 500)."""
    for end in range(len(text), 0, -1):
        value = parse_amount(text[:end])
        if value is not None:
            return value
    return None


#: One Chinese digit with no unit after it is a quantity word's head, not money ("还了一截", "一部分",
#: "一大半", "一些钱"), unless 元 or 块 follows ("还了五块").
_LONE_NUMERAL = regexes.lazy(r"[零〇一二两俩三四五六七八九]")
_CURRENCY_NEXT = regexes.lazy(r"\s*(?:元|块)")


def _store(found: dict[str, Any], name: str, m: re.Match[str]) -> bool:
    groups = m.groupdict()
    amt = groups.get("amt")
    if amt and _LONE_NUMERAL.fullmatch(amt) and not _CURRENCY_NEXT.match(m.string, m.end("amt")):
        return False
    amount = _leading_amount(amt) if amt else None
    if "amt" in groups and (amount is None or not 0 < amount <= MAX_AMOUNT):
        return False
    if name in ("monthly_rate", "daily_rate") and name not in found:
        rate = parse_rate(groups["rate"])
        if rate is None or not 0 < rate <= (0.5 if name == "monthly_rate" else 0.05):
            return False
        found[name] = rate
        return True
    if name == "interest" and "interest" not in found:
        found["interest"] = amount
        return True
    if name == "instalment" and "instalment" not in found:
        found["instalment"] = amount
        if groups["per"] in _WEEKLY:
            found["period_days"] = 7
        return True
    if name in ("single", "term", "bare_term") and "term_days" not in found:
        days = parse_term(groups["term"])
        if days is None:
            return False
        found["term_days"] = days
        if name == "single":
            found["repayment"] = amount
        return True
    if name == "due" and "repayment" not in found:
        found["repayment"] = amount
        return True
    if name in ("instalments", "weeks") and "instalments" not in found:
        count = parse_amount(groups["n"])
        if count is None or count != int(count) or not 1 <= count <= MAX_INSTALMENTS:
            return False
        found["instalments"] = int(count)
        if name == "weeks":
            found["period_days"] = 7
        return True
    if name in ("total", "fees", "received", "principal") and name not in found:
        found[name] = amount
        return True
    return False


# ------------------------------------------------------------------------------------------------ rate


@dataclass(frozen=True, slots=True)
class Missing:
    """The figures are not enough: what to ask for, most useful first (keys of ``rate.yaml`` ``ask:``)."""

    figures: LoanFigures
    needed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rate:
    """The annual rate of a loan, on the money actually received."""

    figures: LoanFigures
    received: float  # the base: money actually received (民法典 670)
    repaid: float  # everything paid back
    annual: float  # annual rate as a fraction (0.24 = 24 %)
    method: str  # "instalments", "single" or "interest_only" (interest monthly, the principal at the end)
    assumed_flat: bool = False  # a stated monthly rate on the principal each period (等本等息) was assumed

    @property
    def cost(self) -> float:
        """Interest and fees together: what is paid back beyond the money received."""
        return self.repaid - self.received

    @property
    def percent(self) -> float:
        return self.annual * 100

    @property
    def deducted(self) -> float:
        """How much of the contract amount never reached the borrower (砍头息 and fees up front)."""
        principal = self.figures.principal
        return max(0.0, principal - self.received) if principal is not None else 0.0


def annuity_pv(rate: float, payment: float, periods: int) -> float:
    """Present value of ``periods`` payments of ``payment`` at ``rate`` per period."""
    if abs(rate) < 1e-12:
        return payment * periods
    return payment * (1 - (1 + rate) ** -periods) / rate


def periodic_irr(received: float, payment: float, periods: int) -> float:
    """The rate per period at which ``periods`` equal payments repay ``received`` (bisection; the present
    value falls as the rate rises, so the root is unique)."""
    if received <= 0 or payment <= 0 or periods <= 0:
        raise ValueError("received, payment and periods must be positive")
    low, high = -0.9999, 1.0
    while annuity_pv(high, payment, periods) > received and high < 1e6:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if annuity_pv(mid, payment, periods) > received:
            low = mid
        else:
            high = mid
        if high - low < 1e-13:
            break
    return (low + high) / 2


def irr(received: float, payments: list[float]) -> float:
    """The rate per period at which ``payments`` (one at the end of each period) repay ``received``."""

    def pv(rate: float) -> float:
        return sum(p / (1 + rate) ** k for k, p in enumerate(payments, start=1))

    low, high = -0.9999, 1.0
    while pv(high) > received and high < 1e6:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if pv(mid) > received:
            low = mid
        else:
            high = mid
        if high - low < 1e-13:
            break
    return (low + high) / 2


def _monthly_interest(f: LoanFigures) -> float | None:
    """Interest per month a stated rate or amount means, on the contract amount (else the received)."""
    base = f.principal if f.principal is not None else f.received
    if f.interest is not None:
        return f.interest
    if base is None:
        return None
    if f.monthly_rate is not None:
        return base * f.monthly_rate
    if f.daily_rate is not None:
        return base * f.daily_rate * 30
    return None


def _stated(f: LoanFigures) -> bool:
    return f.monthly_rate is not None or f.daily_rate is not None or f.interest is not None


def _interest_only_months(f: LoanFigures) -> int | None:
    """Months of an interest-only loan (interest monthly, principal at the end): a stated monthly rate or
    amount with a term in whole months and nothing else said about the repayments."""
    if not _stated(f) or f.daily_rate is not None or f.instalments is not None:
        return None
    if f.instalment is not None or f.repayment is not None or f.total is not None:
        return None
    if f.term_days is None or f.term_days % 30 or _monthly_interest(f) is None:
        return None
    return f.term_days // 30


def needed(figures: LoanFigures) -> tuple[str, ...]:
    """What is missing to compute a rate (empty when nothing is)."""
    missing: list[str] = []
    received = figures.money_received
    if received is None or received <= 0:
        missing.append("received")
    f = figures
    if _interest_only_months(f):
        return tuple(missing)
    if f.instalments is not None and (f.instalment is not None or f.total is not None):
        return tuple(missing)
    if f.repayment is not None and f.term_days is not None:
        return tuple(missing)
    if f.total is not None and f.term_days is not None and f.instalments is None and f.instalment is None:
        return tuple(missing)
    if f.instalments is not None:
        missing.append("instalment")
    elif f.instalment is not None:
        missing.append("instalments")
    elif f.repayment is not None or f.total is not None:
        missing.append("term_days")
    elif f.term_days is not None:
        missing.append("repayment")
    else:
        missing.append("schedule")
    return tuple(missing)


def resolved(figures: LoanFigures) -> LoanFigures:
    """Figures read in the light of each other: a single repayment stated with instalments is their total
    ("分12期 还6000"); a term in months (or weeks) with a monthly (weekly) instalment is their count
    ("12个月 每月还500")."""
    f = figures
    interest = _monthly_interest(f)
    principal = f.principal if f.principal is not None else f.received
    if interest is not None and principal is not None and f.instalment is None and f.total is None:
        if f.instalments is not None and f.repayment is None:  # 等本等息: principal/n + interest each time
            per = interest * f.period_days / 30
            f = replace(f, instalment=principal / f.instalments + per)
        elif f.term_days is not None and f.repayment is None and (f.term_days % 30 or f.daily_rate):
            days = f.term_days
            if f.daily_rate is not None:
                f = replace(f, repayment=principal * (1 + f.daily_rate * days))
            else:
                f = replace(f, repayment=principal + interest * days / 30)
    if f.instalments is not None and f.instalment is None and f.total is None and f.repayment is not None:
        f = replace(f, total=f.repayment, repayment=None, term_days=None)
    if (
        f.instalment is not None
        and f.instalments is None
        and f.repayment is None
        and f.term_days is not None
        and f.term_days % f.period_days == 0
    ):
        f = replace(f, instalments=f.term_days // f.period_days, term_days=None)
    return f


def annual_rate(figures: LoanFigures) -> Rate | Missing:
    """The annual rate on the money actually received, or what is missing to compute it."""
    figures = resolved(figures)
    missing = needed(figures)
    if missing:
        return Missing(figures, missing)
    received = figures.money_received
    assert received is not None
    months = _interest_only_months(figures)
    interest = _monthly_interest(figures)
    principal = figures.principal if figures.principal is not None else received
    if months and interest is not None:
        payments = [interest] * months
        payments[-1] += principal
        repaid = sum(payments)
        annual = irr(received, payments) * 12 if repaid > received else (repaid / received - 1) * 12 / months
        return Rate(figures, received, repaid, annual, "interest_only")
    flat = _stated(figures) and figures.instalments is not None
    if figures.instalments is not None:
        n = figures.instalments
        payment = figures.instalment if figures.instalment is not None else (figures.total or 0.0) / n
        per_year = PERIODS_PER_YEAR.get(figures.period_days, 12)
        repaid = payment * n
        if repaid <= received:
            annual = (repaid / received - 1) * per_year / n  # no interest: zero or a (refund) discount
        else:
            annual = periodic_irr(received, payment, n) * per_year
        return Rate(figures, received, repaid, annual, "instalments", assumed_flat=flat)
    once = figures.repayment if figures.repayment is not None else figures.total
    days = figures.term_days
    assert once is not None and days is not None
    return Rate(figures, received, once, (once / received - 1) * 365 / days, "single")


def max_payment(received: float, annual: float, rate: Rate) -> float:
    """What the same plan would cost at most at ``annual`` (each instalment, or the single repayment)."""
    f = rate.figures
    if rate.method == "interest_only":
        return received * annual / 12
    if rate.method == "instalments":
        assert f.instalments is not None
        per = annual / PERIODS_PER_YEAR.get(f.period_days, 12)
        return received * per / (1 - (1 + per) ** -f.instalments)
    assert f.term_days is not None
    return received * (1 + annual * f.term_days / 365)


# ----------------------------------------------------------------------------------------------- texts


class RateTextsError(ValueError):
    """rate.yaml is missing, malformed or has a text with an unknown placeholder."""


#: Every text of rate.yaml and the placeholders it may use.
TEXT_FIELDS: dict[str, frozenset[str]] = {
    "heading": frozenset(),
    "received": frozenset({"received"}),
    "plan_instalments": frozenset({"n", "payment", "repaid", "unit"}),
    "plan_single": frozenset({"days", "repaid"}),
    "plan_interest_only": frozenset({"interest", "months", "principal", "repaid"}),
    "assumed_flat": frozenset({"n"}),
    "stated": frozenset({"stated", "nominal", "rate"}),
    "cost": frozenset({"cost"}),
    "rate": frozenset({"rate"}),
    "deducted": frozenset({"principal", "received", "deducted"}),
    "at_most": frozenset({"line", "amount", "what"}),
    "no_cost": frozenset(),
    "verdict_low": frozenset({"lpr4", "lpr", "lpr_date"}),
    "verdict_private": frozenset({"lpr4", "lpr", "lpr_date"}),
    "verdict_24": frozenset({"lpr4", "lpr", "lpr_date"}),
    "verdict_36": frozenset({"lpr4", "lpr", "lpr_date"}),
    "footer": frozenset(),
    "ask_intro": frozenset({"known"}),
    "known_none": frozenset(),
}
ASK_KEYS = ("received", "schedule", "instalments", "instalment", "term_days", "repayment")


@dataclass(frozen=True, slots=True)
class RateTexts:
    lpr: float  # the one-year LPR in percent
    lpr_date: dt.date  # the date it was published
    lpr_source: str
    texts: dict[str, str]
    ask: dict[str, str]  # what to ask for each missing figure

    @property
    def lpr4(self) -> float:
        return round(self.lpr * 4, 2)


def load_rate_texts(path: str | Path | None = None) -> RateTexts:
    """Read and validate ``rate.yaml`` (raises :class:`RateTextsError` naming the file and the key)."""
    path = Path(path or DEFAULT_RATE_PATH)
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RateTextsError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise RateTextsError(f"{path}: expected a mapping with lpr, texts and ask")
    lpr = data.get("lpr")
    if not isinstance(lpr, dict) or not isinstance(lpr.get("one_year"), int | float):
        raise RateTextsError(f"{path}: lpr.one_year must be a number (percent, e.g. 3.0)")
    if not 0 < float(lpr["one_year"]) < 20:
        raise RateTextsError(f"{path}: lpr.one_year {lpr['one_year']} is not a plausible percentage")
    date = lpr.get("date")
    if not isinstance(date, dt.date):
        raise RateTextsError(f"{path}: lpr.date must be a date (YYYY-MM-DD)")
    texts = _checked_texts(path, data.get("texts"), "texts", TEXT_FIELDS)
    ask = _checked_texts(path, data.get("ask"), "ask", dict.fromkeys(ASK_KEYS, frozenset()))
    return RateTexts(float(lpr["one_year"]), date, str(lpr.get("source") or ""), texts, ask)


def _checked_texts(
    path: Path, section: object, name: str, allowed: dict[str, frozenset[str]]
) -> dict[str, str]:
    if not isinstance(section, dict):
        raise RateTextsError(f"{path}: {name}: expected a mapping of texts")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise RateTextsError(f"{path}: {name}: unknown key(s) {', '.join(map(str, unknown))}")
    out: dict[str, str] = {}
    for key, placeholders in allowed.items():
        value = section.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RateTextsError(f"{path}: {name}.{key}: missing or empty text")
        try:
            value.format(**dict.fromkeys(placeholders, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise RateTextsError(
                f"{path}: {name}.{key}: bad placeholder {exc}; allowed: {sorted(placeholders) or 'none'}"
            ) from exc
        out[key] = value.strip()
    return out


def _money(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def explain(result: Rate, texts: RateTexts) -> str:
    """The answer, short first: the rate and what it means, then the figures it was computed from (money
    received, 砍头息, the plan, the total cost), what the same plan would cost at 24 %, the footer."""
    t = texts.texts
    f = result.figures
    head: list[str] = []
    if result.cost <= 0:
        head.append(t["no_cost"])
    else:
        head.append(t["rate"].format(rate=f"{result.percent:.1f}"))
        lpr = {"lpr4": f"{texts.lpr4:g}", "lpr": f"{texts.lpr:g}", "lpr_date": texts.lpr_date.isoformat()}
        percent = round(result.percent, 1)
        if percent <= texts.lpr4:
            head.append(t["verdict_low"].format(**lpr))
        elif percent <= 24:
            head.append(t["verdict_private"].format(**lpr))
        elif percent <= 36:
            head.append(t["verdict_24"].format(**lpr))
        else:
            head.append(t["verdict_36"].format(**lpr))
    lines = [t["heading"], t["received"].format(received=_money(result.received))]
    if result.deducted > 0 and f.principal is not None:
        lines.append(
            t["deducted"].format(
                principal=_money(f.principal),
                received=_money(result.received),
                deducted=_money(result.deducted),
            )
        )
    if result.method == "instalments":
        assert f.instalments is not None
        payment = result.repaid / f.instalments
        unit = "周" if f.period_days == 7 else "月"
        lines.append(
            t["plan_instalments"].format(
                n=f.instalments, payment=_money(payment), repaid=_money(result.repaid), unit=unit
            )
        )
        if result.assumed_flat:
            lines.append(t["assumed_flat"].format(n=f.instalments))
    elif result.method == "interest_only":
        months = (f.term_days or 0) // 30
        interest = _monthly_interest(f) or 0.0
        principal = f.principal if f.principal is not None else result.received
        lines.append(
            t["plan_interest_only"].format(
                interest=_money(interest),
                months=months,
                principal=_money(principal),
                repaid=_money(result.repaid),
            )
        )
    else:
        lines.append(t["plan_single"].format(days=f.term_days, repaid=_money(result.repaid)))
    stated = _stated_rate(f)
    if stated is not None and result.cost > 0:
        lines.append(t["stated"].format(stated=stated[0], nominal=stated[1], rate=f"{result.percent:.1f}"))
    if result.cost > 0:
        lines.append(t["cost"].format(cost=_money(result.cost)))
    if result.percent > 24:
        most = max_payment(result.received, 0.24, result)
        what = {"instalments": "每期", "interest_only": "每月利息"}.get(result.method, "到期一共")
        lines.append(t["at_most"].format(line="24", amount=_money(most), what=what))
    return "\n\n".join(["\n".join(head), "\n".join(lines), t["footer"]])


def _stated_rate(f: LoanFigures) -> tuple[str, str] | None:
    """The rate as the lender states it and the annual figure it seems to mean ("月息1%", "12")."""
    if f.monthly_rate is not None:
        return f"月息{f.monthly_rate * 100:g}%", f"{f.monthly_rate * 1200:.4g}"
    if f.daily_rate is not None:
        return f"日息{f.daily_rate * 100:g}%", f"{f.daily_rate * 36500:.4g}"
    return None


def ask_for(missing: Missing, texts: RateTexts) -> str:
    """What is missing, as a question to the borrower, with what was understood so far."""
    f = missing.figures
    known: list[str] = []
    if f.principal is not None:
        known.append(f"借款{_money(f.principal)}元")
    if f.received is not None:
        known.append(f"到手{_money(f.received)}元")
    if f.fees is not None:
        known.append(f"先扣{_money(f.fees)}元")
    if f.instalments is not None:
        known.append(f"分{f.instalments}期")
    if f.instalment is not None:
        known.append(f"每期还{_money(f.instalment)}元")
    if f.repayment is not None:
        known.append(f"一次还{_money(f.repayment)}元")
    if f.term_days is not None:
        known.append(f"{f.term_days}天")
    if f.total is not None:
        known.append(f"一共还{_money(f.total)}元")
    stated = _stated_rate(f)
    if stated is not None:
        known.append(stated[0])
    if f.interest is not None:
        known.append(f"每月利息{_money(f.interest)}元")
    intro = texts.texts["ask_intro"].format(known=",".join(known) if known else texts.texts["known_none"])
    return "\n".join([intro, *(f"• {texts.ask[key]}" for key in missing.needed)])


# -------------------------------------------------------------------------------------- message check

#: Words that ask about a loan's cost: with a figure, a message is a rate question even when figures
#: are missing ("借了10000 这个利息合法吗").
_RATE_WORDS = regexes.lazy(r"利息|利率|年化|息|高利贷|合法吗|砍头|手续费|服务费|贵不贵|划算|多少钱利|irr|apr")


def asks_about_cost(text: str) -> bool:
    """Whether a message (or one of its questions) speaks of a loan's cost: 利息, 利率, 合法吗, 手续费 ..."""
    return bool(_RATE_WORDS.search(_fold(text)))


#: Words of a collection question: computable figures in such a message without words about the cost
#: ("借了1万 分12期 每期还1000 逾期30天会怎样") are background, not the question.
_OVERDUE_WORDS = regexes.lazy(r"逾期|催收|拖了|拖欠|还不上|还不起|没还|爆通讯录|起诉|上门|征信")


#: Charges for paying late: "逾期10天 罚息已经500了 这么高合法吗" asks about the penalty of being overdue
#: (answered with the day count), not for the loan's rate.
_PENALTY_WORDS = regexes.lazy(r"罚息|违约金|滞纳金|逾期费|逾期利息")


#: A loan request or a comparison of lenders: never answered with a rate (the bot recommends no lender).
_LOAN_REQUEST = regexes.lazy(
    r"哪个平台|哪家|哪个app|推荐|哪里(?:能)?借|去哪借|能借到|想借|口子|下款快|好下款|利息最低"
)


def is_rate_message(message: str | bytes | None, figures: LoanFigures | None = None) -> bool:
    """Whether a message asks for a loan's rate: figures enough to compute one (unless it is a collection
    question that only mentions them), or any figure together with words about the cost ("借了10000
    这个利息合法吗"). "借了5000逾期10天会怎样" is neither."""
    text = _fold(message)
    return _is_rate_folded(text, figures if figures is not None else _parse_folded(text))


#: A numeral: every amount (``_AMT``) starts with one, so a message without any states no money.
_NUMERAL = regexes.lazy(rf"[\d{_CN}]")


def rate_figures(message: str | bytes | None) -> LoanFigures | None:
    """The figures of a message that asks for a loan's rate (see :func:`is_rate_message`), else None: the
    message is folded once, and one without a numeral (most messages) is settled by one search."""
    text = _fold(message)
    if not _NUMERAL.search(text) or _states_no_money(text):
        return None  # no amount can be read: no money figure, so no rate question
    figures = _parse_folded(text)
    return figures if _is_rate_folded(text, figures) else None


#: A run of an amount's characters (see _NUM), and one of digits and Chinese numerals only.
_NUMERAL_RUN = regexes.lazy(rf"[\d{_CN}][\d.{_CN}kw]*")
_PLAIN_RUN = regexes.lazy(rf"[\d{_CN}]+")
#: What may follow a count ("逾期15天", "打了3次", "两个星期") where it is no amount (_AMT's exclusions) and no
#: pattern of _PATTERN_SOURCES starts: not 周 (周期, a term's lead) nor 分 (分N期); 天 and 日 lead only the rates' words.
_AFTER_A_COUNT = frozenset("天日次个星礼年号点小条通笔半")
#: Every rate pattern's lead word holds one of these (月息, 月利率, 月费, 日息, 天息, 每天利息 ...).
_RATE_LEAD_CHARS = ("息", "利", "费")
_AMOUNT = regexes.lazy(_AMT)


def _states_no_money(text: str) -> bool:
    """Whether :func:`_parse_folded` of ``text`` (folded) can read no money figure (principal, received, fees,
    instalment, repayment, total, interest), so that :func:`_is_rate_folded` is false, without trying its patterns
    (a message with a day count and no amount, "逾期15天了": most messages with a numeral). True only when no amount
    is anywhere in the text (every money pattern holds _AMT), no rate's lead word is (nor is a rate then, from
    which :func:`resolved` could compute an amount), and every run of numerals is made of digits and numerals
    only and followed by a unit of _AFTER_A_COUNT: the patterns that can still match (a term, a count of
    instalments) then blank out a run with its unit, or words that follow no run, never what follows a run or
    its tail, so that no amount appears as the patterns blank out what they read."""
    if any(lead in text for lead in _RATE_LEAD_CHARS) or _AMOUNT.search(text) is not None:
        return False
    for run in _NUMERAL_RUN.finditer(text):
        end = run.end()
        if end >= len(text) or text[end] not in _AFTER_A_COUNT or not _PLAIN_RUN.fullmatch(run.group()):
            return False
    return True


def _is_rate_folded(text: str, figures: LoanFigures) -> bool:
    f = resolved(figures)
    if f.empty:
        return False
    if _LOAN_REQUEST.search(text):
        return False  # "想分12期借两万 哪家的利息最低": asking for a loan (refused elsewhere), not a rate
    money = (f.principal, f.received, f.fees, f.instalment, f.repayment, f.total, f.interest)
    if all(v is None for v in money):
        return False  # a term or a count alone ("一天打了5个电话合法吗") is no loan's figure
    asks_cost = bool(_RATE_WORDS.search(text))
    if not needed(f):
        return asks_cost or not _OVERDUE_WORDS.search(text)
    # Too few figures for a rate: a question about the penalty of being overdue is no rate question.
    return asks_cost and not (_PENALTY_WORDS.search(text) and _OVERDUE_WORDS.search(text))
