"""From a normalised message to the content words the matcher compares.

The :class:`Analyzer` is built once per knowledge base. It owns a private jieba tokenizer whose user
dictionary holds the knowledge base's own words (keywords, platform names, synonyms, domain words such as
爆通讯录, 紧急联系人, 征信) so that they stay whole, and it maps what people mix into Chinese back to the
knowledge base's words:

* English words through a small built-in table and the knowledge base's ``synonyms`` (boss -> 老板);
* pinyin written in Latin letters ("lvshi", "huankuan", "cuishou") through the pinyin of the knowledge base's
  own vocabulary, computed at load time (pypinyin's readings, from the table of :mod:`faq.pinyin`);
* homophone typos (通迅录, 崔收, 征心) the same way: runs of characters the vocabulary does not know are
  read as pinyin and replaced by the vocabulary word that sounds the same.

Synonyms then map every word to its canonical form and stop words are dropped.

Incidental details are removed before any of that (:meth:`Analyzer.strip_incidental`): amounts (两千块,
5万, 3000元), borrowing verbs in the past (借了, 欠了, 贷了, 借的) and lender names (借呗, 信用卡, 建行 ...
from the knowledge base's ``lenders``) and years (2025年, 2026: a question about "2024年的起诉规定" asks about being sued, whatever
the year; jieba would cut it into 202 / 5年). They say who lent how much, never what is asked, so they must
neither pull a message towards an intent nor towards an out-of-scope group ("我借了两千块" is not a loan
request). Examples and messages go through the same step.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import itertools
import json
import logging
import math
import re
import sys
import threading
import types
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from faq import cache, english, jieba_words, pinyin, regexes
from faq.compact import COMPACT_FROM, TokenLists

# jieba 0.42 imports pkg_resources (about 0.15 s and several MB at every start) only to open its own data
# files; marked missing while jieba is imported, jieba opens the same files by path (its own fallback).
_PKG_RESOURCES_LOADED = "pkg_resources" in sys.modules


class _LazyHMM(types.ModuleType):
    """Stands for ``jieba.finalseg`` (the HMM that guesses words missing from the dictionary: ~17 MB of
    probability tables and ~30 ms at import). The engine always segments with ``HMM=False``, so jieba never
    reads it; should anything ask for it (``HMM=True``, ``del_word``), the real module is imported then and
    serves every request through this one."""

    def __getattr__(self, name: str) -> Any:
        real = sys.modules.get(_HMM_MODULE)
        if real is None or real is self:
            del sys.modules[_HMM_MODULE]
            try:
                real = importlib.import_module(_HMM_MODULE)
            finally:
                sys.modules.setdefault(_HMM_MODULE, self)
        return getattr(real, name)


_HMM_MODULE = "jieba.finalseg"
_HMM_WAS_LOADED = _HMM_MODULE in sys.modules
if not _PKG_RESOURCES_LOADED:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
if not _HMM_WAS_LOADED:
    sys.modules[_HMM_MODULE] = _LazyHMM(_HMM_MODULE)
try:
    import jieba
finally:
    if not _PKG_RESOURCES_LOADED:
        del sys.modules["pkg_resources"]

# jieba prints its start-up to stderr through its own logger; keep it at the level of ours.
jieba.setLogLevel(logging.WARNING)

#: Words that stay whole whatever the knowledge base says.
DOMAIN_WORDS = (
    "不还",
    "没还",
    "还不上",
    "爆通讯录",
    "通讯录",
    "紧急联系人",
    "联系人",
    "征信",
    "百行征信",
    "征信报告",
    "催收",
    "催收员",
    "催收公司",
    "第三方",
    "外包",
    "录音",
    "截图",
    "投诉",
    "协商",
    "分期",
    "延期",
    "还款",
    "逾期",
    "网贷",
    "口子",
    "以贷养贷",
    "精神损失费",
    "赔偿",
    "恐吓",
    "威胁",
    "辱骂",
    "骚扰",
    "报警",
    "个人信息",
    "告知函",
    "银保监",
    "金融监管局",
    "互金协会",
    "12378",
    "家里人",
    "打电话",
    "发短信",
    "上门",
    "起诉",
    "律师函",
    "律师",
    "冒充",
    "天星金融",
    "极融",
    "减免",
    "利息",
    "罚息",
    "信用",
    "黑名单",
    "工作单位",
    "同事",
    "领导",
    "停息挂账",
)

#: Everyday words newer than jieba's dictionary (微信 would split into 微 / 信): kept whole so that they
#: count as what they are, often the sign of a question about something else.
EVERYDAY_WORDS = (
    "微信",
    "支付宝",
    "花呗",
    "借呗",
    "白条",
    "美团",
    "抖音",
    "淘宝",
    "拼多多",
    "京东",
    "网银",
    "银行卡",
    "信用卡",
    "房贷",
    "车贷",
    "助学贷款",
    "公积金",
    "社保卡",
    "身份证",
    "驾照",
    "护照",
    "签证",
    "快递",
    "外卖",
    "宽带",
    "物业",
    "话费",
    "手机号",
    "验证码",
    "截图",
    "录屏",
    "备忘录",
    "到期",  # (下周到期 would split into 下 / 周到 / 期; a due date, no loan context by itself: 会员到期)
    "到账",  # (实际到账 would split into 到 / 账, and the 账 of money paid out read as a bill to work out)
    "找人",  # (找 / 人 would be read as a typo of 华人 by 找's rare reading hua: "扬言找人上门收拾你" is a threat)
)

#: Ways of announcing a question ("我想问下", "想问问", "求大佬指点"): no topic of their own. Kept whole (jieba
#: would leave 想问 / 下, and the stray 下 matched requests for a loan "秒下"; 求 / 大 / 佬 matched 求个口子) and
#: dropped as stop words.
ASKING_WORDS = ("想问下", "想问问", "问问", "想请问", "大佬", "求大佬", "各位大佬", "指点", "求指点", "指点一下")

#: English words people mix in, mapped to the Chinese word the knowledge base uses (:mod:`faq.english`).
ENGLISH_WORDS = english.WORDS

STOP_WORDS = frozenset(
    """的 了 吗 呢 啊 吧 呀 嘛 哦 哈 啦 么 哇 噢 喔 诶 唉 哎 呗 咯 着 过 得 地 之 与 及 和 跟 或 或者 还是
    我 你 您 他 她 它 我们 你们 他们 咱 咱们 俺 自己 人家 这 那 这个 那个 这些 那些 这样 那样 这么 那么
    是 在 有 就 都 也 还 又 再 才 很 太 更 最 挺 真 好 就是 但是 但 可是 而且 然后 所以 因为 如果 要是
    一 个 一下 一个 一些 有点 有些 现在 已经 刚 刚刚 请问 请 问 想 想问 问下 问一下 一直 老是 总是 到底
    能 能不能 可以 可不可以 会 会不会 要 要不要 该 应该 是不是 有没有 不 没 没有 呃 嗯 额 啥 什么 怎么
    怎么办 咋 咋办 咋整 如何 为什么 为啥 哪 哪里 哪儿 谁 给 把 被 让 对 从 向 用 为 将
    怎么样 怎样 会怎样 咋样 啥样 行不行 行吗 可以吗 好不好 是否 哪个 哪些 一般 通常 大概 比如 还有 其他
    """.split()
) | frozenset(ASKING_WORDS)

_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十几]+[十百]?)"
#: An amount of money: a number with a money unit (两千块, 5万, 3000元, 2w, 一万多块; Hong Kong's 蚊, 五千蚊).
AMOUNT = regexes.lazy(
    rf"{_NUMBER}\s*(?:[万千百]多?(?:块钱|块|元|rmb|蚊)?|多?(?:块钱|块|元|rmb|蚊)|[wk](?![a-z]))", re.IGNORECASE
)
#: A borrowing verb in the past, with the bare amount after it: who owes, not what is asked (借了5000,
#: 欠了 / 贷了 / 借的 / 欠下; Cantonese 借咗 / 欠咗; English owed / borrowed). Not the 贷 that ends a loan's name ("车贷下周到期", "网贷的").
BORROWING_VERB = regexes.lazy(
    r"(?:借款|贷款|借|欠|(?<![房车网信])贷)(?:了|的|过|下|咗)(?:\s*\d+(?:\.\d+)?(?![\d.万千百块元wk]))?"
    r"|(?:借钱|借款|贷款)(?=\S{0,4}(?:逾期|不还|没还|未还|还不上|还不起))"  # 网上借钱逾期: borrowed, not asking
    # in English: "owe 360 about 5k", "borrowed 2000 from ..."
    r"|(?<![a-z])(?:owe|owes|owed|owing|borrowed)(?![a-z])(?:\s*\d+(?:\.\d+)?(?![\d.万千百块元wk]))?",
    re.IGNORECASE,
)
#: A year (2025年, 2026, 2021年度): when a rule came or a debt began, never what is asked. Not an amount
#: (2000块, 2020元: the amount pattern reads those first) nor part of a longer number.
YEAR = regexes.lazy(r"(?<![\d.])(?:19|20)\d\d(?![\d.%万千百块元wk])(?:\s*年度?)?", re.IGNORECASE)
#: A contact detail given with its label ("电话13812345678", "身份证号是1101..."): who is writing, not what
#: is asked (the label alone, "打电话", stays a word).
CONTACT_DETAIL = regexes.lazy(r"(?:电话|手机|手机号|电话号码|手机号码|身份证|身份证号)(?:码|是|为|[:：])?\s*\d{6,}[\dxX]*")
#: A bulk-SMS sender number (1069..., 10655...): "1068开头的催收短信" says the same as "106开头的" (the examples'
#: word); not a law's article ("民法典1064条").
SMS_SENDER = regexes.lazy(r"(?<![\d.])106\d{1,14}(?![\d.]|\s*条)")
#: Words naming a rule or a law: with one of them, "什么时候" asks when the rule came or applies.
_RULES = frozenset(("催收新规", "新规", "指引", "规定", "法规", "条例", "法律", "办法"))
_LATIN = regexes.lazy(r"[a-z]+")
_LATIN_RUN = regexes.lazy(r"[a-z]+(?: [a-z]+)*")
#: One Han character glued to a run of Latin letters, either way round ("网dai", "cui收"): maybe one word
#: written half in pinyin (see Analyzer._mixed_word).
_MIXED_WORD = regexes.lazy(
    r"(?P<han1>[\u4e00-\u9fff])(?P<latin1>[a-z]{1,6})(?![a-z])|(?<![a-z])(?P<latin2>[a-z]{1,6})(?P<han2>[\u4e00-\u9fff])"
)
_HAN_ONLY = regexes.lazy(r"^[\u3400-\u9fff]+$")
_DIGITS = regexes.lazy(r"^[\d.:%+\-]+$")


MAX_READINGS = 16
#: One toneless pinyin syllable typed alone ("jin", "lian", "zhuang"); a syllable with no initial opens with a, e
#: or o (yi, wu, yu are spelt with y / w), so English "i", "in", "but" are none.
_SYLLABLE = regexes.lazy(
    r"(?:(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)(?:[aeiouv]|ai|an|ang|ao|ei|en|eng|ia|ian|iang|iao|ie|in|ing|iong|iu"
    r"|ong|ou|ua|uai|uan|uang|ue|ui|un|uo|ve)|a|ai|an|ang|ao|e|ei|en|eng|er|o|ou)"
)
#: A word of one or more toneless syllables ("hui", "zhengxin", "xiakuan").
_SYLLABLES = re.compile(f"(?:{_SYLLABLE.pattern})+")
#: One syllable typed as a word of a pinyin phrase ("shang zhengxin le ma", "hui bu hui da gei wo ba ma"): the
#: character it most often stands for in a borrower's message (function words, which the stop words then drop,
#: and the few verbs and nouns the questions turn on). Read only inside a phrase mostly in pinyin
#: (:meth:`Analyzer._words_to_chinese`), never a lone word among English ones.
SYLLABLE_WORDS: dict[str, str] = {
    "wo": "我", "ni": "你", "ta": "他", "men": "们", "de": "的", "le": "了", "ma": "吗", "ne": "呢",
    "ba": "吧", "a": "啊", "ya": "呀", "la": "啦", "shi": "是", "bu": "不", "mei": "没", "you": "有",
    "hui": "会", "yao": "要", "neng": "能", "ke": "可", "hai": "还", "huan": "还", "jiu": "就", "zai": "在",
    "dou": "都", "ye": "也", "hen": "很", "cai": "才", "bei": "被", "gei": "给", "da": "打", "shuo": "说",
    "qian": "钱", "jie": "借", "tian": "天", "yue": "月", "nian": "年", "shang": "上", "jia": "家",
    "ren": "人", "zuo": "坐", "lao": "牢", "zhua": "抓", "gao": "告", "fa": "法", "ban": "办", "zen": "怎",
    "me": "么", "duo": "多", "shao": "少", "ji": "几", "ci": "次", "suan": "算", "li": "里", "kan": "看",
    "wen": "问", "zhao": "找", "qu": "去", "lai": "来",
}
#: How many looked-up windows an analyser remembers (a few MB at most; cleared when full).
HOMOPHONE_CACHE = 50_000


def _fuzzy(key: str) -> str:
    """The spelling typists confuse collapsed (zh/z, ch/c, sh/s, ang/an, eng/en, ing/in): 投述 ~ 投诉. Plain
    replacements, initials then finals: none of them can make or break a pair another one reads, so that they
    give what one left-to-right pass of each would (5x faster than two regular expressions with a callback;
    a window never seen before reads up to 32 spellings)."""
    initials = key.replace("zh", "z").replace("ch", "c").replace("sh", "s")
    return initials.replace("ang", "an").replace("eng", "en").replace("ing", "in")


@functools.lru_cache(maxsize=20_000)
def _readings(char: str) -> tuple[str, ...]:
    """Every toneless pinyin reading of one character, the most common first (none for a non-Han one)."""
    return pinyin.readings(char)


def _pinyin_keys(word: str) -> list[str]:
    """Every toneless pinyin spelling of ``word`` (all readings of polyphonic characters, at most 16).
    Read character by character (as pypinyin without its phrase dictionary: a word's readings are its
    characters' readings, :mod:`faq.pinyin`), each character looked up once per process."""
    readings = [r for r in (_readings(c) for c in word) if r]
    keys: list[str] = []
    for combo in itertools.product(*readings):
        keys.append("".join(combo))
        if len(keys) >= MAX_READINGS:
            break
    return keys


class _Overlay(dict[str, int]):
    """A word-frequency table of an analyser's own words over jieba's shared dictionary: lookups fall
    through to the shared table, writes stay here (``add_word`` never touches another analyser's)."""

    __slots__ = ("base",)

    def __init__(self, base: dict[str, int]) -> None:
        super().__init__()
        self.base = base

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.base

    def __getitem__(self, key: str) -> int:
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            return self.base[key]

    def get(self, key: str, default: Any = None) -> Any:
        value = dict.get(self, key, _ABSENT)
        return self.base.get(key, default) if value is _ABSENT else value


_ABSENT: Any = object()
#: Bump when tokens() changes, so that cached analyses are not reused.
ANALYZER_VERSION = "17"
#: The code and tables that compute the knowledge base's analysis (beside this module): the analyser's
#: vocabulary and tokens and the n-gram model read from them. Every cache entry of the analysis is keyed by
#: their digest (:func:`code_version`) as well as by ANALYZER_VERSION and faq.ngrams.VERSION, so that an edit
#: of the analysis that forgot its version (a stop word, a synonym in code) is never answered with an older
#: analysis: neither from the on-disk cache nor from the file shipped beside the knowledge base
#: (:mod:`faq.analysis_file`).
ANALYSIS_CODE = ("analyze.py", "english.py", "ngrams.py", "compact.py", "pinyin.py", "pinyin_readings.txt")


@functools.cache
def code_version() -> str:
    """A digest of :data:`ANALYSIS_CODE` and of the jieba dictionary the analyser reads (its bytes, not its
    path: a file packed in one checkout or virtual environment is read in every other with the same code and
    dictionary, as on CI and a deployment); read once per process."""
    digest = hashlib.sha256(b"analysis code 1\n")
    folder = Path(__file__).resolve().parent
    for name in ANALYSIS_CODE:
        try:
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
        except OSError:  # (no source beside the module, a frozen application: a version nothing was packed for)
            digest.update(f"{name} unreadable\0".encode())
    try:
        digest.update(b"jieba dictionary\0" + jieba_dictionary_key().encode())
    except OSError:
        digest.update(b"no dictionary")
    return digest.hexdigest()


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


#: How :meth:`Analyzer.tokens_of_all` stores the analysed examples (part of their cache key).
TOKENS_FORMAT = "token-lists-2"


def _token_lists(stored: Any, count: int) -> TokenLists | None:
    """The token lists :meth:`Analyzer.tokens_of_all` saved (words, positions, bounds), or None when
    ``stored`` is anything else or holds another number of lists."""
    if not (isinstance(stored, tuple) and len(stored) == 3):
        return None
    words, raw_ids, raw_bounds = stored
    if not (isinstance(words, list) and isinstance(raw_ids, bytes) and isinstance(raw_bounds, bytes)):
        return None
    if not all(type(w) is str for w in words):
        return None
    ids, bounds = array("i"), array("q")
    try:
        ids.frombytes(raw_ids)
        bounds.frombytes(raw_bounds)
        lists = TokenLists.of_parts(words, ids, bounds)
    except ValueError:
        return None
    if len(lists) != count or (ids and not 0 <= min(ids) <= max(ids) < len(words)):
        return None
    return lists


_shared_lock = threading.Lock()
_shared: tuple[dict[str, int], int] | None = None


#: Words of jieba's dictionary rarer than this are left out (213k of its 349k entries: rare compounds,
#: idioms and names; the knowledge base's own words are added to every tokenizer): the process's peak RSS
#: falls by ~40 MB, and the figures stay within a point or two (dev/dev2/real queries, in-scope/rejection:
#: full dictionary 91.2/97.0, 93.8/87.3, 78.0/87.5 %; without rare words 92.0/95.5, 94.4/89.1, 76.8/87.5 %).
MIN_WORD_FREQUENCY = 5


def jieba_dictionary_path() -> Path:
    """jieba's own dictionary file (``dict.txt``)."""
    return Path(jieba.__file__).resolve().parent / "dict.txt"


@functools.cache
def jieba_dictionary_key() -> str:
    """The key of the installed jieba dictionary's reduced table (:func:`faq.jieba_words.key`: a digest of
    ``dict.txt``'s bytes and the bound), read and hashed once per process: the shipped table and the shipped
    analysis (:func:`code_version`) both name the dictionary by it."""
    return jieba_words.key(jieba_dictionary_path().read_bytes(), MIN_WORD_FREQUENCY)


def _dictionary() -> tuple[dict[str, int], int]:
    """jieba's word frequencies (and their prefixes, which its DAG needs) without the rare words: the table
    shipped for the installed jieba (:mod:`faq.jieba_words`), else as cached on disk, else read from its
    dictionary file (and cached: it is the same for every knowledge base)."""
    path = jieba_dictionary_path()
    shipped = jieba_words.read(jieba_dictionary_key())
    if shipped is not None:  # (read as fast as the cache's copy: none is written)
        return shipped
    key = _digest("jieba-dictionary", 2, str(path), path.stat().st_size, MIN_WORD_FREQUENCY)
    cached = cache.load_marshal("dictionary", key)
    if isinstance(cached, tuple) and len(cached) == 3:
        words, counts, total = cached
        if isinstance(words, str) and isinstance(counts, bytes) and isinstance(total, int):
            values = array("q")
            values.frombytes(counts)
            names = words.split("\n")
            if len(names) == len(values):
                return dict(zip(names, values.tolist(), strict=True)), total
    freq, total = read_dictionary(path.read_text(encoding="utf-8"))
    # Stored as the words in one string and the counts in one array: read back 4x faster than the dict
    # itself through marshal (~0.05 s instead of ~0.2 s at every start), and smaller in memory (-4 MB).
    # A word never holds a newline (the file has one word per line).
    cache.save_marshal("dictionary", key, ("\n".join(freq), array("q", freq.values()).tobytes(), total))
    return freq, total


#: A line of jieba's dictionary (``word count [tag]``) whose count is at least 5 (MIN_WORD_FREQUENCY): the
#: word and the count's digits.
_FREQUENT_LINE = regexes.lazy(r"^([^ \n]+) 0*([5-9]|[1-9][0-9]+)(?=[ \n]|$)", re.MULTILINE)


def read_dictionary(text: str) -> tuple[dict[str, int], int]:
    """The words of a jieba dictionary file seen at least MIN_WORD_FREQUENCY times with their counts, each
    prefix of one of them that is no such word with 0 (jieba's DAG needs them), and the counts' total. The
    lines with such a count are found by one regular expression (in C): ~0.05 s less than reading the
    file's 349k lines one by one, at a first start (a reduced dictionary is cached from then on)."""
    if MIN_WORD_FREQUENCY != 5:  # (the expression spells the bound out)
        raise ValueError("_FREQUENT_LINE expects MIN_WORD_FREQUENCY == 5")
    freq: dict[str, int] = {}
    total = 0
    setdefault = freq.setdefault
    for word, digits in _FREQUENT_LINE.findall(text):
        count = int(digits)
        freq[word] = count
        total += count
        for end in range(1, len(word)):
            setdefault(word[:end], 0)
    return freq, total


#: jieba's own patterns: runs of Han characters and letters; white space; one letter or digit.
_RE_HAN: re.Pattern[str] = jieba.re_han_default
_RE_SKIP: re.Pattern[str] = jieba.re_skip_default
_RE_ENG: re.Pattern[str] = jieba.re_eng
#: At most this many runs are remembered while the knowledge base is read (a bound, whatever its size).
MAX_REMEMBERED_BLOCKS = 200_000
#: Up to this many texts (examples and titles), the runs segmented while the knowledge base is read are
#: remembered for its second reading (:meth:`Analyzer.tokens_of_all`): ~0.1 s of a first start at the shipped
#: size, and ~0.2 s at 10k examples. Beyond it each run is segmented twice (~0.7 s more at 50k examples):
#: remembered there, the ~50,000 runs and their word lists are ~13 MB of small objects, among which the
#: analyser's lasting entries (its pinyin keys) are made, so that the allocator keeps most of their pages
#: once they are let go (a /reload after an edit at 50k: ~10 MB more with both engines alive).
REMEMBER_RUNS_UP_TO = 20_000
#: Runs of the messages served remembered at most (see _Tokenizer._recent): a few dozen kilobytes.
RECENT_BLOCKS = 256


class _Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer over an :class:`_Overlay`, with its two hot loops (the DAG of dictionary words
    and the best route through it) reading the overlay's two plain dicts directly instead of through
    the overlay's Python-level methods: the same segmentation, about twice as fast.

    While :attr:`blocks` is a dict (the analyser sets one while it reads the knowledge base), each run of
    Han characters and letters is segmented once and its words remembered: the examples are read twice at
    load (their words for the vocabulary, then their tokens), mostly in the same runs."""

    #: run of characters -> its words (HMM off), or None: not remembered
    blocks: dict[str, list[str]] | None = None
    #: While :attr:`blocks` is None (serving): the runs of the last few messages -> their words. A message's
    #: parts are read again (its questions, the text before its last question, a reported clause), mostly in
    #: the same runs: on the bench's messages a quarter of the runs segmented are among the last
    #: :data:`RECENT_BLOCKS`. (A run's words depend on the run alone: the dictionary is complete before the
    #: first message.)
    _recent: dict[str, list[str]] | None = None

    def words(self, sentence: str) -> list[str]:
        """``lcut(sentence, HMM=False)`` in plain loops (jieba's chain of generators costs about as much as
        the segmentation itself): the same words."""
        out: list[str] = []
        for block in _RE_HAN.split(sentence):
            if not block:
                continue
            if _RE_HAN.match(block):
                out += self._block_words(block)
            else:
                for piece in _RE_SKIP.split(block):
                    if _RE_SKIP.match(piece):
                        out.append(piece)
                    else:
                        out += piece
        return out

    def _Tokenizer__cut_DAG_NO_HMM(self, sentence: str) -> Iterator[str]:  # jieba.Tokenizer.__cut_DAG_NO_HMM
        yield from self._block_words(sentence)

    def _block_words(self, block: str) -> list[str]:
        """The words of one run of Han characters and letters (jieba's ``__cut_DAG_NO_HMM``)."""
        blocks = self.blocks
        if blocks is not None:
            words = blocks.get(block)
            if words is None:
                words = self._segment(block)
                if len(blocks) < MAX_REMEMBERED_BLOCKS:
                    # interned: the examples use the same few thousand words in their ~50,000 runs (at 50k
                    # examples ~20 MB less while the knowledge base is read beside a serving engine)
                    words = [sys.intern(word) for word in words]
                    blocks[block] = words
            return words
        recent = self._recent
        if recent is None:
            recent = self._recent = {}
        words = recent.get(block)
        if words is None:
            if len(recent) >= RECENT_BLOCKS:
                recent.clear()
            words = recent[block] = self._segment(block)
        return words  # (the callers copy its words, none changes the list)

    def _segment(self, sentence: str) -> list[str]:
        """:meth:`get_DAG` and :meth:`calc` in one pass from the end (each fragment looked up once, the best
        word starting at each character chosen as its fragments are met: no list of the words found per
        start), then jieba's walk along the best route: the same words, the same arithmetic (each value
        ``log(count) - logtotal + value after it``, and of two equal values the longer word's, as jieba's
        comparison of (value, end) tuples chooses; ~25 % less time than a list of (end, count) per start)."""
        log = math.log
        own = self.FREQ
        own_get = dict.get.__get__(own)  # (the overlay's own words first, then the shared dictionary)
        base_get = own.base.get
        n = len(sentence)
        logtotal = log(self.total)
        values: list[float] = [0] * (n + 1)  # the route's value from each start on (jieba's route[n] is (0, 0))
        ends = [0] * n  # where the best word starting at each character ends
        for k in range(n - 1, -1, -1):
            best: float | None = None
            best_end = k
            i = k
            frag = sentence[k]
            while True:
                count = own_get(frag, _ABSENT)
                if count is _ABSENT:
                    count = base_get(frag, _ABSENT)
                    if count is _ABSENT:  # a prefix absent from the dictionary ends the search
                        break
                if count:  # (a prefix with count 0 is not a word)
                    value = log(count) - logtotal + values[i + 1]
                    if best is None or value >= best:  # (a later word ends further: it wins a tie)
                        best = value
                        best_end = i
                i += 1
                if i >= n:
                    break
                frag = sentence[k : i + 1]
            # no word starts here: the character alone, its count (0 or none) read as 1
            values[k] = log(1) - logtotal + values[k + 1] if best is None else best
            ends[k] = best_end
        words: list[str] = []
        x = 0
        buf = ""
        while x < n:
            y = ends[x] + 1
            word = sentence[x:y]
            if y - x == 1 and _RE_ENG.match(word):  # single letters and digits are joined ("12378")
                buf += word
            else:
                if buf:
                    words.append(buf)
                    buf = ""
                words.append(word)
            x = y
        if buf:
            words.append(buf)
        return words

    def _words_at(self, sentence: str) -> list[list[tuple[int, int]]]:
        """For every start, (end, count) of each dictionary word starting there: jieba's DAG with the
        counts its route needs, each fragment looked up once (a prefix absent from the dictionary ends
        the search, a prefix with count 0 is not a word)."""
        own, base = self.FREQ, self.FREQ.base
        own_get, base_get = dict.get, base.get
        n = len(sentence)
        found: list[list[tuple[int, int]]] = []
        for k in range(n):
            ends: list[tuple[int, int]] = []
            i = k
            frag = sentence[k]
            while i < n:
                count = own_get(own, frag, _ABSENT)
                if count is _ABSENT:
                    count = base_get(frag, _ABSENT)
                    if count is _ABSENT:
                        break
                if count:
                    ends.append((i, count))
                i += 1
                frag = sentence[k : i + 1]
            found.append(ends)
        return found

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        return {k: [end for end, _ in ends] or [k] for k, ends in enumerate(self._words_at(sentence))}

    def calc(self, sentence: str, DAG: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:
        own, base = self.FREQ, self.FREQ.base
        own_get, base_get = dict.get, base.get
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = math.log(self.total)
        for idx in range(n - 1, -1, -1):
            best: tuple[float, int] | None = None
            for x in DAG[idx]:
                frag = sentence[idx : x + 1]
                count = own_get(own, frag, _ABSENT)
                if count is _ABSENT:
                    count = base_get(frag)
                candidate = (math.log(count or 1) - logtotal + route[x + 1][0], x)
                if best is None or candidate > best:
                    best = candidate
            assert best is not None
            route[idx] = best


def _private_tokenizer() -> _Tokenizer:
    """A jieba tokenizer of its own (words added to it stay its own) over one shared dictionary per
    process (see :data:`MIN_WORD_FREQUENCY`): a /reload must not hold two."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _dictionary()
        base, total = _shared
    tokenizer = _Tokenizer()
    tokenizer.FREQ = _Overlay(base)
    tokenizer.total = total
    tokenizer.initialized = True
    return tokenizer


class Analyzer:
    """Turns a normalised message into canonical content tokens (see the module docstring)."""

    def __init__(
        self,
        vocabulary: Iterable[str],
        synonyms: Mapping[str, str],
        protected: Iterable[str] = (),
        incidental: Iterable[str] = (),
    ) -> None:
        names = sorted({n for n in incidental if n}, key=lambda n: (-len(n), n))
        self._incidental = re.compile(
            "|".join([*(re.escape(n) for n in names), CONTACT_DETAIL.pattern, AMOUNT.pattern, BORROWING_VERB.pattern, YEAR.pattern]), re.IGNORECASE
        )
        self.synonyms = dict(synonyms)
        self.english = {**ENGLISH_WORDS, **{k: v for k, v in self.synonyms.items() if _LATIN.fullmatch(k)}}
        self.tokenizer = _private_tokenizer()
        whole_words = {*DOMAIN_WORDS, *EVERYDAY_WORDS, *ASKING_WORDS, *protected, *self.synonyms, *self.synonyms.values()}
        for word in whole_words:
            if len(word) >= 2 and not _LATIN.fullmatch(word):
                self.tokenizer.add_word(word, freq=200000)
        vocabulary = list(vocabulary)
        #: What the analyser's behaviour depends on (for caches of what it computed).
        self.fingerprint = _digest(
            ANALYZER_VERSION,
            code_version(),
            MIN_WORD_FREQUENCY,
            sorted(whole_words),
            sorted(self.synonyms.items()),
            names,
            vocabulary,
        )
        cached = cache.load_json("analyzer", self.fingerprint)
        try:
            self.vocabulary: set[str] = set(cached["vocabulary"]) if cached else set()
            self.known_numbers: set[str] = set(cached["known_numbers"]) if cached else set()
            self.by_pinyin: dict[str, str] = dict(cached["by_pinyin"]) if cached else {}
            self.by_fuzzy_pinyin: dict[str, str] = dict(cached["by_fuzzy_pinyin"]) if cached else {}
        except (KeyError, TypeError, ValueError):
            cached = None
        if not cached:
            # the runs segmented here are remembered for tokens_of_all (the examples once more), which
            # lets them go (up to REMEMBER_RUNS_UP_TO texts)
            self.tokenizer.blocks = {} if len(vocabulary) <= REMEMBER_RUNS_UP_TO else None
            self._build_vocabulary(vocabulary, whole_words)
            cache.save_json(
                "analyzer",
                self.fingerprint,
                {
                    "vocabulary": sorted(self.vocabulary),
                    "known_numbers": sorted(self.known_numbers),
                    "by_pinyin": self.by_pinyin,
                    "by_fuzzy_pinyin": self.by_fuzzy_pinyin,
                },
            )
        self._longest_pinyin = max((len(k) for k in self.by_pinyin), default=0)
        #: Windows of characters already looked up -> their homophone in the vocabulary (or None).
        self._homophones: dict[str, str | None] = {}

    def _build_vocabulary(self, vocabulary: list[str], whole_words: set[str]) -> None:
        # Vocabulary: every Chinese word of two or more characters the knowledge base uses.
        self.vocabulary = {w for w in whole_words if len(w) >= 2 and _HAN_ONLY.match(w)}
        #: Numbers the knowledge base itself asks about (12378, 110, 12356): kept as words; other numbers
        #: (amounts, days, times) are dropped.
        self.known_numbers = set()
        uses: dict[str, int] = {}
        for text in vocabulary:
            for token in self.tokenizer.words(text.lower()):
                if len(token) >= 2 and _HAN_ONLY.match(token):
                    self.vocabulary.add(sys.intern(token))  # (as remembered runs' words are: one per process)
                    uses[token] = uses.get(token, 0) + 1
                elif len(token) >= 3 and token.isdigit():
                    self.known_numbers.add(token)
        self.by_pinyin = {}
        self.by_fuzzy_pinyin = {}
        # Every word's usual reading first (pypinyin lists a character's readings most common first),
        # so that a rare reading (读 dou) never takes the key of a word's usual one (投 tou); among words
        # that sound the same, the one the examples use most (yuqi is 逾期, not 语气; a tie by code point).
        words = sorted(self.vocabulary, key=lambda w: (-len(w), -uses.get(w, 0), w))
        keys_of = {word: _pinyin_keys(word) for word in words}
        for usual_only in (True, False):
            for word in words:
                for key in keys_of[word][:1] if usual_only else keys_of[word]:
                    self.by_pinyin.setdefault(key, word)
                    self.by_fuzzy_pinyin.setdefault(_fuzzy(key), word)

    def tokens_of_all(self, texts: list[str], stripped: list[str] | None = None) -> Sequence[list[str]]:
        """:meth:`tokens` of many normalised texts, cached on disk by the analyser's fingerprint and the
        texts (the knowledge base's examples are analysed once per version of the file). From
        :data:`~faq.compact.COMPACT_FROM` texts they come as :class:`~faq.compact.TokenLists`, read back from
        the cache without a list per text (at 50k examples ~6 MB less while the matcher is built beside a
        serving engine, during /reload); below it as plain lists. ``stripped`` (an empty list): filled with
        each text through :meth:`strip_incidental` when the tokens are computed here (not when they are read
        from the cache), for the n-gram model, which reads the same texts (stripped once, not twice)."""
        try:
            key = _digest(TOKENS_FORMAT, self.fingerprint, texts)
            found = _token_lists(cache.load_marshal("tokens", key), len(texts))
            if found is None:
                # Interned: the same word in 50,000 examples is one string, not 50,000 (and one for every
                # engine of the process, during /reload too); marshal keeps them interned in the file.
                intern = sys.intern
                if self.tokenizer.blocks is None and len(texts) <= REMEMBER_RUNS_UP_TO:
                    self.tokenizer.blocks = {}
                if stripped is not None:
                    stripped += map(self.strip_incidental, texts)
                    lists = [[intern(t) for t in self.tokens_of_stripped(text)] for text in stripped]
                else:
                    lists = [[intern(t) for t in self.tokens(text)] for text in texts]
                found = TokenLists(lists)
                words, ids, bounds = found.parts()
                cache.save_marshal("tokens", key, (words, ids.tobytes(), bounds.tobytes()))
                if len(texts) < COMPACT_FROM:
                    return lists
                del lists
        finally:
            self.tokenizer.blocks = None  # messages are segmented afresh (their runs are rarely the same)
            # The homophones the examples looked up are let go: messages ask for others, and these entries,
            # made among the reading's temporaries, would keep the allocator's pages of them (~2 MB at 50k).
            self._homophones.clear()
        return found if len(texts) >= COMPACT_FROM else list(found)

    # ------------------------------------------------------------------------------------------ public

    def strip_incidental(self, normalized: str, keep_length: bool = False) -> str:
        """The message without amounts, past borrowing verbs and lender names (see the module docstring),
        each replaced by one space, or by as many spaces as it had characters (``keep_length``)."""
        if keep_length:
            return self._incidental.sub(lambda m: " " * len(m.group()), normalized)
        return self._incidental.sub(" ", normalized)

    def _read_latin(self, text: str) -> str:
        """``text`` with its words in Latin letters read as Chinese: a word half in pinyin ("网dai"), then each
        run of Latin words (:meth:`_latin_run_to_chinese`)."""
        text = _MIXED_WORD.sub(self._mixed_word, text)
        return _LATIN_RUN.sub(lambda m: f" {self._latin_run_to_chinese(m.group())} ", text)

    def tokens(self, normalized: str) -> list[str]:
        """Canonical content tokens of a normalised message, in order (incidental details left out)."""
        return self.tokens_of_stripped(self.strip_incidental(normalized))

    def tokens_of_stripped(self, text: str) -> list[str]:
        """:meth:`tokens` of a message already through :meth:`strip_incidental` (the matcher reads that text
        again for its n-grams: stripped once)."""
        if not text.strip():
            return []
        text = SMS_SENDER.sub(" 106 ", text)
        if _LATIN.search(text):
            text = self._read_latin(text)
        # (spaces kept while typos are repaired: a window of characters never spans the reader's space)
        raw = [t for t in self._repair_homophones(list(self.tokenizer.words(text))) if t.strip()]
        canonical = [self.synonyms.get(token, token) for token in raw]
        content = [
            t
            for t in canonical
            if t not in STOP_WORDS and not (_DIGITS.match(t) and t not in self.known_numbers)
        ]
        if "时候" in content and not _RULES.isdisjoint(content):
            # "催收新规是什么时候出的": when a rule came, not when collection does what (the timeline's 时候)
            content = [t for t in content if t != "时候"]
        # A message made only of function words ("你是谁", "在吗") is matched on those words.
        return content or [t for t in canonical if not _DIGITS.match(t)]

    # ----------------------------------------------------------------------------------------- helpers

    def _latin_run_to_chinese(self, run: str) -> str:
        """Words in Latin letters: English phrases first (:data:`faq.english.PHRASES`, longest first: "emergency
        contact", "statute of limitations"), then the words between them (:meth:`_words_to_chinese`)."""
        words = run.split(" ")
        out: list[str] = []
        between: list[str] = []
        i = 0
        while i < len(words):
            found = english.phrase_at(words, i) if i + 1 < len(words) else None
            if found is None:
                between.append(words[i])
                i += 1
                continue
            if between:
                out.append(self._words_to_chinese(between))
                between = []
            out.append(found[0])
            i += found[1]
        if between:
            out.append(self._words_to_chinese(between))
        return " ".join(out)

    def _english_word(self, word: str) -> str | None:
        """An English word's Chinese (the table's or the knowledge base's Latin synonyms), its inflections
        read as their base form (calling, harassed, fees), or None."""
        for form in english.base_forms(word):
            found = self.english.get(form)
            if found is not None:
                return found
        return None

    def _words_to_chinese(self, words_written: list[str]) -> str:
        """English words one by one; pinyin syllables possibly spread over several space-separated words
        ("jinji lianxiren") read together; two English words that make one known word together ("phone
        book") read as that word."""
        words: list[str] = []
        for word in words_written:
            if words and words[-1] + word in self.english:
                words[-1] += word
            else:
                words.append(word)
        if self._pinyin_phrase(words):
            # A phrase in pinyin, word by word as the reader spaced it ("yuqi 2 tian hui zenyang" is 天 会 怎样,
            # not a word glued across the space): words several syllables long, one syllable a character.
            return " ".join(self._pinyin_word(w) for w in self._syllables_joined(words, phrase=True))
        if len(words) > 1 and not any(self._english_word(w) is not None for w in words):
            joined = self._latin_to_chinese("".join(words))
            if not _LATIN.search(joined):
                return joined
        return " ".join(self._latin_to_chinese(w) for w in self._syllables_joined(words))

    def _is_english(self, word: str) -> bool:
        return word in english.FUNCTION_WORDS or self._english_word(word) is not None

    def _pinyin_phrase(self, words: list[str]) -> bool:
        """Whether a run of Latin words is mostly pinyin: two or more words spelt wholly as syllables that are
        no English word, and no fewer of them than of the others."""
        pinyin_words = sum(1 for w in words if _SYLLABLES.fullmatch(w) and not self._is_english(w))
        return pinyin_words >= 2 and 2 * pinyin_words >= len(words)

    def _pinyin_word(self, word: str) -> str:
        """A word of a pinyin phrase: an English or known word as :meth:`_latin_to_chinese` reads it, a lone
        syllable as :data:`SYLLABLE_WORDS` does."""
        if word in SYLLABLE_WORDS and not self._is_english(word) and word not in self.by_pinyin:
            return SYLLABLE_WORDS[word]
        return self._latin_to_chinese(word)

    def _syllables_joined(self, words: list[str], phrase: bool = False) -> list[str]:
        """Pinyin typed syllable by syllable inside English ("how to change zhi fu bao"): the longest stretch of
        two or more short words that reads wholly as the knowledge base's words in pinyin is one word; every
        other word stays as it is. In a pinyin ``phrase`` a stretch of syllables that each read as a word of
        their own (:data:`SYLLABLE_WORDS`) is joined only into those characters ("zuo lao" 坐牢) or a word the
        knowledge base maps ("ba ma" 爸妈), not into another word that sounds the same ("hui da" is 会打, not
        回答)."""
        out: list[str] = []
        i = 0
        while i < len(words):
            for j in range(len(words), i + 1, -1):
                stretch = words[i:j]
                if any(not _SYLLABLE.fullmatch(w) or self._english_word(w) is not None for w in stretch):
                    continue
                reading = self._latin_to_chinese("".join(stretch))
                if phrase and all(w in SYLLABLE_WORDS for w in stretch):
                    own = "".join(SYLLABLE_WORDS[w] for w in stretch)
                    if reading != own and not all(p in self.synonyms for p in reading.split()):
                        continue
                if not _LATIN.search(reading):
                    out.append("".join(stretch))
                    i = j
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _mixed_word(self, found: re.Match[str]) -> str:
        """A word written half in characters, half in pinyin ("网dai", "cui收"): the character and the one
        syllable glued to it read as the knowledge base's two-character word with that pinyin, which keeps
        the written character; anything else (an English word, "借钱app", "上zx") is left as written."""
        han, latin = (found["han1"], found["latin1"]) if found["han1"] else (found["han2"], found["latin2"])
        if self._english_word(latin) is not None:
            return found.group()
        for reading in _readings(han):
            key = reading + latin if found["han1"] else latin + reading
            word = self.by_pinyin.get(key)
            if word is not None and len(word) == 2 and word[0 if found["han1"] else 1] == han:
                return f" {word} "
        return found.group()

    def _latin_to_chinese(self, word: str) -> str:
        """An English word or a run of pinyin syllables -> the knowledge base's Chinese words; an English word
        that carries no topic (:data:`faq.english.FUNCTION_WORDS`) -> nothing."""
        if word in self.english:
            return self.english[word]
        if word in self.by_pinyin:
            return self.by_pinyin[word]
        found = self._english_word(word)
        if found is not None:
            return found
        if word in english.FUNCTION_WORDS:
            return ""
        pieces: list[str] = []
        i = 0
        while i < len(word):
            for j in range(min(len(word), i + self._longest_pinyin), i + 3, -1):
                hit = self.by_pinyin.get(word[i:j])
                if hit:
                    pieces.append(hit)
                    i = j
                    break
            else:
                pieces.append(word[i:])
                break
        return " ".join(pieces)

    def _repair_homophones(self, tokens: list[str]) -> list[str]:
        """A typo splits a word into pieces the vocabulary does not know (通迅录 -> 通 / 迅 / 录, 爆通迅录 ->
        爆通 / 迅 / 录). Windows of up to four characters made of short tokens, at least one of them unknown,
        none of them a stop word, are replaced by the vocabulary word with the same pinyin, longest window
        first."""
        vocabulary = self.vocabulary
        # per token: could it be part of a window (one or two Han characters, not a stop word), is it unknown
        usable = [len(t) <= 2 and t not in STOP_WORDS and bool(_HAN_ONLY.match(t)) for t in tokens]
        unknown = [t not in vocabulary for t in tokens]
        if not any(map(bool.__and__, usable, unknown)):
            return tokens  # every window needs a usable token the vocabulary does not know: nothing to repair
        out: list[str] = []
        n = len(tokens)
        i = 0
        while i < n:
            found = self._window_at(tokens, i, usable, unknown) if usable[i] and i + 1 < n and usable[i + 1] else None
            word, width = found or (tokens[i], 1)
            out.append(word)
            i += width
        return out

    def _window_at(
        self, tokens: list[str], i: int, usable: list[bool], unknown: list[bool]
    ) -> tuple[str, int] | None:
        """The vocabulary word a window starting at token ``i`` sounds like, and the window's width in
        tokens (the longest first), or None."""
        for width in (4, 3, 2):
            j = i + width
            if j > len(tokens) or not all(usable[i:j]) or not any(unknown[i:j]):
                continue
            candidate = "".join(tokens[i:j])
            if len(candidate) > 4:
                continue
            word = self._homophone_of(candidate)
            if word and not set(word).isdisjoint(candidate):
                # A typo keeps some of the word's characters (崔收 -> 催收, 证剧 -> 证据); a window sharing none
                # is other words that sound alike (过咗期 is not 座机, 晚缴 not 旺角, 台新 not 失信, 立案 not 两点).
                return word, width
        return None

    def _homophone_of(self, candidate: str) -> str | None:
        """The vocabulary word that sounds like ``candidate`` (its usual reading, exact then fuzzy, before
        rare readings), or None; remembered per analyser (pypinyin is the costly part of a message)."""
        try:
            return self._homophones[candidate]
        except KeyError:
            pass
        keys = _pinyin_keys(candidate)
        word = None
        for group in (keys[:1], keys[1:]):
            word = next((self.by_pinyin[k] for k in group if k in self.by_pinyin), None) or next(
                (self.by_fuzzy_pinyin[_fuzzy(k)] for k in group if _fuzzy(k) in self.by_fuzzy_pinyin),
                None,
            )
            if word:
                break
        if len(self._homophones) >= HOMOPHONE_CACHE:
            self._homophones.clear()
        self._homophones[candidate] = word
        return word
