"""Personal names where people introduce or mention someone, for :mod:`faq.usage.redact`.

Borrowers write "我叫王小明,逾期30天了", "我老婆李娜被催收打电话", "紧急联系人是张伟", "王强是我朋友",
"本人姓刘". :func:`find_names` returns the spans of such names; it reads a Simplified view of the text (OpenCC,
character by character, so that spans are the same in the original), so Traditional text is read the same way.

A name is looked for only right after a *trigger*, and what is taken depends on how surely a name follows:

* strong triggers (我叫, 名字叫, 姓名, 真名...): a common surname (single or compound) and one or two more
  characters, two or three characters without a surname (我叫小明), or up to three words in Latin letters
  (我叫Wang Xiaoming);
* person triggers (我是, 我係, 本人, 他叫, 我老婆/我老公/我妈/我朋友/紧急联系人... with an optional 是/叫/:),
  a name at the start of a clause followed by 是我/是本人, and a name alone at the start of the message or a
  line, before punctuation ("李娜，30岁，欠了网贷"): a common surname that is not mostly a function word
  (not 和 来 都 ...) and one or two more characters, unless the text there starts with an ordinary word;
* 姓 (我姓王, 免贵姓欧阳): the surname alone.

Given-name characters never include function words, pronouns or words of this domain (逾 欠 借 被 的 了 ...),
so a name ends where the sentence goes on without punctuation ("我老公王强网贷逾期" -> 王强).

*Ordinary words* are what keeps 我是学生, 我是高中生, 我是武汉的, 我老公单位, 本人马上还 and lender names such
as 安逸花 or 平安普惠 whole: jieba's dictionary words of 2-4 characters that start with a surname character, are
not tagged as a person's name and are frequent (at least :data:`ORDINARY_MIN_FREQ`; at this level 5 of 4,218
common full names collide, e.g. 苏丹), plus :data:`EXTRA_ORDINARY_WORDS`. The dictionary is read once, on first
use (about 0.2 s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

from faq.normalize import to_simplified

#: About 400 common single-character surnames (Simplified), roughly by frequency.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑"
    "景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井"
    "祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆"
    "茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
#: Compound surnames (欧阳娜娜, 司马光).
COMPOUND_SURNAMES = frozenset(
    """欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闾丘 澹台 公冶 宗政 濮阳
    淳于 单于 太叔 申屠 公羊 赫连 南宫 西门 呼延 端木 独孤 万俟 百里 东郭 第五 左丘 梁丘 拓跋 司空 仲孙 亓官
    司寇 巫马 公西 漆雕 乐正 壤驷 谷梁 宰父 夹谷 微生 羊舌 鲜于 闻人 东门 公良 段干 范姜 张简""".split()
)
#: Surnames that are far more often a function word or the start of an ordinary word than a name after
#: 我是 / 本人 / 我老婆 ...: after those triggers they do not start a name (after 我叫 and 姓 they do).
FUNCTION_SURNAMES = frozenset(
    "和来都但由那於时成全国公相信利干元花阿乐门区位原初计支解管路连项车房包关平普容修况宿盖练巴索宣印战危居"
    "展阴智幸富衣束植奉闭斯揭呼勾宾哈亢银隆鲜母乌伏戈云满盘皮劳南官商师边应米席费景简吉古司阳农明左强权海伊"
    "闻楼豆帅井祖丰卿敬晋诸慕羊雍薄鹿玉湛戎尉冶檀昝衡尧"
)
#: Characters that do not occur in given names but right after them: function words, pronouns, verbs and
#: words of this domain. A name ends before them.
NOT_IN_GIVEN_NAME = frozenset(
    "的了是在也都就还和跟与及或而且并但却又再才已曾将要会能想该得着过吗呢吧啊呀哦嗯啦么嘛哪那这此其各每某些"
    "个只条次回遍日年号时分秒岁点块第逾期欠借贷款债催收打电话短信发给被把让叫找问说讲告诉知看听见接到去来从"
    "向对于比按照因为所以如果虽不没无别非我你他她它们您咱俺自己本人里外上下前后内部都用户员工司网台法律院"
    "警察局投诉举报录通讯联系紧急址住手机身份证码卡行钱息费罚怎么什啥谁几多少今昨现最很太更还总共老婆公妈爸"
    "哥姐弟妹儿女朋友同事亲戚表堂舅姑姨叔婆岳领导板吃喝拿做干办弄搞帮替请求喊骂吓逼威胁恐"
)
#: Ordinary words that start with a surname character and that jieba's dictionary misses or tags as a name:
#: lenders and products, places, roles.
EXTRA_ORDINARY_WORDS = frozenset(
    """安逸花 任性付 平安普惠 华为 苏宁 易鑫 陆金所 钱站 钱包 万达 乐信 浦发 白条 金条 花呗 分期乐 马上消费
    宁波银行 华夏银行 温州 常州 石家庄 金融 信用卡 信用 付款 付费 付息 余额 余款 高炮 高利贷 高息 白户 黑户
    单亲 单身 全职 应届 房东 房贷 车贷 车主 党员 程序员 上班族 王者荣耀 欧阳 东方 上官 百里 第五 西门 南宫""".split()
)
ORDINARY_MIN_FREQ = 100

_STRONG_TRIGGERS = (
    "我叫 我叫做 我名叫 本人叫 名叫 叫做 名字叫 名字是 名字为 名字 姓名是 姓名为 姓名叫 姓名 全名叫 全名是 全名 "
    "真名叫 真名是 真名 真实姓名是 真实姓名 本名叫 本名是 本名"
).split()
_PERSON_TRIGGERS = (
    "我是 我系 他是 她是 本人是 本人 他叫 她叫 叫 老婆 老公 妻子 丈夫 爱人 媳妇 太太 对象 男朋友 女朋友 男友 女友 "
    "妈妈 爸爸 老妈 老爸 母亲 父亲 妈 爸 哥哥 姐姐 弟弟 妹妹 哥 姐 弟 妹 儿子 女儿 朋友 同事 同学 室友 亲戚 "
    "表哥 表姐 表弟 表妹 堂哥 堂姐 舅舅 姑姑 阿姨 叔叔 婆婆 公公 岳父 岳母 老板 领导 紧急联系人 紧急联络人 "
    "联系人 联络人 担保人 借款人 催收员"
).split()
_SURNAME_TRIGGER = "姓"
#: Between a trigger and the name: spaces, a colon, quotes, and 是 / 叫 / 为 ("紧急联系人是张伟", "我老婆叫李娜").
_SEPARATOR = re.compile(r"[\s:：\"'“”‘’「」『』]*(?P<verb>是|叫|为|名叫)?[\s:：\"'“”‘’「」『』]*")
_TRIGGERS = re.compile(
    "|".join(
        re.escape(t)
        for t in sorted({*_STRONG_TRIGGERS, *_PERSON_TRIGGERS, _SURNAME_TRIGGER}, key=len, reverse=True)
    )
)
_STRONG = frozenset(_STRONG_TRIGGERS)
# A name at the start of a clause, followed by 是我 / 是本人 ("王强是我朋友"): the name is the text before.
_IS_ME = re.compile(r"是(?:我|本人)")
# A name alone at the start of the message or a line, then punctuation ("李娜，30岁，欠了网贷").
_SIGNED = re.compile(r"(?m)^[\s\"'“‘「『]*(?P<name>[\u4e00-\u9fff]{2,4})(?=[\s,，.。、;；:：!！?？~～)）])")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# After a strong trigger, a name in Latin letters: "我叫Wang Xiaoming", "姓名: Li Na".
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z'\-]{1,19}(?: [A-Za-z][A-Za-z'\-]{0,19}){0,2}")


def find_names(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of personal names in ``text``, sorted and not overlapping."""
    view = simplified_view(text)
    spans: list[tuple[int, int]] = []
    for m in _TRIGGERS.finditer(view):
        trigger = m.group()
        if trigger == _SURNAME_TRIGGER:
            before = view[max(m.start() - 2, 0) : m.start()]
            if before.endswith("百") or (before.endswith("贵") and before != "免贵"):  # 老百姓, 您贵姓
                continue
            start = _skip_spaces(view, m.end())
            end = _surname_end(view, start, SURNAMES)
            if end:
                spans.append((start, end))
            continue
        sep = _SEPARATOR.match(view, m.end())
        assert sep is not None  # it matches the empty string
        start = sep.end()
        strong = trigger in _STRONG or sep.group("verb") in ("叫", "名叫")
        latin = _LATIN_NAME.match(view, start) if strong else None
        end = latin.end() if latin else _name_end(view, start, strong)
        if end:
            spans.append((start, end))
    for m in _IS_ME.finditer(view):
        spans += _name_before(view, m.start())
    for m in _SIGNED.finditer(view):
        if _name_end(view, m.start("name"), strong=False) == m.end("name"):
            spans.append((m.start("name"), m.end("name")))
    return merge_spans(spans)


def replace_spans(text: str, spans: Sequence[tuple[int, int]], placeholder: str) -> str:
    """``text`` with each span (sorted, not overlapping) replaced by ``placeholder``."""
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in spans:
        out += [text[last:start], placeholder]
        last = end
    out.append(text[last:])
    return "".join(out)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def simplified_view(text: str) -> str:
    """``text`` in Simplified characters, of the same length (each character converted on its own)."""
    whole = to_simplified(text)
    if len(whole) == len(text):
        return whole
    return "".join(_simplified_char(ch) for ch in text)


@lru_cache(maxsize=8192)
def _simplified_char(ch: str) -> str:
    converted = to_simplified(ch)
    return converted if len(converted) == 1 else ch


def _skip_spaces(view: str, i: int) -> int:
    while i < len(view) and view[i] in " \t\u3000:：":
        i += 1
    return i


def _surname_end(view: str, i: int, surnames: frozenset[str]) -> int:
    """The end of the surname at ``i`` (compound first), or 0."""
    if view[i : i + 2] in COMPOUND_SURNAMES:
        return i + 2
    if i < len(view) and view[i] in surnames:
        return i + 1
    return 0


def _given_end(view: str, i: int, most: int) -> int:
    end = i
    while end < len(view) and end - i < most and _HAN.match(view[end]) and view[end] not in NOT_IN_GIVEN_NAME:
        end += 1
    return end


def _name_end(view: str, i: int, strong: bool) -> int:
    """The end of a name starting at ``i``, or 0 when none starts there."""
    surnames = SURNAMES if strong else SURNAMES - FUNCTION_SURNAMES
    after_surname = _surname_end(view, i, surnames)
    if after_surname:
        end = _given_end(view, after_surname, 2)
        if end == after_surname:
            return 0
        if not strong and _starts_ordinary_word(view, i, compound=after_surname - i == 2):
            return 0
        return end
    if not strong:
        return 0
    end = _given_end(view, i, 3)  # 我叫小明: a name without a known surname
    if end - i < 2 or _starts_ordinary_word(view, i, compound=False):
        return 0
    return end


def _name_before(view: str, end: int) -> list[tuple[int, int]]:
    """The name that ends at ``end`` and starts a clause ("王强是我朋友", "…,李娜是我老婆"), if any."""
    for length in (4, 3, 2):
        start = end - length
        if start < 0 or (start > 0 and _HAN.match(view[start - 1])):
            continue
        if _name_end(view, start, strong=False) == end:
            return [(start, end)]
    return []


def _starts_ordinary_word(view: str, i: int, compound: bool) -> bool:
    words = ordinary_words()
    shortest = 3 if compound else 2
    return any(view[i : i + n] in words for n in range(shortest, 5) if i + n <= len(view))


@cache
def ordinary_words() -> frozenset[str]:
    """Frequent dictionary words (2-4 characters) that start with a surname character and are not names."""
    words = set(EXTRA_ORDINARY_WORDS)
    starts = "".join(sorted(SURNAMES | {c[0] for c in COMPOUND_SURNAMES}))
    # A line of jieba's dictionary: word, frequency, part of speech (nr* = a person's name).
    line = re.compile(
        rf"^([{starts}]\S{{1,3}}) ([1-9]\d{{{len(str(ORDINARY_MIN_FREQ)) - 1},}}) (?!nr)\S+$", re.M
    )
    try:
        import jieba

        text = (Path(jieba.__file__).resolve().parent / "dict.txt").read_text(encoding="utf-8")
    except (ImportError, OSError, ValueError):  # no dictionary: the hand-written words still hold
        return frozenset(words)
    words.update(m.group(1) for m in line.finditer(text) if int(m.group(2)) >= ORDINARY_MIN_FREQ)
    return frozenset(words)
