"""The engine: one knowledge base, its analyser and matcher, and the rules that turn a message into a reply.

>>> engine = Engine.load("intents.yaml")          # doctest: +SKIP
>>> engine.reply("拖了12天了会打给我老公吗").intent  # doctest: +SKIP
'family_contact'

Nothing here knows about Telegram: the console chat, the bot and `faq ask` all call :meth:`Engine.reply`.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from faq import analysis_file, apr, complaint, compose, conversions, memory, regexes
from faq import normalize as normalize_module
from faq.analyze import STOP_WORDS, Analyzer
from faq.context import (
    Context,
    after_reply,
    asks_if_true,
    asks_what_now,
    current,
    is_same_topic,
    match_offered,
    strip_followup_words,
)
from faq.crisis import CrisisDetector, Region, Signal
from faq.days import OVERDUE_TYPOS, DayCount, as_said, parse_days, stated
from faq.kb import GENERAL, Intent, KnowledgeBase, KnowledgeBaseError, Problem, Stage, load_knowledge_base
from faq.matcher import SUGGESTION_FLOOR, Match, Matcher, MatcherConfig
from faq.normalize import (
    MAX_INPUT_CHARS,
    is_traditional,
    normalize,
    reader_variant,
    reader_words,
    safe_text,
    to_traditional,
    use_reader_words,
)
from faq.questions import (
    ASKS_PLAINLY,
    HELP_ONLY,
    HELP_THEN_ANOTHER,
    NOT_ASKING,
    REFERS_BACK,
    asking_units,
    asks_only_police,
    asks_only_what_it_means,
    asks_something,
    question_marks_as_particles,
    refers_back,
    split_questions,
    topic_words,
)
from faq.readings import (
    asks_about_a_home_or_car_loan,
    asks_about_ordinary_card_or_loan_terms,
    asks_for_a_loan,
    asks_to_borrow,
    asks_to_calculate_a_loan,
    asks_where_to_repay,
    borrows_to_repay,
    calls_a_work_landline,
    courtesy_with_good_news,
    names_other_bureau,
    offers_to_clean_a_record,
    only_asks_where_to_borrow,
    speaks_of_a_collection_job,
    speaks_of_an_overdue_debt,
    speaks_of_money_owed_to_the_reader,
)
from faq.reply import Part, Reply, ReplyKind, StageRef, Suggestion

DEFAULT_KB_PATH = Path(__file__).resolve().parent.parent / "intents.yaml"
#: The collection-process intent answers pure day-count messages ("逾期15天会怎样") with the stage block.
STAGE_INTENT = "collection_process"
#: How sure the whole message must be when its words besides the day count ask nothing clearly (see
#: Engine._with_its_day_words): the matcher's ``confident`` bar, above the loan-context threshold.
DAY_WORDS_BAR = 0.5
#: How sure a question read alone must be to decide over a whole message answered only from the low bar of
#: loan context (see Engine._clear_question_over_weak_answer); with the calibrated threshold if higher.
WEAK_ANSWER_BAR = 0.5
#: ... and the whole message must rank that question's intent among its likeliest few (not "可以报警吗" after a
#: question about a lender's legality, which the whole message does not suggest).
WEAK_ANSWER_RANK = 3
MAX_SUGGESTIONS = 3
#: A "did you mean" (loan context, no intent over its bar) answers its first topic instead when that topic is at
#: least this many times as probable as every other owner, out-of-scope groups included (see Engine._clear_lead):
#: the reader's question is then plainly that one, only said in words the examples do not use.
LEAD_ODDS = 2.0
#: Words that only say what the reader owes ("欠了好多网贷", "信用卡欠太多"): beside distress, whose distress it is.
_DEBT_NAMING = frozenset(
    {"欠", "欠款", "欠债", "债", "负债", "卡债", "网贷", "信用卡", "贷款", "借款", "平台", "口子", "钱", "账"}
)
#: A count or an amount's words ("好多", "太多", "一堆", "几个", "5万").
_COUNT = regexes.lazy(r"[\d零〇一二两三四五六七八九十百千万亿几半多好很太一堆个家笔张]+")
#: An amount or a word of owing or borrowing beside a lender's name: a debt is told (see Engine._names_only).
_OWING_OR_AMOUNT = regexes.lazy(r"\d|欠|借了|借咗|贷了|借过|逾期|[一两二三四五六七八九十几][十百千万]|[万千][块元]?")
#: The reader's own not-knowing opening a question ("我不知道", "我真的不知道"): a hedge, not a topic's words.
_HEDGE = regexes.lazy(r"^(?:我|我也|我都|我真的|真的)?(?:不知道|唔知)\s*")
#: A chat app's emoticon written as its code ("[捂脸]", "[流泪]", "[笑哭]", "[Facepalm]"): no words of the question.
_EMOTICON_CODE = regexes.lazy(r"\[(?:[\u4e00-\u9fff]{1,4}|[A-Za-z]{2,12})\]")
#: An answer's runner-up this close (and the answer below the matcher's ``confident``) is its first button.
CLOSE_RUNNER_UP = 0.04
#: A message of distress that asks nothing ("欠的钱太多 整夜整夜睡不着觉", "心里好慌 一直想哭 几个平台都逾期了"): the
#: support topic answers, unless its other words name a topic almost surely, as a collector's announced
#: visit does (see Engine._distress_first); the loan words beside the distress only tell whose distress it is.
DISTRESS_STATEMENT_BAR = 0.9
#: A reader breaking down under the debt, not merely afraid of one threat: collapse, unbearable pressure,
#: crying every day, not holding on ("快崩溃了", "压力山大", "撑不下去", "天天哭"), Cantonese and Taiwanese too.
OVERWHELMED = regexes.lazy(
    r"崩溃|崩潰|压力\S{0,4}(?:大|重)|压力山大|撑不(?:住|下去)|扛不(?:住|下去)|顶不(?:住|顺)|熬不(?:住|下去)"
    r"|(?:好|很|太|真的|特别)难受|(?:天天|每天|每晚|一直|整天|成日)\S{0,3}(?:哭|喊)|想哭|以泪洗面|绝望|心好累|心累|顶唔顺|捱唔住"
)
#: A question particle left standing alone once the words of distress are out (a plea for someone to talk to,
#: ending in 吗, leaves only "吗" once the plea is taken out): the question was the plea's, not the leftover words'.
_LONE_PARTICLE = regexes.lazy(r"(?:^|(?<=\s))[吗呢嘛么啊吧]+(?=\s|$)")
#: A message is matched on its first MAX_INPUT_CHARS characters, but read whole (Telegram's limit) for
#: words of despair.
CRISIS_SCAN_CHARS = 4096
#: How many stage blocks (day count, platform, level) an engine remembers (cleared when full).
STAGE_BLOCKS_REMEMBERED = 4096
_NO_SIGNAL = Signal(crisis=False, distress=False, region=Region.MAINLAND)
MIN_SUGGESTION_SCORE = 0.2
#: The out-of-scope groups of an errand asked after a story of a debt (see Engine._errand_after_a_story): a
#: loan, or something unrelated; not a greeting or thanks, which close a story without asking another thing.
LOAN_REQUEST = "loan_request"
ERRAND_GROUPS = frozenset({LOAN_REQUEST, "unrelated"})
#: An errand's question names a topic of its own in at least this many characters (questions.topic_words):
#: "怎么办", "现在怎么办", "怎么申请" and "能还吗" name none and ask about the story told before them.
ERRAND_TOPIC_CHARS = 3
#: How many characters naming a topic the words after an opening of distress need to be a question of their own
#: (Engine._distress_told_first): "会被起诉吗" names 起诉, "怎么办" nothing.
DISTRESS_QUESTION_CHARS = 2
#: How many characters an opening of distress needs before a question to ask for support too: "好焦虑 会坐牢吗"
#: asks about jail (its answer opens with a warm sentence), "压力大到整夜睡不着 会坐牢吗" dwells on it first.
DISTRESS_LEAD_CHARS = 5
#: The topic of not answering the calls: the fear told before it is its own story, not a second question.
AVOIDING_INTENT = "avoid_contact"
#: The overdue verb right before a day count ("晚还了" in "晚还了1天"): removed with the count.
_OVERDUE_VERB_BEFORE = regexes.lazy(
    rf"(?:逾期|{OVERDUE_TYPOS}|yu\s?qi|yq|拖欠了?|拖[了咗]?|晚还[了咗]?|晚[了咗]|超期了?|过期了?|过咗期|过了期"
    r"|迟还[了咗]?|迟[了咗]|欠了|延期了?|迟缴了?|过了?(?:最后)?(?:还款|缴款)(?:日|期限)了?)"
    r"\s*(?:第\s*)?$"
)
#: Words that, next to a day count, ask nothing more than "what happens at this stage".
DAY_WORDS = frozenset(
    """逾期 逾 期 拖 拖了 拖欠 晚 晚还 晚还了 超期 过期 迟还 延期 欠 欠了 没还 还 还款 还不上 还不起 到期 还款日
    今天 目前 如今 天 日 周 星期 礼拜 个月 月 年 第 多 几 了 后 后果 处理 怎么处理 发生 接下来 后面 之后 以后 情况 阶段 流程 现在
    会怎样 怎么样 咋样 咋 样 会 啥 情况 呢 已经 快 差不多 大概 左右 平台 借款 网贷 贷款 overdue""".split()
)


#: Words that say the debt is already paid: no stage block then ("结清一个月了" is no day count).
_PAID_OFF = regexes.lazy(
    r"结清|还清|已还款|已经还了|已经还上|全部还了|都还了|还完了|已还完|还咗"
    # 现在还上了 / 补上了: repaid since (not 还不上了, 能还上了吗)
    r"|(?<![没不能要想])还上了|补上了|补还了"
    # 逾期十天还了 / 两天之后就还上了: a time late, then repaid (not 还了一半, 还了吗)
    r"|(?:天|日|周|月|礼拜|星期)(?:之后|以后|后)?(?:就|才)?(?:还上|还|补上)了(?![0-9一二三四五六七八九十两几半部些点吗没么])"
    # 晚了三天才还: repaid late (not 才还款日, 才还得上)
    r"|(?:天|日|周|礼拜|星期)才(?:还上|还|补上)(?![得不款])"
)
#: A follow-up marker: "那20天呢", "如果是极融", "换成30天".
_FOLLOWUP_MARK = regexes.lazy(r"^(?:那|如果|要是|假如|换成|换了|改成|咁)|呢\s*$")
#: Replies that mention these are mainland-specific (hotlines, 征信): readers of Traditional are told so.
_MAINLAND = regexes.lazy(r"(?<!\d)(?:12378|12348|12368|12356|12345|12315|110|120)(?!\d)|征信")
#: Topics a message with a loan's figures may ask besides the rate itself: the rate reply is given with that
#: topic's details and buttons ("借两千 七天后还三千 是不是714高炮": the rate, and what a 714 loan is).
RATE_TOPICS = frozenset({"illegal_lending"})
#: The longest term of a loan repaid at once that reads as the 714 kind (seven or fourteen days).
SHORT_LOAN_DAYS = 14
#: The knowledge base's intent about credit records (a message naming Taiwan's or Hong Kong's bureau asks it).
CREDIT_INTENT = "credit_report"
DEBT_INTENT = "debt_management"
#: What a message clearly about a debt in trouble gets when no topic is clear: what happens from here (the
#: collection process, with its stage block when a day count is given), or how to handle the debts.
GENERAL_TOPICS = (STAGE_INTENT, DEBT_INTENT)
CONTACTS_INTENT = "contact_list"
CALLS_INTENT = "call_legality"
SCAM_INTENT = "scam"
#: A stated period this long (two years) stays in the text the matcher reads: it is what such a message asks
#: about (the three-year time limit, how long a record is kept), though it still sets the stage block.
LONG_PERIOD_DAYS = 730
#: A first message this long fits on a phone screen or so; at least 90 % of answers stay within it.
FIRST_MESSAGE_LIMIT = 500
FIRST_MESSAGE_SHARE = 0.9
#: Where the user's own words go in "did you mean" (filled in after the script conversion).
_QUOTE = "\ue000"
#: Characters of the user's own words quoted back in "did you mean".
QUOTE_CHARS = 24


_HAN = regexes.lazy(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class _Style:
    traditional: bool
    variant: str | None
    words: tuple[str, ...]


def _said(text: str, day_count: DayCount) -> str | None:
    """The reader's own words for an approximate day count ("一个多月", "大半年"), else None."""
    if not day_count.approximate:
        return None
    start, end = day_count.span
    said = text[start:end].strip()
    return said if said and "{" not in said and "}" not in said else None


def _stage_key(stage: StageRef | None) -> str | None:
    return f"{stage.platform}:{stage.min_days}-{stage.max_days}" if stage else None


def _text_key(heading: str | None, body: str) -> str:
    """A short key for a reply's first block, to tell whether the same text would be sent again."""
    return hashlib.blake2s(f"{heading}\n{body}".encode(), digest_size=8).hexdigest()


def _shown_key(intent_id: str, stage: StageRef | None) -> str:
    return f"{intent_id}|{_stage_key(stage)}"


#: Marks a shown key whose answer showed fewer of its paragraphs than it does alone (it gave up room to a second
#: answer, or to a note added after it): "|cut:N", N paragraphs of the answer shown.
_CUT = "|cut:"


def _shown_base(shown: str | None) -> str | None:
    """A shown key without its mark of an answer cut short (the same topic and stage)."""
    return shown.partition(_CUT)[0] if shown else shown


def _paragraphs_shown(shown: str | None, key: str) -> int | None:
    """How many paragraphs of its answer the reply shown under ``key`` showed, when it was cut short; None when
    it was not (or ``shown`` is another topic's)."""
    if not shown or _CUT not in shown:
        return None
    base, _, count = shown.partition(_CUT)
    return int(count) if base == key and count.isdigit() else None


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the engine read in a message before composing the reply (also used by `faq eval`)."""

    normalized: str
    traditional: bool
    days: int | None
    platform: str | None
    crisis: bool
    match: Match
    lender: str | None = None
    raw: str = ""
    paid_off: bool = False
    #: The duration a paid-off message names ("逾期了两个多月,后来还清了"): reported, but no stage block.
    named_days: int | None = None
    #: Nothing but a day count and/or platform, said as a follow-up ("那20天呢", "极融呢").
    bare: bool = False
    fear: bool = False
    #: What the crisis detector read in the whole message (distress, the reader's region, the cue).
    signal: Signal = _NO_SIGNAL
    #: The message names a credit bureau outside mainland China (Taiwan's 聯徵, Hong Kong's TU).
    other_bureau: bool = False


def _tool_texts(
    kb: KnowledgeBase, rates: apr.RateTexts | None, complaints: complaint.Templates | None
) -> tuple[apr.RateTexts, complaint.Templates]:
    """The tools' texts (rate.yaml, complaints.yaml: beside the knowledge base when there, else the
    shipped ones); a broken file is a broken knowledge base (``/reload`` keeps the last good one)."""
    folder = Path(kb.path).parent
    try:
        if rates is None:
            local = folder / apr.DEFAULT_RATE_PATH.name
            rates = apr.load_rate_texts(local if local.exists() else None)
        if complaints is None:
            local = folder / complaint.DEFAULT_COMPLAINTS_PATH.name
            complaints = complaint.load_templates(local if local.exists() else None)
    except (apr.RateTextsError, complaint.ComplaintError) as exc:
        where, _, detail = str(exc).partition(": ")
        raise KnowledgeBaseError([Problem(where, 0, None, detail)]) from exc
    return rates, complaints


#: A stage's label in a reply's first sentence ("极融逾期10天"), and the stage a sentence holds from.
_STAGE_LABEL = "{platform}逾期{days}"
_STAGE_SINCE = "从逾期{days}天起,{sentence}"


def _asking_nothing_without(plea: re.Pattern[str], question: str) -> str | None:
    """The leftover of a distress message with ``plea`` taken out, when the plea was there and the words left
    ask nothing of their own (they state: a pain, a job given up, what is owed); else None."""
    rest = plea.sub(" ", question)
    return rest if rest != question and not asks_something(NOT_ASKING.sub(" ", rest)) else None


class Engine:
    #: Whether this process has loaded an engine before (see :meth:`load`).
    _loaded_before: ClassVar[bool] = False

    def __init__(
        self,
        kb: KnowledgeBase,
        config: MatcherConfig | None = None,
        rates: apr.RateTexts | None = None,
        complaints: complaint.Templates | None = None,
    ) -> None:
        self.kb = kb
        self.rates, self.complaints = _tool_texts(kb, rates, complaints)
        vocabulary: list[str] = []
        protected: list[str] = []
        for intent in kb.intents:
            vocabulary += [*intent.questions, intent.title]
            protected += [normalize(k) for k in intent.keywords]
        for group in kb.out_of_scope:
            vocabulary += group.questions
        for platform in kb.platforms:
            protected += [normalize(name) for name in platform.names]
        self.crisis = CrisisDetector(kb.crisis)
        self._fear_words = tuple(
            w for w in (normalize(word).replace(" ", "") for word in kb.texts.fear_words) if w
        )
        #: A distress cue with the little words around it ("我快崩溃了"), removed before matching.
        self._distress_words = re.compile(
            r"(?:我|真的?|都|快要?|要|已经|整个人|简直|每天|天天|好|太|很)*(?:"
            + "|".join(re.escape(c) for c in sorted(kb.crisis.distress, key=len, reverse=True))
            + r")(?:家人|家里人|屋企人|爸妈|父母|老婆孩子|老婆|老公|孩子|任何人|人)?(?:了|啦|掉了|的)?"
        )
        lender_names = [normalize(name) for lender in kb.lenders for name in lender.names]
        self.analyzer = Analyzer(vocabulary, kb.synonyms, protected, incidental=lender_names)
        del vocabulary, protected, lender_names  # (a list of every example: not alive while the matcher is built)
        self.matcher = Matcher.from_kb(kb, self.analyzer, config)
        removable = {*DAY_WORDS, *STOP_WORDS, *(normalize(name) for p in kb.platforms for name in p.names)}
        self._day_words = re.compile(
            "|".join(re.escape(w) for w in sorted(removable, key=len, reverse=True) if w)
        )
        self._platform_names = sorted(
            ((normalize(name), p.id) for p in kb.platforms for name in p.names), key=lambda x: -len(x[0])
        )
        self._topic_words_of: dict[str, list[str]] = {}
        self._stage_bodies: dict[tuple[Stage, int], str] = {}
        #: Stage blocks by (day count, as the reader said it, platform, level): see _stage_parts.
        self._stage_blocks: dict[tuple[int, str | None, str | None, int], tuple[tuple[Part, ...], StageRef | None]] = {}
        self._lender_names = sorted(
            ((normalize(name), lender.id) for lender in kb.lenders for name in lender.names),
            key=lambda x: -len(x[0]),
        )
        self._lenders_by_first_char: dict[str, list[tuple[str, str]]] = {}
        for name, lender_id in self._lender_names:
            if name:
                self._lenders_by_first_char.setdefault(name[0], []).append((name, lender_id))
        # its reply texts converted to Traditional ahead of time: OpenCC is loaded only for a text they lack
        normalize_module.use_stored(conversions.load(self))

    @classmethod
    def load(cls, path: str | Path | None = None, config: MatcherConfig | None = None) -> Engine:
        """Load and validate a knowledge base (raises :class:`faq.kb.KnowledgeBaseError`); the memory the
        build used and no longer needs is given back (:func:`faq.memory.release`), so that a later /reload
        builds its engine on top of what this one keeps, not of what building it took."""
        if cls._loaded_before:  # (a process's first load has nothing to give back: ~0.01 s of a first start)
            memory.release()  # first what serving left behind, as a /reload starts beside a serving engine
        kb_path = path or DEFAULT_KB_PATH
        # the analysis shipped beside the knowledge base, where the cache has none (used only while current),
        # from the check of the file on (which crisis regexes compiled, faq.regexes)
        # (no automatic garbage collection while it is built: collected once, after)
        with memory.collection_paused(), analysis_file.reading(kb_path):
            kb = load_knowledge_base(kb_path)
            if cls._loaded_before:  # (reading the file leaves free pages the engine's arrays do not reuse)
                memory.release()
            engine = cls(kb, config)
        memory.release()
        Engine._loaded_before = True
        return engine

    # ---------------------------------------------------------------------------------- understanding

    def detect_platform(self, normalized: str) -> str | None:
        """The platform a message names. Names of three or more characters are found anywhere; shorter
        ones (天星) only as a whole word, so that 今天星期几 names no platform."""
        compact = normalized.replace(" ", "")
        words: set[str] | None = None
        for name, platform_id in self._platform_names:
            if not name or name not in compact:
                continue
            if len(name) >= 3:
                return platform_id
            if words is None:
                words = set(self.analyzer.tokenizer.words(normalized))  # lcut(HMM=False)'s words, faster
            if name in words:
                return platform_id
        return None

    def detect_lender(self, normalized: str) -> str | None:
        """The lender a message names first (its id in ``lenders:``: 建行信用卡 -> the bank); names of two
        characters only as a whole word."""
        compact = normalized.replace(" ", "")
        words: set[str] | None = None
        found: list[tuple[int, int, str]] = []
        by_char = self._lenders_by_first_char  # only names whose first character the message has
        for name, lender_id in (entry for ch in by_char.keys() & set(compact) for entry in by_char[ch]):
            at = compact.find(name)
            if at < 0:
                continue
            if len(name) < 3:
                if words is None:
                    words = set(self.analyzer.tokenizer.words(normalized))  # lcut(HMM=False)'s words, faster
                if name not in words:
                    continue
            found.append((at, -len(name), lender_id))
        return min(found)[2] if found else None

    def is_crisis(self, text: str) -> bool:
        """Whether ``text`` (raw or normalised) speaks of self-harm: the crisis detector's verdict."""
        return self.crisis.detect(text).crisis

    def speaks_of_crisis(self, message: str | bytes | None) -> bool:
        """Whether a raw message speaks of self-harm or despair anywhere in it (up to Telegram's 4096
        characters), not only in the part that is matched."""
        return self.crisis.detect(message).crisis

    def understand(
        self, message: str | bytes | None, traditional: bool | None = None, signal: Signal | None = None
    ) -> Understanding:
        """What a message asks. ``signal``: the crisis reading to use instead of the detector's (the crisis
        reply reads what else the message asks as if it held no crisis, see :meth:`_asked_beside_crisis`)."""
        whole = safe_text(message, limit=CRISIS_SCAN_CHARS)
        raw = whole[:MAX_INPUT_CHARS]
        normalized = normalize(question_marks_as_particles(_EMOTICON_CODE.sub(" ", raw), normalize))
        if signal is None:
            signal = self.crisis.detect(whole)
            practical = self._practical_question(message, traditional, signal)
            if practical is not None:
                return practical
        # Distress is answered first (see reply); what else the message asks is read without it.
        asked = self._without_distress_words(normalized) if signal.distress else normalized
        day_count = parse_days(asked) if asked and not signal.crisis else None
        if signal.distress and day_count is not None and parse_days(normalized) is None:
            # A count that only appears once the distress words are out ("失眠快十天了" -> "快十天了"): the period
            # belonged to the distress (how long the reader has not slept), not to the debt.
            day_count = None
        if signal.distress and not signal.crisis and day_count is None:
            # A distress cue may take a day count with it ("逾期40天 每天睡不着": N天...睡不 is a cue): the
            # count is kept, the distress words are taken out around it.
            said = parse_days(normalized)
            if said is not None and _OVERDUE_VERB_BEFORE.search(normalized[: said.span[0]]):
                start, end = said.span
                asked = " ".join(
                    part
                    for part in (
                        self._without_distress_words(normalized[:start]),
                        normalized[start:end],
                        self._without_distress_words(normalized[end:]),
                    )
                    if part
                )
                day_count = parse_days(asked) if asked else None
        stripped = strip_followup_words(asked)
        offset = len(asked) - len(stripped)
        if day_count is None and stripped != asked and not signal.crisis:  # "那20天呢": number first
            found = parse_days(stripped)
            if found is not None:
                day_count = replace(found, span=(found.span[0] + offset, found.span[1] + offset))
        paid_off = bool(_PAID_OFF.search(normalized))
        # Amounts, lenders and past borrowing verbs blanked out where they stand (spans stay valid), before
        # the day count is taken out: "网上借钱逾期一个月" borrowed, it does not ask to borrow.
        plain = self.analyzer.strip_incidental(asked, keep_length=True)
        question = plain
        if day_count is not None:
            # Match on what the message asks besides its day count: "逾期15天会怎样" asks nothing else
            # (the stage block answers it), "拖了12天了会打给我老公吗" asks about family.
            start, end = day_count.span
            before = _OVERDUE_VERB_BEFORE.sub("", plain[:start])
            question = f"{before} {plain[end:]}"
            if self._only_day_words(question):
                question = ""
            elif asks_only_what_it_means(question):
                question = plain  # "迟了三天 要紧吗": what those days mean, the whole message's topic
        if paid_off or (day_count is not None and (day_count.hypothetical or day_count.days >= LONG_PERIOD_DAYS)):
            # "结清一个月了": no day count; "网贷拖三年 就不用还了吗": the period imagined is part of the question;
            # "已经四年没人联系我了 还要还吗": a period of years is what the message asks about (time limits,
            # how long a record stays), not only where the reader stands.
            question = plain
        platform = self.detect_platform(normalized)
        bare = (
            (day_count is not None or platform is not None)
            and self._only_day_words(strip_followup_words(question))
            and (bool(_FOLLOWUP_MARK.search(normalized)) or len(normalized.replace(" ", "")) <= 6)
        )
        if signal.crisis:
            question = ""  # support only: nothing else is answered in this turn
        lender = self.detect_lender(normalized)
        # Loan context: a day count, platform, lender, amount or borrowing verb (what strip_incidental
        # blanked out). The matcher then answers an in-scope question more readily (see decide).
        named = platform is not None or lender is not None
        context = day_count is not None or (
            (named or plain.split() != asked.split()) and not (named and self._names_only(asked))
        )
        if not question:
            match = Match(intent=None, confidence=0.0, ranking=())
        elif day_count is not None and not paid_off:
            # a second question is looked for in the message with its day count ("逾期两个月严重吗会被起诉吗")
            match = self.matcher.match(
                question, whole=plain, answered=self._answered_by_stage, context=context
            )
            match = self._with_its_day_words(match, plain, context)
        else:
            match = self.matcher.match(question, context=context)
        if question:
            match = self._clear_question_over_weak_answer(match, question)
        if signal.distress and question:
            match = self._distress_first(question, match)
            match = self._coping_asked_too(normalized, match)
            match = self._distress_told_first(normalized, match)
            match = self._support_beside_a_question(normalized, match, staged=day_count is not None)
        other_bureau = names_other_bureau(normalized)
        if (
            other_bureau
            and question
            and (match.intent is None or match.ambiguous)
            and not self._answers_itself(match)
            and not asks_to_borrow(normalized)
            and not (self._resembles_out_of_scope(match) and not context)
        ):
            # "會被報到聯徵嗎", "會唔會上TU": a question about one's credit record, whatever else it resembles; the
            # answer says first that the mainland's rules it gives do not apply there (other_bureau_note). An
            # out-of-scope group with an answer of its own keeps it, and so does a message that asks where to
            # borrow ("邊間財務公司唔查TU都肯借": a loan request, never answered as a credit question).
            match = Match(intent=CREDIT_INTENT, confidence=match.confidence, ranking=match.ranking)
        if (
            question
            and match.intent is None
            and match.out_of_scope in (None, "loan_request", "unrelated")
            and borrows_to_repay(normalized)
            and not only_asks_where_to_borrow(normalized)
        ):
            # "该不该再借一笔新的来还旧的": whether to borrow to repay is a question about managing debts (the
            # answer says not to roll loans over), not a request for a lender nor an unrelated question; also when
            # nothing clears the threshold (a refusal all the same).
            match = Match(intent=DEBT_INTENT, confidence=match.confidence, ranking=match.ranking)
        if question and not signal.distress and only_asks_where_to_borrow(normalized):
            # "还有哪个app能借钱", "学车有贷款的平台吗": where to borrow, whatever loan words the rest names (额度,
            # 分期, 征信有点花). The loan-request answer: no lender is ever recommended.
            match = match.refused("loan_request")
        elif (
            question
            and not signal.distress
            and speaks_of_a_collection_job(normalized)
            and not self._asks_beside_a_job(normalized)
        ):
            # The reader works (or means to work) in collection: "在催收公司干了两年 这工作犯法吗", "应聘催收员要什么证".
            # Not a borrower's question, whatever it asks about collection's legality; unless another question
            # clearly asks a borrower's topic (see _asks_beside_a_job).
            match = match.refused("unrelated")
        elif question and not signal.distress and speaks_of_money_owed_to_the_reader(normalized):
            # The reader lent the money ("同学欠我两千 能告他吗", "借给表哥的钱要不回来"): a creditor's question, not a
            # borrower's, whatever its words share with suing or collecting (no debt of the reader's own is named).
            match = match.refused("unrelated")
        if question and match.intent == CONTACTS_INTENT and calls_a_work_landline(normalized):
            # "催收一直打我单位座机 这样违规吗": calls to the work landline again and again ask how often and when
            # they may call, not who is told of the debt (the contacts topic, which workplace words suggest).
            match = match.answering(CALLS_INTENT)
        if (
            question
            and not signal.distress
            and match.out_of_scope is None
            and match.intent != SCAM_INTENT
            and offers_to_clean_a_record(normalized)
        ):
            # "有人加我说能帮我消除逾期记录 真的吗": someone offering to wipe a record is the paid-repair scam,
            # whatever the record's words resemble (how long a record stays); a second question keeps its place.
            match = match.answering(SCAM_INTENT)
        if (
            question
            and not signal.distress
            and (day_count is None or day_count.days <= 0)
            and (
                (match.intent is not None and asks_about_a_home_or_car_loan(normalized))
                or (match.out_of_scope is None and asks_about_ordinary_card_or_loan_terms(normalized))
            )
        ):
            # "房贷担保费怎么收", "车贷想提前结清 违约金怎么算": a mortgage's or car loan's ordinary terms, with no
            # sign of trouble with a debt (late, unpaid, collected, sued, the credit record ...): the knowledge
            # base's out-of-scope banking questions, though a fee's words resemble the fees topic. So are a credit
            # card's terms ("交行卡账单分十二期 手续费几个点", "白条的额度为啥一直不涨") and repaying a loan that is not late
            # ("离还款日还有一礼拜 先还掉一千行吗": a day count before the due date is no trouble, and gets no stage block).
            match, day_count = match.refused("unrelated"), None
        elif question and not signal.distress and day_count is None and asks_to_calculate_a_loan(normalized):
            # "借2万 年化12% 算算一年利息多少": a loan whose rate is given, its interest or payments to work out,
            # nothing owed or doubted. A calculator's errand (out of scope, as the dev sets label it), though its
            # words are the fees topic's; the rate tool asks for no schedule then (see _rate).
            match = match.refused("unrelated")
        if question and not signal.distress and match.intent is not None:
            errand = self._errand_after_a_story(asked)
            if errand is not None:
                # "逾期两个月了 催收天天打给我 对了你能帮我订张机票吗": the story tells of a debt, but what the message
                # asks is an errand of another kind (a loan, a job, something unrelated), as its questions, read
                # alone, are refused: the errand's refusal, not an answer the story's words suggest.
                match = match.refused(errand)
        if (
            question
            and (match.intent is None or match.ambiguous)
            and match.out_of_scope is None
            and not paid_off
            and day_count is None  # (a day count's stage block answers it)
            and speaks_of_an_overdue_debt(normalized)
        ):
            # "网贷拖着没还 不知道咋办", "欠了一身卡债 该怎么走出来": clearly about a debt in trouble, though no topic is clear
            # (a fallback or a "did you mean" at a few percent): never a refusal. The likelier of the two general
            # topics answers (what happens from here, or how to handle the debts); the other topics stay a tap away.
            match = Match(intent=self._general_topic(match), confidence=match.confidence, ranking=match.ranking)
        courtesy = courtesy_with_good_news(normalized)
        if courtesy is not None and question and not signal.distress:
            # "谢谢你 昨天跟客服谈好了分期 终于上岸了", "早上好 今天是我上岸第30天": thanks or a greeting with good
            # news and no question. The news names loan topics, yet nothing is asked: the courtesy's own answer.
            # (Thanks followed by a trouble still going on, "谢谢 催收还在打我家里", is read as before.)
            match = match.refused(courtesy)
        return Understanding(
            normalized=normalized,
            traditional=is_traditional(raw) if traditional is None else traditional,
            days=None if paid_off or day_count is None else stated(day_count.days, _said(asked, day_count)),
            platform=platform,
            lender=lender,
            crisis=signal.crisis,
            match=match,
            raw=raw,
            paid_off=paid_off,
            named_days=day_count.days if day_count else None,
            bare=bare,
            fear=self._shows_fear(normalized),
            signal=signal,
            other_bureau=other_bureau,
        )

    def _names_only(self, asked: str) -> bool:
        """Whether a lender's or platform's name is all the loan context a message has (no amount, borrowing verb
        or day count): "借呗的提醒号码怎么换" names an app, it tells of no debt; the calibrated threshold applies."""
        rest, names = asked, 0
        for name, _ in (*self._lender_names, *self._platform_names):
            if name and name in rest:
                rest, names = rest.replace(name, " " * len(name)), names + 1
        # several names are several debts ("信用卡 花呗 借呗都有"); an amount or owing is a debt told
        return names == 1 and _OWING_OR_AMOUNT.search(rest) is None

    def _with_its_day_words(self, match: Match, plain: str, context: bool) -> Match:
        """A message whose words without its day count ask nothing clearly ("晚了两天还 要紧吗", "晚缴3天算迟缴吗"
        less 晚了两天 / 晚缴3天): the day count's own words may say what is asked (a day or two late is the
        grace-period question). The whole message decides then, when it clearly names another intent than
        the stage block's (at least ``DAY_WORDS_BAR``); otherwise the stage block answers, as before. When the
        words besides the day count are refused as out of scope, the whole message decides when it clearly
        names any intent (the stage block's included)."""
        if match.intent is not None and not match.ambiguous:
            return match
        whole = self.matcher.match(plain, context=context)
        if match.out_of_scope is not None:
            # The words beside the day count were turned away ("房贷 银行会怎么做" less 逾期三个月 reads as a
            # banking question): an overdue debt is no out-of-scope errand, and the whole message decides
            # when it clearly names an intent ("房贷逾期三个月银行会怎么做" is the collection process). An unsure
            # whole message keeps the refusal: a story of a debt may end in an errand of another kind.
            return whole if whole.is_clear(DAY_WORDS_BAR) else match
        if whole.intent == STAGE_INTENT or not whole.is_clear(DAY_WORDS_BAR):
            return match
        return whole

    def _clear_question_over_weak_answer(self, match: Match, question: str) -> Match:
        """A long story dilutes its question: the whole message may clear only the low bar of loan context
        (below the calibrated threshold) with a topic its story's words suggest ("孩子上小学 老婆没工作 房贷每月
        六千 ... 五个平台都逾期了" reads as life's consequences), while one of its questions, read alone, clearly
        names another intent ("他们会不会去我老家找我爸妈"). That answer is as unsure as a "did you mean", and
        the first question asked clearly (at least 0.5 and the threshold, see ``Match.is_clear``) decides when
        the whole message ranks its intent among its ``WEAK_ANSWER_RANK`` likeliest.
        A whole message over the threshold, a refusal or a "did you mean" stays as it is."""
        if match.intent is None or match.ambiguous or match.second is not None:
            return match
        bar = self.matcher.threshold
        if match.confidence >= bar:
            return match
        units = [q for q, _ in asking_units(question)]
        if len(units) < 2 and (not units or units[0].strip() == question.strip()):
            return match  # no story: the message is its question
        for unit in units:
            if REFERS_BACK.search(unit) or not asks_something(NOT_ASKING.sub(" ", unit)):
                continue  # "这样合法吗" asks about the story itself: the whole message's topic
            found = self.matcher.match(unit)
            if found.is_clear(max(bar, WEAK_ANSWER_BAR)):
                if found.intent == match.intent or found.intent not in match.intents(WEAK_ANSWER_RANK):
                    return match
                return replace(match, intent=found.intent, confidence=found.confidence, ambiguous=False)
        return match

    def _asks_beside_a_job(self, normalized: str) -> bool:
        """Whether a message that speaks of a job in collection also asks, in a question of its own, something a
        borrower asks, clearly ("催收员工资高吗 他天天骂我 能投诉吗": the second question is the reader's own)."""
        for question, _ in asking_units(normalized):
            if speaks_of_a_collection_job(question):
                continue
            match = self.matcher.match(question)
            if match.is_clear(self.matcher.threshold):
                return True
        return False

    @staticmethod
    def _general_topic(match: Match) -> str:
        """The likelier of the general topics (GENERAL_TOPICS) in a match's ranking, the first when neither ranks."""
        ranked = [c.owner for c in match.ranking if c.owner in GENERAL_TOPICS]
        return ranked[0] if ranked else GENERAL_TOPICS[0]

    def _errand_after_a_story(self, asked: str) -> str | None:
        """The out-of-scope group of what a message asks after telling its story, when every question it asks is
        an errand of another kind: a message that opens with statements (the story: "网贷逾期半年了 征信也花了"),
        then asks only questions that, each read alone, an out-of-scope group refuses (``ERRAND_GROUPS``: "哪个
        驾校好考", "能帮我订个闹钟吗"), none with loan context of its own (a domain word, an amount, a borrowing
        verb, a lender, a day count), none about the story itself ("这样合法吗", "怎么办": no topic of its own) or
        only whether to call the police. None otherwise: a question in scope, or one that is unclear alone ("怎么办", "还能买房吗" if no
        group refuses it), keeps the story's answer."""
        parts = split_questions(asked)
        units = asking_units(asked)
        if len(parts) < 2 or not units or units[0][0] == parts[0]:
            return None  # no story before the first question
        if any(
            refers_back(question)
            or asks_only_police(question)
            or asks_where_to_repay(question)
            or len(topic_words(question)) < ERRAND_TOPIC_CHARS
            for question, _ in units
        ):
            return None  # ("怎么办", "能还吗": about the story; "这样合法吗" too; how to pay the debt back)
        # (Every question is read in words before any is cut into tokens or matched: the same None, found sooner.)
        if any(not asks_for_a_loan(question) and self._tells_of_a_loan(question) for question, _ in units):
            return None
        groups = []
        for question, _ in units:
            loan_asked = asks_for_a_loan(question)
            if loan_asked and self.matcher.match(question).out_of_scope == LOAN_REQUEST:
                # "你们能借我五千周转一下吗": a request for a loan names its amount and its verb; it is one when the
                # loan-request group refuses it as written
                groups.append(LOAN_REQUEST)
                continue
            if loan_asked and self._tells_of_a_loan(question):  # (the other questions were read above)
                return None
            plain = self.analyzer.strip_incidental(question, keep_length=True)
            tokens = self.analyzer.tokens(plain)
            if not tokens or self.matcher.has_context(tokens) or not self._names_an_outside_word(tokens):
                return None
            found = self.matcher.match(plain)
            if found.out_of_scope not in ERRAND_GROUPS:
                return None
            groups.append(found.out_of_scope)
        return groups[0]

    def _tells_of_a_loan(self, question: str) -> bool:
        """Loan context a question of a message states in its words (an amount or a borrowing verb, which
        strip_incidental blanks out, a day count, a lender, a platform): no errand of another kind (see
        _errand_after_a_story)."""
        plain = self.analyzer.strip_incidental(question, keep_length=True)
        return (
            plain.split() != question.split()
            or parse_days(question) is not None
            or self.detect_lender(question) is not None
            or self.detect_platform(question) is not None
        )

    def _names_an_outside_word(self, tokens: Sequence[str]) -> bool:
        """Whether a word of ``tokens`` is an out-of-scope word: no example uses it ("火锅店"), or at most one intent
        example does (a stray use in a story) and more out-of-scope examples ("天气", "笑话"). A sign of another
        subject, read before a question is matched on its own (which costs a whole match); a word the intents use
        ("回来" of "能要回来吗", asking about something the story told) is none."""
        for token in tokens:
            uses = self.matcher.example_uses(token)
            if uses is None:
                return True
            inside_uses, outside_uses = uses
            if inside_uses <= 1 and outside_uses > inside_uses:
                return True
        return False

    def _resembles_out_of_scope(self, match: Match) -> bool:
        """Whether an out-of-scope group is the likeliest reading of a message and clears the calibrated
        threshold. Without loan context ("去哪裡拿自己的聯徵報告 新公司入職要交": paperwork for a job, no debt named) such a
        message is not turned into a question about one's credit record."""
        top = match.ranking[0] if match.ranking else None
        return top is not None and top.is_out_of_scope and top.score >= self.matcher.threshold

    def _answers_itself(self, match: Match) -> bool:
        """Whether a match is an out-of-scope group with an answer of its own (a loan request, a greeting)."""
        if match.out_of_scope is None:
            return False
        return any(g.id == match.out_of_scope and bool(g.answer) for g in self.kb.out_of_scope)

    def _distress_first(self, question: str, match: Match) -> Match:
        """A message of distress whose other words ask nothing clearly ("负债 焦虑 失眠", "卡债欠了40万 每天都很
        害怕 该怎么办"): the emotional-support topic answers, not a topic the leftover words resemble a little
        (below the threshold, answered only because loan context lowers the bar) or merely name ("负债"),
        nor what the reader owes ("欠了好多网贷": whose distress it is, _DEBT_NAMING), nor a topic a statement
        names unless almost surely (``DISTRESS_STATEMENT_BAR``: "催收说明天上门 好怕" is the visit). A question
        beside the distress ("好焦虑 会坐牢吗") keeps its answer."""
        topic = self.kb.crisis.distress_intent
        if self.kb.intent(topic) is None:
            return match
        if match.intent == topic:
            return replace(match, ambiguous=False)  # the likeliest topic is support itself: no "did you mean"
        if (
            match.out_of_scope is not None
            and not self._only_day_words(question)
            and _asking_nothing_without(_LONE_PARTICLE, question) is None  # (not a plea's 吗 left alone)
        ):
            return match  # (a refusal of what the leftover words ask; "怎么办" alone asks for help with the distress)
        if match.intent is not None and not match.ambiguous:
            asks = asks_something(NOT_ASKING.sub(" ", question))  # (a count, "好几笔", asks nothing)
            # a clear match, or a question asked (a long message that asks "会不会打给我爸妈" plainly),
            # unless the leftover is a bare word ("负债") that asks nothing, or words of owing and a plea for
            # help in general ("信用卡欠了一大笔 我该怎么熬过去": how to bear it, the support topic)
            rest = _asking_nothing_without(HELP_ONLY, question)
            if rest is not None:
                owed = self.analyzer.tokens(rest)
                if all(t in _DEBT_NAMING or t == "逾期" or _COUNT.fullmatch(t) for t in owed):
                    asks, question = False, rest
            tokens = self.analyzer.tokens(question)
            named_only = not asks and (
                len(tokens) <= 1 or all(t in _DEBT_NAMING or _COUNT.fullmatch(t) for t in tokens)
            )
            if (asks or match.confidence >= DISTRESS_STATEMENT_BAR) and not named_only:
                return match
        return Match(intent=topic, confidence=match.confidence, ranking=match.ranking)

    def _coping_asked_too(self, normalized: str, match: Match) -> Match:
        """A message of distress that asks how to cope and then announces another question ("心里乱成一团 咋办 另外
        想问分期的事", HELP_THEN_ANOTHER): both are asked, how to cope first (the emotional-support topic, its
        plea naming no topic of its own once the words of distress are out), then the question matched. A match
        that already answers two questions, support itself or no clear answer is left as it is."""
        topic = self.kb.crisis.distress_intent
        if match.intent in (None, topic) or match.ambiguous or match.second is not None or not self.kb.intent(topic):
            return match
        found = HELP_THEN_ANOTHER.search(normalized)
        if found is None:
            return match
        plea = normalized[: found.start()]
        rest = self._without_distress_words(plea)
        if rest == plea.strip():
            return match  # no words of distress before the plea ("被他们吵得不行 咋办 另外...")
        if len(topic_words(self.analyzer.strip_incidental(rest))) >= ERRAND_TOPIC_CHARS:
            return match  # besides its distress the plea tells a topic of its own ("电话响个不停 好慌 咋办")
        return replace(match, intent=topic, second=match.intent)

    def _distress_told_first(self, normalized: str, match: Match) -> Match:
        """A message that opens with how the reader feels and only then asks ("整宿合不上眼 心里堵得慌 爸妈会接到电话吗",
        "天天失眠 欠了好几万 能跟平台商量吗"): the reader asks for support first and the question second, as a
        plea followed by an announced question does (_coping_asked_too). The opening clauses must hold words of
        distress and tell nothing else of substance (what is owed, a day count and a plea for help aside:
        :meth:`_tells_only_distress`); a question that is itself the story ("讲好明天来家里 心慌 咋整") keeps
        its one answer, and so does a match already answering two questions or none clearly."""
        topic = self.kb.crisis.distress_intent
        if match.intent in (None, topic, AVOIDING_INTENT) or match.ambiguous or match.second is not None:
            # (fear of the ringing phone before "can I just stop answering" is that question's own story)
            return match
        if not self.kb.intent(topic):
            return match
        clauses = normalized.split()
        told = 0
        distress = False
        for clause in clauses:
            if asks_something(HELP_ONLY.sub(" ", clause)) or not self._tells_only_distress(clause):
                break  # (the question itself, or a clause that tells more than how the reader feels)
            distress = distress or self._has_distress_words(clause)
            told += 1
        if not distress or told == len(clauses):
            return match
        lead = self._day_words.sub("", "".join(clauses[:told]))
        if len(_HAN.findall(lead)) < DISTRESS_LEAD_CHARS:
            return match  # a word of fear before the question ("好怕 会坐牢吗") is how it is asked
        rest = " ".join(clauses[told:])
        if len(topic_words(self.analyzer.strip_incidental(rest))) < DISTRESS_QUESTION_CHARS:
            return match  # (what is left names too little to be a question of its own)
        return replace(match, intent=topic, second=match.intent)

    def _has_distress_words(self, text: str) -> bool:
        return any(p.search(text) for p in self.crisis.distress_patterns) or bool(self._distress_words.search(text))

    def _tells_only_distress(self, clause: str) -> bool:
        """Whether a clause tells nothing but how the reader feels, what they owe, a day count or a plea for
        help: fewer than ``ERRAND_TOPIC_CHARS`` characters naming anything else once those are out."""
        rest = self._without_distress_words(clause)
        rest = self._day_words.sub(" ", HELP_ONLY.sub(" ", rest))
        if not rest.strip():
            return True
        tokens = self.analyzer.tokens(rest)
        if all(t in _DEBT_NAMING or _COUNT.fullmatch(t) for t in tokens):
            return True
        return len(topic_words(self.analyzer.strip_incidental(rest))) < ERRAND_TOPIC_CHARS

    def _support_beside_a_question(self, normalized: str, match: Match, staged: bool) -> Match:
        """A reader who says they are breaking down (OVERWHELMED: "人快垮了", "压力大得喘不过气", "天天以泪洗面") and
        also asks a practical question: the question is answered first, as asked, and the emotional-support topic
        second (its title and direct sentence). Fear of what the collectors said ("好怕", "心慌") belongs to the
        question's own topic (a threat, a visit) and adds nothing; a match that already answers two questions,
        support itself, or no clear answer is left as it is, and so is what happens next beside a day count
        (``staged``: the stage block answers it, and a second answer would lead in its place)."""
        topic = self.kb.crisis.distress_intent
        if match.intent in (None, topic) or match.ambiguous or match.second is not None or not self.kb.intent(topic):
            return match
        if staged and match.intent == STAGE_INTENT:
            return match
        if OVERWHELMED.search(normalized) is None:
            return match
        return replace(match, second=topic)

    def _answered_by_stage(self, part: str) -> bool:
        """A part of a message that asks nothing but what its day count means ("逾期15天会怎样"): the stage
        block answers it, so it is no second question."""
        found = parse_days(part)
        if found is None:
            return False
        start, end = found.span
        return self._only_day_words(_OVERDUE_VERB_BEFORE.sub("", part[:start]) + " " + part[end:])

    def _shows_fear(self, normalized: str) -> bool:
        compact = normalized.replace(" ", "")
        return any(word in compact for word in self._fear_words)

    def _without_distress_words(self, text: str) -> str:
        """The message without its words of distress ("我快崩溃了"), so that what else it asks is matched on
        its own; empty when nothing with content is left."""
        rest = text
        for pattern in self.crisis.distress_patterns:
            rest = pattern.sub(" ", rest)
        rest = self._distress_words.sub(" ", rest).strip()
        return rest if rest and self.analyzer.tokens(rest) else ""

    def _only_day_words(self, text: str) -> bool:
        """True when nothing but overdue wording, function words and platform names is left (a pure
        day-count message). Read by substrings, not tokens: jieba may glue 后 and 会 into 后会."""
        return not self._day_words.sub("", text).strip()

    # ---------------------------------------------------------------------------------------- replies

    def reply(self, message: str | bytes | None, traditional: bool | None = None) -> Reply:
        """The reply to one user message on its own (no conversation). Never raises for any input.
        ``traditional`` forces the reply's script (a front end that remembers it for messages without
        Chinese characters); None: the message's own script."""
        return self.converse(message, None, traditional=traditional)[0]

    def converse(
        self,
        message: str | bytes | None,
        context: Context | None,
        now: float | None = None,
        traditional: bool | None = None,
    ) -> tuple[Reply, Context]:
        """The reply to a message in a conversation, and the conversation's next context.

        The context (at most 30 minutes old) resolves follow-ups: a typed message is first matched against
        the buttons just offered; "那20天呢" / "极融呢" re-ask the last topic with the new day count or
        platform; "那我该怎么办", "还有别的办法吗", "是真的吗" stay on the last topic; a question without a day
        count or platform inherits them. The same full text is never sent twice in a row."""
        now = time.time() if now is None else now
        ctx = current(context, now)
        u = self.understand(message, traditional)
        style = self._style(u, ctx)
        if u.crisis:  # support, and only that; its one button opens what else the message asked, if anything
            reply = self.crisis_reply(u.signal, u.traditional, self._asked_beside_crisis(u), style.words)
            return self._deliver(reply, ctx, now, style)
        if not u.normalized:
            reply = Reply(ReplyKind.EMPTY, (Part(self.kb.texts.empty),))
            return self._deliver(reply, ctx, now, style)
        reply = self._rate(message, u) or self._converse(u, ctx)
        if u.lender is not None:
            reply = replace(reply, lender=u.lender)
        if u.signal.distress and reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST):
            # Nothing else asked: the emotional-support answer (or the warm sentence alone).
            emotional = self.kb.intent(self.kb.crisis.distress_intent)
            reply = (
                self._intent_reply(emotional, u.days, u.platform, None, fear=False, followup=None)
                if emotional is not None
                else replace(reply, parts=())
            )
        if u.signal.distress:
            reply = self._with_distress(reply, u.signal, u.traditional)
        if u.paid_off and u.named_days is not None and reply.days is None:
            # The duration is reported (days, stage) but the paid-off reader gets no stage block, and the
            # conversation does not take it as an overdue count.
            _, ref = self._stage_parts(u.named_days, u.platform)
            reply = replace(reply, days=u.named_days, stage=ref, followup=reply.followup or "paid_off")
        return self._deliver(reply, ctx, now, style)

    def press(
        self,
        intent_id: str,
        context: Context | None,
        now: float | None = None,
        traditional: bool = False,
        days: int | None = None,
        platform: str | None = None,
    ) -> tuple[Reply, Context] | None:
        """A button press in a conversation (the button carries the days and platform); None for an unknown
        intent. Pressing the topic just shown gives its key points, not the same text again."""
        now = time.time() if now is None else now
        ctx = current(context, now)
        intent = self.kb.intent(intent_id)
        if intent is None:
            return None
        days = days if days is not None else (ctx.days if ctx else None)
        platform = platform if platform is not None else (ctx.platform if ctx else None)
        reply = self._intent_reply(intent, days, platform, ctx, fear=False, followup="button")
        return self._deliver(reply, ctx, now, self._style(None, ctx, traditional))

    def more(
        self,
        context: Context | None,
        now: float | None = None,
        traditional: bool = False,
        intent_id: str | None = None,
        days: int | None = None,
        platform: str | None = None,
    ) -> tuple[Reply, Context]:
        """The details behind the "详细说明" button / ``/more``: of ``intent_id`` (a button) or of the last
        topic in the context."""
        now = time.time() if now is None else now
        ctx = current(context, now)
        intent = self.kb.intent(intent_id or (ctx.intent if ctx else None) or "")
        if intent is None:
            reply = Reply(ReplyKind.DETAILS, (Part(self.kb.texts.no_more_details or self.kb.texts.help),))
            return self._deliver(reply, ctx, now, self._style(None, ctx, traditional))
        days = days if days is not None else (ctx.days if ctx else None)
        platform = platform if platform is not None else (ctx.platform if ctx else None)
        details = self._details_of(intent, days, platform)
        stage_parts, stage_ref = self._stage_parts(days, platform)
        cut = _paragraphs_shown(ctx.shown if ctx else None, _shown_key(intent.id, stage_ref))
        if cut is not None:
            # The answer was last shown cut short (before a second answer, or a note): "详细说明" starts where it
            # was cut, with the whole stage block (it may have shrunk too), so that nothing shown alone is lost.
            rest = "\n\n".join(compose.paragraphs(self._summary_and_body(intent)[1])[cut:])
            stage = "\n".join(p.plain() for p in stage_parts)
            details = "\n\n".join(x for x in (rest, intent.details, stage) if x)
        body = details or self.kb.texts.no_more_details or intent.answer
        reply = Reply(
            ReplyKind.DETAILS,
            (Part(body, intent.title),),
            intent=intent.id,
            confidence=1.0,
            days=days,
            platform=platform,
            related=self._asks(intent.related),
            summary=None,
            details=details or None,
            followup="details",
        )
        return self._deliver(reply, ctx, now, self._style(None, ctx, traditional))

    def _rate(self, message: str | bytes | None, u: Understanding) -> Reply | None:
        """A message with a loan's figures: its real annual rate, or a question for what is missing."""
        figures = apr.rate_figures(message)
        if figures is None:
            return None
        result = apr.annual_rate(figures)
        clear = u.match.intent is not None and not u.match.ambiguous
        # A loan repaid at once within two weeks is the 714 kind: when the message asks about the lender's
        # legality (714高炮, 套路贷, 无牌放贷), that topic goes with the rate. A longer loan's "合法吗" asks about
        # the cost ("到手8千 要还1万2 这利息合法吗").
        # (When the matcher hesitates between the rate and the lender's legality, a short loan settles it.)
        short = figures.term_days is not None and figures.term_days <= SHORT_LOAN_DAYS and figures.instalments is None
        asked_topic = next((i for i in u.match.intents(2) if i in RATE_TOPICS), None)
        if clear and u.match.intent in RATE_TOPICS:
            asked_topic = u.match.intent
        elif clear and u.match.intent != apr.RATE_INTENT:
            asked_topic = None  # another topic is asked clearly
        lender_topic = short and asked_topic is not None
        other = clear and not lender_topic and u.match.intent != apr.RATE_INTENT
        if other and u.days is not None and u.days > 0:
            # Overdue and asking something else ("逾期38天 每月要还2800 还不起 能不能商量再分长一点 停一停罚息"):
            # the loan's figures are its story, the question is the other topic's.
            return None
        if other and self._questions_leave_cost_aside(u.normalized):
            # The figures are the story and the questions ask something else ("收到传票 本金1万2 要我还1万6
            # 下个月开庭 一定要去吗"): the other topic answers.
            return None
        if isinstance(result, apr.Missing) and (other or (clear and lender_topic) or u.match.out_of_scope is not None):
            # Too few figures for a rate, and a question of its own ("7天借1000到手700 这合法吗"), or one the
            # matcher turned away as out of scope ("房贷100万 30年 利率3.1% 每个月要还多少": a mortgage's
            # payment, not the cost of an overdue loan): no request for the loan's schedule.
            return None
        rate = round(result.percent, 1) if isinstance(result, apr.Rate) else None
        text = (
            apr.explain(result, self.rates)
            if isinstance(result, apr.Rate)
            else apr.ask_for(result, self.rates)
        )
        topic = self.kb.intent(asked_topic if lender_topic and asked_topic else apr.RATE_INTENT)
        # The rate's sentence leads (bold), like an answer's summary; the legal bases are the topic's details.
        heading, _, body = text.partition("\n") if rate is not None else ("", "", text)
        return Reply(
            ReplyKind.APR,
            (Part(body.strip(), heading or None),),
            intent=topic.id if topic else None,
            confidence=1.0,
            apr=rate,
            days=u.days,  # "借了1万 逾期15天 利息一天50合法吗": the count is kept for the conversation
            platform=u.platform,
            related=self._asks(topic.related) if topic else (),
            summary=heading or None,
            details=topic.details if topic else None,
        )

    @staticmethod
    def _questions_leave_cost_aside(normalized: str) -> bool:
        """Whether a message asks questions and none of them is about a loan's cost (利息, 合法吗, 手续费 ...)."""
        units = asking_units(normalized)
        return bool(units) and not any(apr.asks_about_cost(question) for question, _ in units)

    def answer_intent(
        self, intent_id: str, traditional: bool = False, days: int | None = None, platform: str | None = None
    ) -> Reply | None:
        """The answer of a chosen intent outside a conversation (inline mode), optionally with a stage block."""
        pressed = self.press(intent_id, None, traditional=traditional, days=days, platform=platform)
        return pressed[0] if pressed else None

    def stage_reply(
        self,
        days: int,
        platform: str | None = None,
        traditional: bool = False,
        context: Context | None = None,
        now: float | None = None,
    ) -> Reply:
        """The stage block for ``days`` overdue (``/stage N``)."""
        return self.stage_turn(days, platform, traditional, context, now)[0]

    def stage_turn(
        self,
        days: int,
        platform: str | None = None,
        traditional: bool = False,
        context: Context | None = None,
        now: float | None = None,
    ) -> tuple[Reply, Context]:
        now = time.time() if now is None else now
        ctx = current(context, now)
        reply = self._stage_only(days, platform)
        return self._deliver(reply, ctx, now, self._style(None, ctx, traditional))

    # ------------------------------------------------------------------------------------ composition

    def _converse(self, u: Understanding, ctx: Context | None) -> Reply:
        topic = ctx.intent if ctx and ctx.intent else (STAGE_INTENT if ctx and ctx.days is not None else None)
        # A typed message that is a button just offered is that button; so after a crisis reply that opened
        # the chat ("准备好了" for its one button), though the chat has no topic yet.
        if ctx is not None and (topic is not None or ctx.kind == ReplyKind.CRISIS.value):
            offered = match_offered(u.normalized, ctx.offered)
            intent = self.kb.intent(offered) if offered else None
            if intent is not None:
                days = u.days if u.days is not None else (None if u.paid_off else ctx.days)
                return self._intent_reply(
                    intent, days, u.platform or ctx.platform, ctx, fear=u.fear, followup="button"
                )
        if ctx is not None and topic is not None:
            if u.bare:
                days = u.days if u.days is not None else ctx.days
                platform = u.platform or ctx.platform
                last = self.kb.intent(topic)
                kind = "days" if u.days is not None else "platform"
                if last is None or last.id == STAGE_INTENT or ctx.kind == ReplyKind.STAGE.value:
                    if days is not None:
                        return replace(self._stage_only(days, platform), followup=kind)
                else:
                    return self._intent_reply(last, days, platform, ctx, fear=u.fear, followup=kind)
            if is_same_topic(u.normalized):
                last = self.kb.intent(topic)
                if last is not None:
                    return self._same_topic(
                        last,
                        ctx,
                        verify=asks_if_true(u.normalized),
                        what_now=asks_what_now(u.normalized),
                        fear=u.fear,
                    )
        elif is_same_topic(u.normalized) and not u.days:
            # "那我该怎么办" with nothing before it: ask what the situation is, never guess a topic.
            return self._fallback(u)
        return self._compose(u, ctx)

    def _compose(self, u: Understanding, ctx: Context | None) -> Reply:
        match = u.match
        inherited = False
        days, platform = u.days, u.platform
        if ctx is not None and not u.paid_off:
            if days is None and ctx.days is not None:
                days, inherited = ctx.days, True
            if platform is None and ctx.platform is not None:
                platform, inherited = ctx.platform, inherited or days is not None

        def make(kind: ReplyKind, parts: tuple[Part, ...], **fields: Any) -> Reply:
            return Reply(
                kind,
                parts,
                days=u.days,
                platform=u.platform,
                lender=u.lender,
                confidence=match.confidence,
                **fields,
            )

        stage_parts, stage_ref = self._stage_parts(u.days, u.platform)
        if stage_parts and match.intent == STAGE_INTENT and match.second and not match.ambiguous:
            # "逾期一个月严重吗 会坐牢吗": the other question's answer leads, the stage block follows it
            match = replace(match, intent=match.second, second=match.intent)
        if match.out_of_scope is not None:
            group = next(g for g in self.kb.out_of_scope if g.id == match.out_of_scope)
            if group.answer:
                return make(
                    ReplyKind.OUT_OF_SCOPE,
                    (Part(group.answer), *stage_parts),
                    stage=stage_ref,
                    out_of_scope=group.id,
                )
        if (
            match.intent is not None
            and not match.ambiguous
            and not (stage_parts and match.intent == STAGE_INTENT)
        ):
            intent = self.kb.intent(match.intent)
            assert intent is not None
            second = self.kb.intent(match.second) if match.second else None
            # Two questions in one message: the second answered short (its title and direct sentence) after the
            # first, which gives up room for it; "逾期10天了接下来会咋样 会打给我紧急联系人吗": the stage block shown
            # after the answer is what the other question asks (what happens now), no further text.
            by_stage = second is not None and second.id == STAGE_INTENT and bool(stage_parts)
            after = self._second_answer(second) if second is not None and not by_stage else None
            reply = self._intent_reply(
                intent,
                days,
                platform,
                ctx,
                fear=u.fear,
                followup="inherit" if inherited else None,
                confidence=match.confidence,
                limit=compose.FIRST_MESSAGE_BUDGET - (len(after.plain()) + 2 if after else 0),
            )
            if second is not None and by_stage:
                reply = replace(reply, intents=(intent.id, second.id))
            elif second is not None and after is not None:
                reply = replace(
                    reply,
                    parts=(*reply.parts, after),
                    intents=(intent.id, second.id),
                    related=self._asks(_second_first(second.id, intent.related)),
                )
            elif second is None and (close := self._close_runner_up(match)) is not None:
                # two topics nearly as likely: the other one is the first button ("did you mean" no longer asks)
                reply = replace(reply, related=self._asks(_second_first(close, intent.related)))
            note = self.kb.texts.other_bureau_note
            if u.other_bureau and note and "征信" in reply.text:
                reply = replace(reply, parts=(Part(note), *reply.parts))
            return reply
        confidently_elsewhere = (
            match.out_of_scope is not None and match.ranking[0].score >= self.matcher.config.confident
        )
        if stage_parts and not confidently_elsewhere:
            reply = self._stage_only(u.days or 0, u.platform)
            related = self._asks(match.intents(MAX_SUGGESTIONS) if match.intent else ())
            return replace(reply, confidence=match.confidence, related=related or reply.related)
        if match.out_of_scope is not None:
            return self._fallback(u, ReplyKind.OUT_OF_SCOPE, match.out_of_scope)
        lead = self._clear_lead(match)
        if lead is not None:
            # Loan context, no intent over even its low bar, but one topic far likelier than anything else (out
            # of scope included): its answer, with the other likeliest topics as the first buttons, rather than a
            # bare "did you mean" (no answer to a question plainly meant to be ours). On the dev sets it answers one
            # such question and one out-of-scope comparison of two lenders' rates (everyday_holdout16c).
            intent = self.kb.intent(lead)
            assert intent is not None
            reply = self._intent_reply(
                intent, days, platform, ctx, fear=u.fear, followup="inherit" if inherited else None,
                confidence=match.confidence,
            )
            others = [i for i in self._suggested_ids(match) if i != lead]
            buttons = (*others, *(r for r in intent.related if r not in others))[: max(len(intent.related), 1)]
            return replace(reply, related=self._asks(buttons))
        if match.intent is not None:  # ambiguous between close intents: "did you mean", in their words
            suggestions = self._asks(self._suggested_ids(match))
            texts = self.kb.texts
            if texts.did_you_mean_quote:
                words = compose.quote(u.raw, QUOTE_CHARS)
                # The user's words go in after the script conversion, exactly as they wrote them.
                text = texts.did_you_mean_quote.replace("{words}", _QUOTE)
                return make(ReplyKind.SUGGEST, (Part(text),), suggestions=suggestions, quote=words)
            return make(ReplyKind.SUGGEST, (Part(texts.did_you_mean),), suggestions=suggestions)
        return self._fallback(u)

    @staticmethod
    def _clear_lead(match: Match) -> str | None:
        """The intent a "did you mean" would offer first when it leads clearly: it shares a word with the message
        and is at least ``LEAD_ODDS`` times as probable as every other owner of the ranking, out-of-scope groups
        included. None otherwise, and for any match that is not such an unsure one."""
        if match.intent is None or not match.ambiguous or match.out_of_scope is not None or not match.ranking:
            return None
        best, *others = match.ranking
        if best.owner != match.intent or not best.words:
            return None
        if any(c.score * LEAD_ODDS > best.score for c in others):
            return None
        return best.owner

    def _close_runner_up(self, match: Match) -> str | None:
        """The intent ranked second when it is within ``CLOSE_RUNNER_UP`` of the answered one and the answer is
        not ``confident``: the reader may have meant it (see MatcherConfig.ambiguity_margin)."""
        intents = [c for c in match.ranking if not c.is_out_of_scope][:2]
        if len(intents) < 2 or intents[0].owner != match.intent:
            return None
        best, runner_up = intents
        if best.score >= self.matcher.config.confident or best.score - runner_up.score >= CLOSE_RUNNER_UP:
            return None
        return runner_up.owner

    def _fallback(
        self, u: Understanding, kind: ReplyKind = ReplyKind.FALLBACK, out_of_scope: str | None = None
    ) -> Reply:
        """Nothing matched: ask what worries the user most, with situation buttons (``kind`` OUT_OF_SCOPE
        and the group, for an out-of-scope group without an answer of its own)."""
        texts = self.kb.texts
        if texts.ask_situation and texts.situations:
            suggestions = tuple(
                Suggestion(intent_id, label)
                for label, intent_id in texts.situations
                if self.kb.intent(intent_id) is not None
            )
            body = texts.ask_situation
        else:
            suggestions = self._suggestions(self._topic_ids()[:MAX_SUGGESTIONS])
            body = texts.fallback
        heading = texts.reassure if u.fear and texts.reassure else None
        return Reply(
            kind,
            (Part(body, heading),),
            days=u.days,
            platform=u.platform,
            confidence=u.match.confidence,
            suggestions=suggestions,
            out_of_scope=out_of_scope,
        )

    def _intent_reply(
        self,
        intent: Intent,
        days: int | None,
        platform: str | None,
        ctx: Context | None,
        *,
        fear: bool,
        followup: str | None,
        confidence: float = 1.0,
        limit: int = compose.FIRST_MESSAGE_BUDGET,
    ) -> Reply:
        """An intent's answer: its direct sentence first (the stage's when the stage decides it), then the
        few points that fit in the first message (``limit`` characters; less when a second answer follows),
        the stage block, and the rest behind "详细说明"."""
        stage_parts, stage_ref = self._stage_parts(days, platform)
        key = _shown_key(intent.id, stage_ref)
        if ctx is not None and _shown_base(ctx.shown) == key:
            return self._recap(intent, days, platform, stage_ref, ctx, fear=fear, confidence=confidence)
        summary, body = self._summary_and_body(intent)
        lead = self._stage_lead(intent, days, platform)
        # When the stage decides the answer its line leads, and the general sentence (which could
        # contradict it: "一般不会一逾期就打给家人" at day 20) is left out.
        heading = lead or summary
        same_topic = ctx is not None and ctx.intent == intent.id and ctx.kind in ("answer", "details")
        if same_topic:
            body = ""  # only the new part: the stage of the new day count or platform
        prefix = self.kb.texts.reassure if fear and self.kb.texts.reassure else ""
        stage_details = ""
        if stage_parts and ctx is not None and ctx.stage_shown == _stage_key(stage_ref) and not same_topic:
            stage_parts = self._stage_parts(days, platform, level=3)[0]  # the whole block was just shown
        elif stage_parts:
            # The stage block shrinks (its general note, then its rights, then its to-dos go behind
            # "详细说明") until the first message fits; the answer itself is cut last.
            room = limit - len(heading) - len(prefix) - len(body) - 2
            full = stage_parts
            for level in range(4):
                stage_parts = self._stage_parts(days, platform, level=level)[0] if level else full
                if sum(len(p.plain()) + 2 for p in stage_parts) <= room:
                    break
            if stage_parts != full:
                stage_details = "\n".join(p.plain() for p in full)
        budget = limit - len(heading) - len(prefix)
        budget -= sum(len(p.plain()) + 2 for p in stage_parts)
        first, rest = compose.split_to_budget(body, max(budget, 0))
        details = "\n\n".join(x for x in (rest, intent.details, stage_details) if x)
        if same_topic:
            details = self._details_of(intent, days, platform)
        parts = (Part(first, f"{prefix}{heading}" if heading else (prefix or None)), *stage_parts)
        return Reply(
            ReplyKind.ANSWER,
            tuple(p for p in parts if p.body or p.heading),
            intent=intent.id,
            confidence=confidence,
            days=days,
            platform=platform,
            stage=stage_ref,
            related=self._asks(intent.related),
            summary=heading or None,
            details=details or None,
            followup=followup,
        )

    def _recap(
        self,
        intent: Intent,
        days: int | None,
        platform: str | None,
        stage_ref: StageRef | None,
        ctx: Context,
        *,
        fear: bool,
        confidence: float = 1.0,
    ) -> Reply:
        """The same topic again: "上面说过的要点" in one or two lines, then the buttons (and the details)."""
        summary = self._heading(intent, days, platform)
        texts = self.kb.texts
        lines = [summary] if summary else []
        if days is not None and stage_ref is not None:
            stage = self.kb.stage_for(days, platform)
            todo = compose.bullets(stage.todo)[:2]
            if todo:
                lines.append(f"{texts.stage_todo}:" + ";".join(todo))
        heading = (texts.reassure if fear and texts.reassure else "") + (texts.recap_heading or "")
        details = self._details_of(intent, days, platform)
        part = Part("\n".join(lines) or intent.title, heading or None)
        if texts.recap_more and ctx.last_text == _text_key(part.heading, part.body):
            part = Part(texts.recap_more)  # the key points were just sent: ask what else, with the buttons
        return Reply(
            ReplyKind.ANSWER,
            (part,),
            intent=intent.id,
            confidence=confidence,
            days=days,
            platform=platform,
            stage=stage_ref,
            related=self._asks(intent.related),
            summary=summary or None,
            details=details or None,
            followup="repeat",
        )

    def _same_topic(self, intent: Intent, ctx: Context, *, verify: bool, what_now: bool, fear: bool) -> Reply:
        """ "那我该怎么办" / "还有别的办法吗" / "是真的吗" on the last topic: what has not been said yet
        (what to do now, the details with the legal bases), else the key points again, short."""
        days, platform = ctx.days, ctx.platform
        _, stage_ref = self._stage_parts(days, platform)
        details = self._details_of(intent, days, platform)
        summary = self._heading(intent, days, platform)
        texts = self.kb.texts
        prefix = texts.reassure if fear and texts.reassure else ""

        def make(parts: tuple[Part, ...], heading: str | None, **fields: Any) -> Reply:
            return Reply(
                ReplyKind.ANSWER,
                parts,
                intent=intent.id,
                confidence=1.0,
                days=days,
                platform=platform,
                stage=stage_ref,
                related=self._asks(intent.related),
                summary=heading,
                followup="topic",
                **fields,
            )

        todo = self._todo(intent, days, platform)
        todo_key = _text_key(f"{prefix}{todo[0]}" if todo[0] else prefix or None, todo[1]) if todo else None
        if what_now and todo is not None and ctx.last_text != todo_key:
            heading, body = todo
            shown = f"{prefix}{heading}" if heading else prefix or None
            return make((Part(body, shown),), heading or body, details=details or None)
        if details and not ctx.details_shown:
            first, rest = compose.split_to_budget(details, compose.FIRST_MESSAGE_BUDGET - len(summary))
            heading = f"{prefix}{summary}" if summary else prefix or None
            return make((Part(first, heading),), summary or None, details=rest or None, shows_details=True)
        if not verify and todo is not None and ctx.last_text != todo_key:
            heading, body = todo
            shown = f"{prefix}{heading}" if heading else prefix or None
            return make((Part(body, shown),), heading or body, details=details or None)
        recap = self._recap(intent, days, platform, stage_ref, ctx, fear=fear)
        return replace(recap, followup="topic")

    def _todo(self, intent: Intent, days: int | None, platform: str | None) -> tuple[str | None, str] | None:
        """(heading, body) of what to do now: the stage's to-dos with a day count, else the answer's own
        "现在…" line."""
        if days is not None:
            stage = self.kb.stage_for(days, platform)
            return (
                f"{self._stage_label(days, platform, stage)} · {self.kb.texts.stage_todo}",
                stage.todo.strip(),
            )
        line = next((x.strip() for x in intent.answer.splitlines() if x.strip().startswith("现在")), None)
        return (None, line) if line else None

    def _stage_only(self, days: int, platform: str | None) -> Reply:
        parts, ref = self._stage_parts(days, platform)
        intent = self.kb.intent(STAGE_INTENT)
        heading = parts[0].heading if parts else None
        return Reply(
            ReplyKind.STAGE,
            (*parts, Part(self.kb.texts.disclaimer)),
            intent=intent.id if intent else None,
            confidence=1.0,
            days=days,
            platform=platform,
            stage=ref,
            related=self._asks(intent.related if intent else ()),
            summary=heading,
        )

    def _stage_lead(self, intent: Intent, days: int | None, platform: str | None) -> str | None:
        """The sentence that says what the stage means for the question, when the stage decides it: the
        first line about the intent's keywords in this stage, else in the latest earlier stage of the same
        table ("从逾期4天起,…")."""
        if days is None or days <= 0:
            return None
        stage = self.kb.stage_for(days, platform)
        label = self._stage_label(days, platform, stage)
        words = self._topic_words(intent)
        table = self.kb.stages.get(stage.platform, ())
        earlier = [s for s in table if s.min_days <= stage.min_days]
        for candidate in reversed(earlier):
            line = compose.stage_lead(words, candidate.expect)
            if not line:
                continue
            sentence = compose.clean_lead(line)
            if candidate is not stage and candidate.min_days > 0:
                sentence = _STAGE_SINCE.format(days=candidate.min_days, sentence=sentence)
            return f"{label}:{sentence}"
        return None

    def _heading(self, intent: Intent, days: int | None, platform: str | None) -> str:
        return self._stage_lead(intent, days, platform) or self._summary_and_body(intent)[0]

    @staticmethod
    def _paragraphs_of_answer(reply: Reply) -> int:
        """How many paragraphs of its answer a reply shows: the body under the direct sentence (see _fit)."""
        part = next((p for p in reply.parts if p.heading and reply.summary and reply.summary in p.heading), None)
        return len(compose.paragraphs(part.body)) if part is not None else 0

    def _second_answer(self, intent: Intent) -> Part:
        """The answer to a message's second question: its title and its direct sentence (the whole answer is
        one press away: its button leads the reply's buttons)."""
        return Part(self._summary_and_body(intent)[0] or intent.answer, heading=intent.title)

    def _summary_and_body(self, intent: Intent) -> tuple[str, str]:
        """The intent's summary and the answer to show under it; without a summary, the answer's first
        sentence (taken out of the answer)."""
        if intent.summary:
            return intent.summary, intent.answer
        return compose.first_sentence(intent.answer)

    def _details_of(self, intent: Intent, days: int | None, platform: str | None) -> str:
        """The text behind "详细说明": what did not fit in the first message, and the intent's details."""
        reply = self._intent_reply(intent, days, platform, None, fear=False, followup=None)
        return reply.details or ""

    def _topic_words(self, intent: Intent) -> list[str]:
        words = self._topic_words_of.get(intent.id)
        if words is None:  # normalised once per intent (the knowledge base does not change under an engine)
            words = [w for w in (normalize(k).replace(" ", "") for k in intent.keywords) if w and w not in DAY_WORDS]
            self._topic_words_of[intent.id] = words
        return words

    def _stage_label(self, days: int, platform: str | None, stage: Stage) -> str:
        named = self.kb.platform(platform)
        name = named.display_name if named and stage.platform != GENERAL else None
        return _STAGE_LABEL.format(platform=name or "", days=as_said(days))

    def composed_texts(self) -> list[str]:
        """The texts this code joins the knowledge base's with in a reply (a stage's label, the stage a
        sentence holds from), with a day count: for the conversions stored ahead of time (:mod:`faq.conversions`)."""
        names = ["", *(p.display_name for p in self.kb.platforms)]
        return [_STAGE_SINCE.format(days=1, sentence=""), *(_STAGE_LABEL.format(platform=n, days="1天") for n in names)]

    def _style(self, u: Understanding | None, ctx: Context | None, traditional: bool | None = None) -> _Style:
        """The script, regional variant and own words of the reader (this message, else the chat's)."""
        if u is not None and u.raw and _HAN.search(u.raw):
            trad = u.traditional
            variant = reader_variant(u.raw) if trad else None
            words = reader_words(u.raw) if trad else ()
            if ctx is not None and trad and ctx.variant == "hk":
                variant = "hk"  # one Cantonese message is enough to know the reader
            return _Style(trad, variant, (*words, *(ctx.words if ctx else ())))
        if u is not None:
            trad = u.traditional
        elif traditional is not None:
            trad = traditional
        else:
            trad = ctx.traditional if ctx else False
        if ctx is not None and trad:
            return _Style(True, ctx.variant, ctx.words)
        return _Style(trad, None, ())

    def _deliver(self, reply: Reply, ctx: Context | None, now: float, style: _Style) -> tuple[Reply, Context]:
        """Finish the reply (crisis help line, mainland note, script) and compute the next context."""
        texts = self.kb.texts
        noted = bool(ctx and ctx.mainland_noted)
        cut_short = False  # _fit gave up the end of the answer to the details
        if reply.crisis:
            finished = reply  # already in the reader's script and region
        else:
            # Once per conversation: the hotlines and 征信 named are mainland China's.
            if style.traditional and texts.mainland_note and not noted and _MAINLAND.search(reply.text):
                reply = replace(reply, parts=(*reply.parts, Part(texts.mainland_note)))
                noted = True
            finished = self._finish(reply, style.traditional, style.variant, style.words)
            if reply.quote is not None:
                quoted = tuple(Part(p.body.replace(_QUOTE, reply.quote), p.heading) for p in finished.parts)
                finished = replace(finished, parts=quoted)
            if ctx is not None and ctx.in_crisis_window(now):
                footer = self.crisis_footer(ctx.crisis_region, style.traditional)
                if footer:
                    finished = replace(finished, parts=(*finished.parts, Part(footer)))
            fitted = self._fit(finished)
            cut_short = fitted is not finished
            finished = fitted
        shown = None
        if reply.kind is ReplyKind.ANSWER and reply.intent:
            if reply.followup in ("repeat", "topic"):
                shown = ctx.shown if ctx else None
            else:
                shown = _shown_key(reply.intent, reply.stage)
                if cut_short or (len(reply.intents) > 1 and reply.intents[1] != STAGE_INTENT):
                    shown += f"{_CUT}{self._paragraphs_of_answer(finished)}"
        stage_shown = None
        if any(p.heading and reply.stage and "【" in p.body for p in reply.parts):
            stage_shown = _stage_key(reply.stage)
        offered = (*finished.suggestions, *finished.related)
        next_ctx = after_reply(
            ctx,
            now=now,
            kind=reply.kind.value,
            intent=reply.intent if reply.kind is not ReplyKind.DETAILS else (ctx.intent if ctx else None),
            days=None if reply.followup == "paid_off" else reply.days,
            platform=reply.platform,
            shown=shown,
            stage_shown=stage_shown,
            offered=offered,
            details_shown=reply.kind is ReplyKind.DETAILS
            or reply.shows_details
            or (bool(ctx and ctx.details_shown) and reply.followup in ("repeat", "topic")),
            mainland_noted=noted,
            last_text=_text_key(reply.parts[0].heading, reply.parts[0].body) if reply.parts else None,
            traditional=style.traditional,
            variant=style.variant,
            words=style.words,
            crisis=reply.crisis,
            help_region=reply.help_region if reply.crisis else None,
        )
        return finished, next_ctx

    @staticmethod
    def _fit(reply: Reply) -> Reply:
        """An answer that grew over FIRST_MESSAGE_LIMIT (a warm sentence, the mainland note, the help line
        were added) gives up the end of its answer body to the details, never the sentence that answers."""
        over = len(reply.text) - FIRST_MESSAGE_LIMIT
        if over <= 0 or reply.kind is not ReplyKind.ANSWER or not reply.summary:
            return reply
        index = next(
            (i for i, p in enumerate(reply.parts) if p.heading and reply.summary in p.heading and p.body),
            None,
        )
        if index is None:
            return reply
        part = reply.parts[index]
        first, rest = compose.split_to_budget(part.body, max(len(part.body) - over, 0))
        if not rest:
            return reply
        parts = list(reply.parts)
        parts[index] = Part(first, part.heading)
        details = "\n\n".join(x for x in (rest, reply.details) if x)
        return replace(reply, parts=tuple(p for p in parts if p.body or p.heading), details=details)

    # ------------------------------------------------------------------------------------ crisis help

    def crisis_reply(
        self, signal: Signal, traditional: bool = False, asked: str | None = None, words: tuple[str, ...] = ()
    ) -> Reply:
        """Support, and only that: warm words with the help lines of the reader's region (a message of
        its own), then a gentle offer to talk about the debt later with ONE button (``related``). The button
        opens ``asked`` (the intent of an in-scope question the message also asks, :meth:`_asked_beside_crisis`)
        labelled with the region's ``offer_topic_button``, else ``crisis.offer_intent``: no answer is shown
        unless the reader presses it; in a reply in Traditional its title is in the reader's ``words``."""
        help = self.crisis.help_for(signal.region)
        answer = help.someone_else if signal.someone_else and help.someone_else else help.answer
        if signal.also is not None:
            answer = f"{answer}\n{self.crisis.help_for(signal.also).elsewhere}"
        local = traditional and help.region is Region.MAINLAND  # the other regions' texts are Traditional
        topic = self.kb.intent(asked) if asked and asked != self.kb.crisis.offer_intent else None
        if topic is not None and (label := self._script(help.topic_button(topic.title), local)):
            button = Suggestion(topic.id, use_reader_words(label, words) if traditional else label)
        else:
            button = self._convert_suggestion(Suggestion(self.kb.crisis.offer_intent, help.offer_button), local)
        return Reply(
            ReplyKind.CRISIS,
            (Part(self._script(answer, local)), Part(self._script(help.offer, local))),
            related=(button,),
            traditional=traditional,
            crisis=True,
            distress=signal.distress,
            help_region=help.region.value,
        )

    def _practical_question(
        self, message: str | bytes | None, traditional: bool | None, signal: Signal
    ) -> Understanding | None:
        """A crisis the model alone found, under ``crisis.model_question_at`` and with no word of dying, ending,
        leaving or means (:meth:`faq.crisis.CrisisDetector.doubted`), in a message that asks an in-scope question
        the matcher answers clearly (its calibrated threshold; not the support topic, nor one of
        ``crisis.offer_never``): the message read as distress (the help line, then the answer). None otherwise:
        the crisis reply stands. ("联系人那一栏能不能改填我的备用号" is a question, not despair; a crisis that
        asks something too scored higher on cross-validation, or said a word of dying.)"""
        doubted = self.crisis.doubted(signal, message)
        if doubted is None:
            return None
        read = self.understand(message, traditional, signal=doubted)
        match, rules = read.match, self.kb.crisis
        if (
            match.is_clear(self.matcher.threshold)
            and match.out_of_scope is None
            and match.intent not in (rules.distress_intent, *rules.offer_never)
        ):
            return read
        return None

    def _asked_beside_crisis(self, u: Understanding) -> str | None:
        """The intent of the in-scope question a crisis message also asks ("...不想活了 会打给我爸妈吗", or an
        everyday question the model took for a crisis). The message is read without its clauses that are a
        crisis on their own (their despair words pull the matcher towards the support topic), as for a
        distressed reader: its last plainly asked question on its own ("告诉我逾期九十天以后会发生什么"; a bare 几 or
        谁 asks nothing: "这几年借了还", "以后谁都联系不到我"), else with the statements just before it ("催收打给我领导
        ... 他们这样合法吗", "app删了 号也换了 他们还能找到我吗"; never what follows it, often the goodbye). Only the
        matcher's clear answer
        counts, at its calibrated threshold (not the lower bar of loan context: a goodbye's "我不知道明天会不会还
        这样" names no topic): never "did you mean", out of scope, the support topic itself, nor a topic of
        ``crisis.offer_never``. None: the message asks nothing else clearly, or asks it of the reader's own death
        or leaving (``crisis.offer_withheld``: "我走了以后 会找我爸妈吗"). Only the button's intent comes of it;
        nothing of its answer is shown in the crisis reply."""
        rules = self.kb.crisis
        if self.crisis.withholds_offer(u.normalized):
            return None
        clauses = u.normalized.split()
        read = u.signal.clauses  # each clause's verdict, from the reading that found the crisis
        if [clause for clause, _ in read] == clauses:
            kept = " ".join(clause for clause, crisis in read if not crisis)
        else:  # (read from a longer text than u.normalized, or no crisis reading: each clause read again)
            kept = " ".join(clause for clause in clauses if not self.crisis.detect(clause).crisis)
        asking = [(q, story) for q, story in asking_units(kept) if ASKS_PLAINLY.search(q)]
        if not asking:
            return None
        question, story = asking[-1]
        # the reader's own not-knowing is no topic ("我不知道明天会不会还这样": 知道 is no family finding out)
        question, story = (_HEDGE.sub("", text).strip() or text for text in (question, story))
        reading = replace(u.signal, crisis=False, someone_else=False, bereaved=False, distress=True)
        for text in dict.fromkeys((question, story)):
            match = self.understand(text, u.traditional, signal=reading).match
            if match.is_clear(self.matcher.threshold) and match.out_of_scope is None and match.intent != rules.distress_intent:
                return None if match.intent in rules.offer_never else match.intent
        return None

    def crisis_footer(self, region: str | Region | None, traditional: bool = False) -> str:
        """The one line that ends every reply for a while after a crisis reply (the conversation context
        keeps the time and the region: :attr:`faq.context.Context.crisis_until`, ``crisis_region``)."""
        try:
            help = self.crisis.help_for(Region(region or Region.MAINLAND))
        except ValueError:
            help = self.crisis.help_for(Region.MAINLAND)
        return self._script(help.footer, traditional and help.region is Region.MAINLAND)

    def _with_distress(self, reply: Reply, signal: Signal, traditional: bool) -> Reply:
        """One warm, true sentence with the region's help line before the answer (in Simplified for a
        mainland reader: the reply is converted as a whole afterwards)."""
        help = self.crisis.help_for(signal.region)
        line = help.bereaved if signal.bereaved and help.bereaved else help.distress
        return replace(
            reply,
            parts=(Part(line), *reply.parts),
            distress=True,
            help_region=help.region.value,
        )

    @staticmethod
    def _script(text: str, traditional: bool) -> str:
        return to_traditional(text) if traditional else text

    def first_messages(self, days: Iterable[int | None] = (None, 5, 12, 20, 45)) -> list[tuple[str, Reply]]:
        """Every intent's first message (a button press: no context), without a day count and at each of
        ``days`` on every stage table: what ``faq check`` measures against FIRST_MESSAGE_LIMIT."""
        out: list[tuple[str, Reply]] = []
        platforms: list[str | None] = [None, *(p.id for p in self.kb.platforms)]
        for intent in self.kb.intents:
            for day in days:
                for platform in platforms if day is not None else [None]:
                    reply = self.answer_intent(intent.id, days=day, platform=platform)
                    if reply is not None:
                        out.append((f"{intent.id} days={day} platform={platform}", reply))
        return out

    def text(self, key: str, traditional: bool = False, variant: str | None = None) -> str:
        """A fixed text from the knowledge base (``welcome``, ``help``, ...), in the user's script."""
        value = str(getattr(self.kb.texts, key))
        return to_traditional(value, variant) if traditional else value

    def topics(self, traditional: bool = False) -> list[Suggestion]:
        """Every intent as (id, title), in the knowledge base's order: the topic menu."""
        return [self._convert_suggestion(s, traditional) for s in self._suggestions(self._topic_ids())]

    def title(self, intent_id: str, traditional: bool = False) -> str | None:
        intent = self.kb.intent(intent_id)
        if intent is None:
            return None
        return to_traditional(intent.title) if traditional else intent.title

    def parse_platform(self, text: str) -> str | None:
        """A platform id from free text such as a /stage argument ("极融", "jirong", "天星")."""
        normalized = normalize(text)
        if self.kb.platform(normalized.strip()):
            return normalized.strip()
        return self.detect_platform(normalized)

    # ---------------------------------------------------------------------------------------- helpers

    def _suggested_ids(self, match: Match) -> list[str]:
        """Up to three intents worth offering: those the message resembles at all, else the first topics
        of the knowledge base (the questions people ask most)."""
        intents = [c for c in match.ranking if not c.is_out_of_scope]
        resembling = [c.owner for c in intents if c.score >= MIN_SUGGESTION_SCORE]
        # a message with loan context that none resembles much: the likeliest ones (see matcher.decide)
        likeliest = [c.owner for c in intents if c.score >= SUGGESTION_FLOOR]
        return (resembling or likeliest)[:MAX_SUGGESTIONS] or self._topic_ids()[:MAX_SUGGESTIONS]

    def _topic_ids(self) -> list[str]:
        return [intent.id for intent in self.kb.intents]

    def _suggestions(self, ids: Iterable[str]) -> tuple[Suggestion, ...]:
        out: list[Suggestion] = []
        for intent_id in ids:
            intent = self.kb.intent(intent_id)
            if intent is not None:
                out.append(Suggestion(intent.id, intent.title))
        return tuple(out)

    def _stage_parts(
        self, days: int | None, platform: str | None, level: int = 0
    ) -> tuple[tuple[Part, ...], StageRef | None]:
        """The stage block of ``days`` on ``platform``'s table. ``level`` shortens it: 1 without the general
        timeline's note, 2 also without the rights, 3 only what usually happens. Remembered (immutable, and
        the knowledge base does not change under an engine): a reply reads the block at up to four levels."""
        if days is None:
            return (), None
        key = (int(days), getattr(days, "said", None), platform, level)  # (a count as the reader said it: days.py)
        found = self._stage_blocks.get(key)
        if found is None:
            stage = self.kb.stage_for(days, platform)
            found = (self._stage_part(stage, days, platform, level),), StageRef(
                stage.platform, stage.min_days, stage.max_days
            )
            if len(self._stage_blocks) >= STAGE_BLOCKS_REMEMBERED:
                self._stage_blocks.clear()
            self._stage_blocks[key] = found
        return found

    def _stage_part(self, stage: Stage, days: int, platform: str | None, level: int = 0) -> Part:
        texts = self.kb.texts
        named = self.kb.platform(platform)
        platform_name = (
            named.display_name if named and stage.platform != GENERAL else texts.stage_general_name
        )
        if days <= 0:
            heading = texts.stage_not_overdue.format(days=days, platform=platform_name)
        else:
            # "{days}天" as the reader said it ("逾期一个多月"); an exact count reads the same either way
            template = texts.stage_heading.replace("{days}天", as_said(days))
            heading = template.format(days=days, platform=platform_name)
        return Part(self._stage_body(stage, level), heading)

    def _stage_body(self, stage: Stage, level: int) -> str:
        """A stage block's text at ``level`` (see :meth:`_stage_parts`): the same for every day count, so
        built once per stage and level (the knowledge base does not change under an engine)."""
        body = self._stage_bodies.get((stage, level))
        if body is None:
            texts = self.kb.texts
            lines = [f"【{stage.title}】"]
            fields = [(texts.stage_expect, stage.expect)]
            if level < 2:
                fields.append((texts.stage_rights, stage.rights))
            if level < 3:
                fields.append((texts.stage_todo, stage.todo))
            for label, text in fields:
                text = text.strip()
                lines.append(f"{label}:\n{text}" if "\n" in text else f"{label}:{text}")
            if stage.platform == GENERAL and level == 0:
                lines.append(texts.stage_general_note)
            body = self._stage_bodies[(stage, level)] = "\n".join(lines)
        return body

    def _asks(self, ids: Iterable[str]) -> tuple[Suggestion, ...]:
        """Follow-up buttons written as the user's next question (an intent's ``ask``, else its title)."""
        out: list[Suggestion] = []
        for intent_id in ids:
            intent = self.kb.intent(intent_id)
            if intent is not None:
                out.append(Suggestion(intent.id, intent.ask or intent.title))
        return tuple(out)

    @staticmethod
    def _convert_suggestion(
        s: Suggestion, traditional: bool, variant: str | None = None, words: tuple[str, ...] = ()
    ) -> Suggestion:
        if not traditional:
            return s
        return Suggestion(s.intent, use_reader_words(to_traditional(s.title, variant), words))

    def _finish(
        self, reply: Reply, traditional: bool, variant: str | None = None, words: tuple[str, ...] = ()
    ) -> Reply:
        """Convert the reply to Traditional characters when the user wrote in them: Taiwan or Hong Kong
        forms (``variant``), in the reader's own words (聯絡人 for someone who wrote 聯絡人)."""
        if not traditional:
            return reply

        def convert(text: str | None) -> str | None:
            return use_reader_words(to_traditional(text, variant), words) if text else text

        return replace(
            reply,
            parts=tuple(Part(convert(p.body) or "", convert(p.heading)) for p in reply.parts),
            suggestions=tuple(self._convert_suggestion(s, True, variant, words) for s in reply.suggestions),
            related=tuple(self._convert_suggestion(s, True, variant, words) for s in reply.related),
            summary=convert(reply.summary),
            details=convert(reply.details),
            traditional=True,
        )


def _second_first(second: str, related: Sequence[str]) -> tuple[str, ...]:
    """A reply's buttons when it answers two questions: the second topic's first (its whole answer), then the
    first topic's related ones, as many buttons in all as before."""
    return (second, *(r for r in related if r != second))[: max(len(related), 1)]
