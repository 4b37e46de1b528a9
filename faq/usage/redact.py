"""Redaction of personal data in a user's message before it is kept in the usage log.

:func:`redact` replaces, in this order,

* e-mail addresses -> ``<邮箱>``, WeChat / QQ / Telegram account names given after 微信/vx/qq/@ -> ``<账号>``;
* every run of digits (up to two spaces and one dash, dot, slash or underscore between digits allowed, an
  optional leading ``+``, an optional trailing ``X`` of an ID card; dates such as 2024-03-15 or
  2024.3.15 stay) classified by its digits: mainland mobiles (``1[3-9]`` + 9
  digits, with ``+86`` / ``86`` or not) and landlines (``0`` + 2-3 digit area code + 7-8 digits, or with
  the area code in brackets) -> ``<电话>``, 18-digit (last one may be X) and 15-digit resident ID numbers
  -> ``<身份证>``, other 13-19 digit runs -> ``<银行卡>``, any other run of 7 or more digits -> ``<号码>``;
  runs of 7 or more digits spelt in Chinese or mixed (一三八..., 幺三八, 壹叁捌, 138一二三四5678, 一三八 一二三四
  五六七八) -> ``<号码>``;
* amounts of money, all of them: a number with a money unit (5000元, 3万, 1.5w, 两千块, 一万五), after a
  currency sign (¥5000), or right after 欠/借/还/贷/本金/利息/额度... (欠了5000, 借我3000) -> ``<金额>``;
* Chinese personal names in debt phrases: a common surname plus one or two characters right before
  欠/借/还 (张三欠了..., 我跟李四借...) or right after 借给/还给/欠 and before an amount (借给李四3万)
  -> ``<姓名>``. Names are only recognised in these phrases; words that merely start with a surname
  character (马上还, 周末还, 何时还, 白条还) are left alone;
* personal names where people introduce or mention someone (:mod:`faq.usage.names`): 我叫X, 名字叫X, 姓名X,
  本人X, 我是X, 我老婆/我老公/我妈/我朋友/紧急联系人X, 他叫X, X是我..., and the surname after 姓
  (我姓王), in Simplified and Traditional script -> ``<姓名>``.

Any run of digits long enough to identify a person (7 or more) is replaced whatever it turns out to be, so
that a phone, ID or card number never survives even when it is written oddly. Day counts, dates and small
numbers stay: the FAQ needs them. Everything here is pure and has no state.
"""

from __future__ import annotations

import re

from faq.usage.names import find_names, replace_spans

PHONE = "<电话>"
ID_CARD = "<身份证>"
BANK_CARD = "<银行卡>"
EMAIL = "<邮箱>"
AMOUNT = "<金额>"
NAME = "<姓名>"
ACCOUNT = "<账号>"
NUMBER = "<号码>"
PLACEHOLDERS = (PHONE, ID_CARD, BANK_CARD, EMAIL, AMOUNT, NAME, ACCOUNT, NUMBER)

#: Longer texts are cut before redaction (Telegram allows 4096 characters; questions are far shorter).
MAX_TEXT_CHARS = 1000

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋－．／Ｘｘ", "0123456789+-./Xx")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_ACCOUNT = re.compile(
    r"(?i)(?P<label>微信号?|vx|wx|v信|qq号?|wechat|telegram|tg|电报)(?P<sep>\s*(?:号|是|:|：)?\s*)"
    r"(?P<id>[A-Za-z][A-Za-z0-9_\-]{4,29})"
)
_AT_USERNAME = re.compile(r"(?<![A-Za-z0-9._%+\-])@[A-Za-z][A-Za-z0-9_]{4,31}")
_BRACKETED_LANDLINE = re.compile(r"[(（]\s*0\d{2,3}\s*[)）]\s*-?\s*\d{7,8}(?!\d)")
# A run of digits, optional leading +, optional trailing X (ID cards). Between two digits: up to two spaces, a
# dash, dot, underscore or middle dot, up to two spaces (138 1234 5678, 138-1234-5678, 138.1234.5678,
# 138 - 1234 - 5678 and 138  1234  5678 are all one run).
_SPACE = r"[ \t\u3000]{0,2}"
_DIGIT_SEPARATOR = rf"{_SPACE}[\-./\u2010-\u2015_\u00b7]?{_SPACE}"
_DIGIT_RUN = re.compile(rf"(?<!\d)\+?\d(?:{_DIGIT_SEPARATOR}\d)*+(?:[Xx](?![A-Za-z]))?")
# 2024-03-15, 2024.3.15, 2024/3/15: a date stays (a due date helps the FAQ; it does not identify anyone).
_DATE = re.compile(
    rf"(?:19|20)\d\d{_SPACE}(?P<sep>[\-./]){_SPACE}(?:0?[1-9]|1[0-2]){_SPACE}(?P=sep){_SPACE}(?:0?[1-9]|[12]\d|3[01])"
)
# Digits spelt in Chinese (一三八, 幺, financial 壹贰叁), alone or mixed with Arabic ones (138一二三四5678), with
# the same separators as Arabic runs: 7 or more of them are a number.
_CN_DIGITS = "零〇一二三四五六七八九幺两壹贰貳叁參叄肆伍陆陸柒捌玖"
_CHINESE_DIGIT_RUN = re.compile(rf"[0-9{_CN_DIGITS}](?:{_DIGIT_SEPARATOR}[0-9{_CN_DIGITS}])*+")

_CN_DIGIT = "一二两三四五六七八九十"
_CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_APPROX = r"(?:多|余|来|几)?"
_MONEY_UNIT = r"(?:块钱|块|元|圆|万元|万块|万|千元|千块|千|百元|百块|[wWkK](?![A-Za-z])|rmb|RMB|人民币)"
_ARABIC = r"\d++(?:[,，]\d{3})*+(?:\.\d+)?+"
_DIGIT_AMOUNT = re.compile(rf"(?<![\d.,]){_ARABIC}\s?{_APPROX}\s?{_MONEY_UNIT}")
# 两千块, 三万, 一万五, 五千多: a Chinese number containing 百/千/万/亿 or followed by 块/元.
_CN_AMOUNT = re.compile(
    rf"(?<![{_CN_NUMERAL}])(?:[{_CN_DIGIT}][{_CN_NUMERAL}]*+(?:块钱|块|元)"
    rf"|[{_CN_DIGIT}][{_CN_NUMERAL}]*?{_APPROX}[百千万亿][{_CN_NUMERAL}]*+{_APPROX}(?:块钱|块|元)?)"
    r"(?!(?:多|余|来|几)?[天日号个月年期次周岁小时分点倍条家笔人位遍句])"
)
# A long number followed by a money unit was an amount.
_NUMBER_AMOUNT = re.compile(rf"{re.escape(NUMBER)}\s?{_APPROX}\s?{_MONEY_UNIT}")
_CURRENCY_AMOUNT = re.compile(rf"[¥￥$]\s?{_ARABIC}")
_NOT_MONEY_AFTER = r"(?!\s*(?:多|余|来|几)?\s*(?:天|日|号|个|月|年|期|次|周|星期|小时|点|分|岁|%|倍|条|家|笔|位|人|楼|栋|室))"
_VERB_AMOUNT = re.compile(
    r"(?P<pre>(?:欠|借|还|贷|额度|本金|利息|罚息|金额|总共|一共|共)(?:了|过|款|钱)?(?:给?[我你他她们]{1,2}了?)?"
    r"(?:的|是|有|为|[:：])?\s?)"
    rf"(?P<num>(?<![\d.]){_ARABIC}){_NOT_MONEY_AFTER}"
)

# Common single-character surnames. Characters that mostly start ordinary words in this domain
# (于 向 万 金 钱 方 白 任 龙 江 石 陆 ...) are left out on purpose: a missed name costs less than a mangled
# question.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢"
    "姜崔钟谭汪范廖贾夏韦付傅邹孟熊秦邱尹薛闫阎段雷侯史陶黎贺顾毛郝龚邵严覃武戴莫孔汤"
)
# Characters that do not occur in the given names this heuristic is for, but do in words that start with a
# surname character: 马上, 周末, 何时, 高利贷, 宋体, 白条...
_NOT_IN_GIVEN_NAME = set(
    "上末时候利贷款额息钱费月天年期次号后前里面都也就还要会能不没已在是的了我你他她它们先再又才该想得可"
    "去来到说让被把给向跟和一每些个这那哪什么怎啥吗呢吧啊呀条呗花宝分所金银行网平台币卡口子中间全部"
    "快慢多少几欠借催收逾打电话信用征通讯录家人公司法律经序重病事子"
)
_GIVEN = "[\u4e00-\u9fff]"
_NAME_BEFORE_VERB = re.compile(
    rf"(?P<name>[{_SURNAMES}]{_GIVEN}{_GIVEN}?)(?=(?:又|也|还)?(?:欠|借|还)(?!款|贷|呗|条))"
)
_NAME_AFTER_VERB = re.compile(
    r"(?:(?<=借给)|(?<=还给)|(?<=转给)|(?<=欠了)|(?<=借了)|(?<=欠))"
    rf"(?P<name>[{_SURNAMES}]{_GIVEN}{_GIVEN}?)(?={re.escape(AMOUNT)})"
)
# 欠张三5000, 借给李四3000: a name between the verb and a bare number.
_NAME_THEN_NUMBER = re.compile(
    rf"(?P<pre>欠了?|借给|还给|转给|借了)(?P<name>[{_SURNAMES}]{_GIVEN}{_GIVEN}?)(?P<num>(?<![\d.]){_ARABIC})"
    rf"{_NOT_MONEY_AFTER}"
)
# What may stand right before a name that starts a debt phrase.
_NAME_LEFT_CONTEXT = set("给向跟和帮替找问被让叫是了友事学戚居哥姐弟妹爸妈叔姨舅婆公")
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


def redact(text: str) -> str:
    """``text`` with phone, ID-card, bank-card and other long numbers, e-mail addresses, account names,
    amounts of money and names in debt phrases replaced by placeholders (see the module docstring)."""
    text = clean(text)
    text = _EMAIL.sub(EMAIL, text)
    text = _ACCOUNT.sub(lambda m: f"{m.group('label')}{m.group('sep')}{ACCOUNT}", text)
    text = _AT_USERNAME.sub(ACCOUNT, text)
    text = _BRACKETED_LANDLINE.sub(PHONE, text)
    text = _DIGIT_RUN.sub(_classify_digit_run, text)
    text = _CHINESE_DIGIT_RUN.sub(_chinese_digit_run, text)
    text = _redact_amounts(text)
    text = _redact_names(text)
    text = replace_spans(text, find_names(text), NAME)
    return _cut(text)


def clean(text: str) -> str:
    """Valid UTF-8 without NUL or control characters (PostgreSQL refuses NUL), cut to MAX_TEXT_CHARS, with
    full-width digits made ASCII so that the patterns see them."""
    text = text[:MAX_TEXT_CHARS].encode("utf-8", errors="replace").decode("utf-8")
    return _CONTROL.sub(" ", text).translate(_FULLWIDTH_DIGITS)


def _cut(text: str) -> str:
    """At most MAX_TEXT_CHARS characters, never ending inside a placeholder (so that redacting the result
    again changes nothing)."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    text = text[:MAX_TEXT_CHARS]
    opening = text.rfind("<")
    if opening > text.rfind(">") and any(p.startswith(text[opening:]) for p in PLACEHOLDERS):
        text = text[:opening]
    return text


def strip_placeholders(text: str) -> str:
    """``text`` without the placeholders (for grouping and matching: ``<电话>`` must not read as 电话)."""
    return _PLACEHOLDER.sub(" ", text)


def classify_number(run: str) -> str | None:
    """The placeholder for one run of digits (as :data:`_DIGIT_RUN` finds them), or None to keep it."""
    has_x = run[-1:] in ("X", "x")
    digits = re.sub(r"\D", "", run)
    n = len(digits)
    if (n == 13 and digits.startswith("86") and _is_mobile(digits[2:])) or (
        n == 15 and digits.startswith("0086") and _is_mobile(digits[4:])
    ):
        return PHONE
    if n == 11 and _is_mobile(digits) and not has_x:
        return PHONE
    if (n == 17 and has_x) or (n == 18 and _looks_like_id18(digits)):
        return ID_CARD
    if n == 15 and _looks_like_id15(digits):
        return ID_CARD
    if 10 <= n <= 12 and digits.startswith("0") and not digits.startswith("00"):
        return PHONE
    if 13 <= n <= 19:
        return BANK_CARD
    if n >= 7 or (has_x and n >= 6):
        return NUMBER
    return None


def _classify_digit_run(match: re.Match[str]) -> str:
    run = match.group()
    if _DATE.fullmatch(run):
        return run
    return classify_number(run) or run


def _chinese_digit_run(match: re.Match[str]) -> str:
    run = match.group()
    digits = sum(1 for ch in run if ch.isdigit() or ch in _CN_DIGITS)
    return NUMBER if digits >= 7 and not run.isascii() else run


def _is_mobile(digits: str) -> bool:
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


def _valid_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2099


def _looks_like_id18(digits: str) -> bool:
    """Area code, birth date YYYYMMDD, sequence, check digit (not verified: a typo must still be hidden)."""
    return digits[0] != "0" and _valid_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))


def _looks_like_id15(digits: str) -> bool:
    return digits[0] != "0" and _valid_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))


def _redact_amounts(text: str) -> str:
    text = _CURRENCY_AMOUNT.sub(AMOUNT, text)
    text = _DIGIT_AMOUNT.sub(AMOUNT, text)
    text = _CN_AMOUNT.sub(AMOUNT, text)
    text = _VERB_AMOUNT.sub(lambda m: m.group("pre") + AMOUNT, text)
    return _NUMBER_AMOUNT.sub(AMOUNT, text)


def _redact_names(text: str) -> str:
    text = _NAME_THEN_NUMBER.sub(_name_then_number, text)
    text = _sub_names(_NAME_BEFORE_VERB, text, left_context=True)
    return _sub_names(_NAME_AFTER_VERB, text, left_context=False)


def _sub_names(pattern: re.Pattern[str], text: str, left_context: bool) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if any(ch in _NOT_IN_GIVEN_NAME for ch in name[1:]):
            return name
        if left_context and not _starts_debt_phrase(text, m.start()):
            return name
        return NAME

    return pattern.sub(replace, text)


def _name_then_number(m: re.Match[str]) -> str:
    if any(ch in _NOT_IN_GIVEN_NAME for ch in m.group("name")[1:]):
        return m.group()
    return m.group("pre") + NAME + AMOUNT


def _starts_debt_phrase(text: str, start: int) -> bool:
    """A name may only start at the beginning of a clause or after a word that introduces a person."""
    if start == 0:
        return True
    before = text[start - 1]
    return not ("\u4e00" <= before <= "\u9fff") or before in _NAME_LEFT_CONTEXT
