"""The engine: one knowledge base, its analyser and matcher, and the rules that turn a message into a reply.

>>> engine = Engine.load("intents.yaml")          # doctest: +SKIP
>>> engine.reply("拖了12天了会打给我老公吗").intent  # doctest: +SKIP
'family_contact'

Nothing here knows about Telegram: the console chat, the bot and `faq ask` all call :meth:`Engine.reply`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from faq import apr, complaint
from faq.analyze import STOP_WORDS, Analyzer
from faq.crisis import CrisisDetector, Region, Signal
from faq.days import parse_days
from faq.kb import GENERAL, KnowledgeBase, KnowledgeBaseError, Problem, Stage, load_knowledge_base
from faq.matcher import Match, Matcher, MatcherConfig
from faq.normalize import MAX_INPUT_CHARS, is_traditional, normalize, safe_text, to_traditional
from faq.reply import Part, Reply, ReplyKind, StageRef, Suggestion

DEFAULT_KB_PATH = Path(__file__).resolve().parent.parent / "intents.yaml"
#: The collection-process intent answers pure day-count messages ("逾期15天会怎样") with the stage block.
STAGE_INTENT = "collection_process"
MAX_SUGGESTIONS = 3
#: A message is matched on its first MAX_INPUT_CHARS characters, but read whole (Telegram's limit) for
#: words of despair.
CRISIS_SCAN_CHARS = 4096
_NO_SIGNAL = Signal(crisis=False, distress=False, region=Region.MAINLAND)
MIN_SUGGESTION_SCORE = 0.2
#: The overdue verb right before a day count ("晚还了" in "晚还了1天"): removed with the count.
_OVERDUE_VERB_BEFORE = re.compile(
    r"(?:逾期|拖欠了?|拖了?|晚还了?|超期了?|过期了?|迟还了?|欠了|延期了?)\s*(?:第\s*)?$"
)
#: Words that, next to a day count, ask nothing more than "what happens at this stage".
DAY_WORDS = frozenset(
    """逾期 逾 期 拖 拖了 拖欠 晚 晚还 晚还了 超期 过期 迟还 延期 欠 欠了 没还 还 还款 还不上 还不起 到期 还款日
    天 日 周 星期 礼拜 个月 月 年 第 多 几 了 后 后果 处理 怎么处理 发生 接下来 后面 之后 以后 情况 阶段 流程 现在
    会怎样 怎么样 咋样 咋 样 会 啥 情况 呢 已经 快 差不多 大概 左右 平台 借款 网贷 贷款 overdue""".split()
)


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the engine read in a message before composing the reply (also used by `faq eval`)."""

    normalized: str
    traditional: bool
    days: int | None
    platform: str | None
    crisis: bool
    match: Match
    #: What the crisis detector read in the whole message (distress, the reader's region, the cue).
    signal: Signal = _NO_SIGNAL


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


class Engine:
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
        #: A distress cue with the little words around it ("我快崩溃了"), removed before matching.
        self._distress_words = re.compile(
            r"(?:我|真的?|都|快要?|要|已经|整个人|简直|每天|天天|好|太|很)*(?:"
            + "|".join(re.escape(c) for c in sorted(kb.crisis.distress, key=len, reverse=True))
            + r")(?:家人|家里人|屋企人|爸妈|父母|老婆孩子|老婆|老公|孩子|任何人|人)?(?:了|啦|掉了|的)?"
        )
        self.analyzer = Analyzer(vocabulary, kb.synonyms, protected)
        self.matcher = Matcher.from_kb(kb, self.analyzer, config)
        removable = {*DAY_WORDS, *STOP_WORDS, *(normalize(name) for p in kb.platforms for name in p.names)}
        self._day_words = re.compile(
            "|".join(re.escape(w) for w in sorted(removable, key=len, reverse=True) if w)
        )
        self._platform_names = sorted(
            ((normalize(name), p.id) for p in kb.platforms for name in p.names), key=lambda x: -len(x[0])
        )

    @classmethod
    def load(cls, path: str | Path | None = None, config: MatcherConfig | None = None) -> Engine:
        """Load and validate a knowledge base (raises :class:`faq.kb.KnowledgeBaseError`)."""
        return cls(load_knowledge_base(path or DEFAULT_KB_PATH), config)

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
                words = set(self.analyzer.tokenizer.lcut(normalized, HMM=False))
            if name in words:
                return platform_id
        return None

    def is_crisis(self, text: str) -> bool:
        """Whether ``text`` (raw or normalised) speaks of self-harm: the crisis detector's verdict."""
        return self.crisis.detect(text).crisis

    def speaks_of_crisis(self, message: str | bytes | None) -> bool:
        """Whether a raw message speaks of self-harm or despair anywhere in it (up to Telegram's 4096
        characters), not only in the part that is matched."""
        return self.crisis.detect(message).crisis

    def understand(self, message: str | bytes | None, traditional: bool | None = None) -> Understanding:
        whole = safe_text(message, limit=CRISIS_SCAN_CHARS)
        raw = whole[:MAX_INPUT_CHARS]
        normalized = normalize(raw)
        signal = self.crisis.detect(whole)
        # Distress is answered first (see reply); what else the message asks is read without it.
        asked = self._without_distress_words(normalized) if signal.distress else normalized
        day_count = parse_days(asked) if asked and not signal.crisis else None
        question = asked
        if day_count is not None:
            # Match on what the message asks besides its day count: "逾期15天会怎样" asks nothing else
            # (the stage block answers it), "拖了12天了会打给我老公吗" asks about family.
            start, end = day_count.span
            before = _OVERDUE_VERB_BEFORE.sub("", asked[:start])
            question = f"{before} {asked[end:]}"
            if self._only_day_words(question):
                question = ""
        if signal.crisis:
            question = ""  # support only: nothing else is answered in this turn
        return Understanding(
            normalized=normalized,
            traditional=is_traditional(raw) if traditional is None else traditional,
            days=day_count.days if day_count else None,
            platform=self.detect_platform(normalized),
            crisis=signal.crisis,
            match=self.matcher.match(question)
            if question
            else Match(intent=None, confidence=0.0, ranking=()),
            signal=signal,
        )

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
        """The reply to one user message. Never raises for any input. ``traditional`` forces the reply's
        script (a front end that remembers it for messages without Chinese characters); None: the message's
        own script."""
        u = self.understand(message, traditional)
        if u.crisis:
            return self.crisis_reply(u.signal, u.traditional)
        if not u.normalized:
            return self._finish(Reply(ReplyKind.EMPTY, (Part(self.kb.texts.empty),)), u.traditional)
        reply = self._rate(message, u) or self._compose(u)
        if u.signal.distress and reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST):
            # Nothing else asked: the emotional-support answer (or the warm sentence alone).
            emotional = self.answer_intent(self.kb.crisis.distress_intent, days=u.days, platform=u.platform)
            reply = emotional or replace(reply, parts=())
        reply = self._finish(reply, u.traditional)
        return self._with_distress(reply, u.signal) if u.signal.distress else reply

    # ------------------------------------------------------------------------------------ crisis help

    def crisis_reply(self, signal: Signal, traditional: bool = False) -> Reply:
        """Support, and only that: warm words with the help lines of the reader's region (a message of
        its own), then a gentle offer to talk about the debt later with ONE button (``related``)."""
        help = self.crisis.help_for(signal.region)
        answer = help.answer
        if signal.also is not None:
            answer = f"{answer}\n{self.crisis.help_for(signal.also).elsewhere}"
        button = Suggestion(self.kb.crisis.offer_intent, help.offer_button)
        local = traditional and help.region is Region.MAINLAND  # the other regions' texts are Traditional
        return Reply(
            ReplyKind.CRISIS,
            (Part(self._script(answer, local)), Part(self._script(help.offer, local))),
            related=(self._convert_suggestion(button, local),),
            traditional=traditional,
            crisis=True,
            distress=signal.distress,
            help_region=help.region.value,
        )

    def crisis_footer(self, region: str | Region | None, traditional: bool = False) -> str:
        """The one line that ends every reply for a while after a crisis reply (the front end keeps the
        time and the region: :attr:`Reply.help_region`)."""
        try:
            help = self.crisis.help_for(Region(region or Region.MAINLAND))
        except ValueError:
            help = self.crisis.help_for(Region.MAINLAND)
        return self._script(help.footer, traditional and help.region is Region.MAINLAND)

    def _with_distress(self, reply: Reply, signal: Signal) -> Reply:
        """One warm, true sentence with the region's help line before the answer."""
        help = self.crisis.help_for(signal.region)
        sentence = self._script(help.distress, reply.traditional and help.region is Region.MAINLAND)
        return replace(
            reply, parts=(Part(sentence), *reply.parts), distress=True, help_region=help.region.value
        )

    @staticmethod
    def _script(text: str, traditional: bool) -> str:
        return to_traditional(text) if traditional else text

    def _compose(self, u: Understanding) -> Reply:
        match = u.match

        def make(kind: ReplyKind, parts: tuple[Part, ...], **fields: Any) -> Reply:
            return Reply(kind, parts, days=u.days, platform=u.platform, confidence=match.confidence, **fields)

        stage_parts, stage_ref = self._stage_parts(u.days, u.platform)
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
            return make(
                ReplyKind.ANSWER,
                (Part(intent.answer), *stage_parts),
                intent=intent.id,
                stage=stage_ref,
                related=self._suggestions(intent.related),
            )
        confidently_elsewhere = (
            match.out_of_scope is not None and match.ranking[0].score >= self.matcher.config.confident
        )
        if stage_parts and not confidently_elsewhere:
            intent = self.kb.intent(STAGE_INTENT)
            return make(
                ReplyKind.STAGE,
                (*stage_parts, Part(self.kb.texts.disclaimer)),
                intent=intent.id if intent else None,
                stage=stage_ref,
                related=self._suggestions(match.intents(MAX_SUGGESTIONS) if match.intent else ()),
            )
        if match.out_of_scope is not None:
            return make(
                ReplyKind.OUT_OF_SCOPE,
                (Part(self.kb.texts.fallback),),
                out_of_scope=match.out_of_scope,
                suggestions=self._suggestions(self._topic_ids()[:MAX_SUGGESTIONS]),
            )
        suggestions = self._suggestions(self._suggested_ids(match))
        if match.intent is not None:  # ambiguous between close intents
            return make(ReplyKind.SUGGEST, (Part(self.kb.texts.did_you_mean),), suggestions=suggestions)
        return make(ReplyKind.FALLBACK, (Part(self.kb.texts.fallback),), suggestions=suggestions)

    def _rate(self, message: str | bytes | None, u: Understanding) -> Reply | None:
        """A message with a loan's figures: its real annual rate, or a question for what is missing."""
        figures = apr.parse_loan(message)
        if not apr.is_rate_message(message, figures):
            return None
        result = apr.annual_rate(figures)
        rate = round(result.percent, 1) if isinstance(result, apr.Rate) else None
        text = (
            apr.explain(result, self.rates)
            if isinstance(result, apr.Rate)
            else apr.ask_for(result, self.rates)
        )
        topic = self.kb.intent(apr.RATE_INTENT)
        return Reply(
            ReplyKind.APR,
            (Part(text),),
            intent=topic.id if topic else None,
            confidence=1.0,
            apr=rate,
            related=self._suggestions(topic.related if topic else ()),
        )

    def answer_intent(
        self, intent_id: str, traditional: bool = False, days: int | None = None, platform: str | None = None
    ) -> Reply | None:
        """The answer of a chosen intent (a button press), optionally with a stage block."""
        intent = self.kb.intent(intent_id)
        if intent is None:
            return None
        stage_parts, stage_ref = self._stage_parts(days, platform)
        reply = Reply(
            ReplyKind.ANSWER,
            (Part(intent.answer), *stage_parts),
            intent=intent.id,
            confidence=1.0,
            days=days,
            platform=platform,
            stage=stage_ref,
            related=self._suggestions(intent.related),
        )
        return self._finish(reply, traditional)

    def stage_reply(self, days: int, platform: str | None = None, traditional: bool = False) -> Reply:
        """The stage block for ``days`` overdue (``/stage N``)."""
        parts, ref = self._stage_parts(days, platform)
        intent = self.kb.intent(STAGE_INTENT)
        reply = Reply(
            ReplyKind.STAGE,
            (*parts, Part(self.kb.texts.disclaimer)),
            intent=intent.id if intent else None,
            confidence=1.0,
            days=days,
            platform=platform,
            stage=ref,
            related=self._suggestions(intent.related if intent else ()),
        )
        return self._finish(reply, traditional)

    def text(self, key: str, traditional: bool = False) -> str:
        """A fixed text from the knowledge base (``welcome``, ``help``, ...), in the user's script."""
        value = str(getattr(self.kb.texts, key))
        return to_traditional(value) if traditional else value

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
        resembling = [
            c.owner for c in match.ranking if not c.is_out_of_scope and c.score >= MIN_SUGGESTION_SCORE
        ]
        return resembling[:MAX_SUGGESTIONS] or self._topic_ids()[:MAX_SUGGESTIONS]

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
        self, days: int | None, platform: str | None
    ) -> tuple[tuple[Part, ...], StageRef | None]:
        if days is None:
            return (), None
        stage = self.kb.stage_for(days, platform)
        return (self._stage_part(stage, days, platform),), StageRef(
            stage.platform, stage.min_days, stage.max_days
        )

    def _stage_part(self, stage: Stage, days: int, platform: str | None) -> Part:
        texts = self.kb.texts
        named = self.kb.platform(platform)
        platform_name = (
            named.display_name if named and stage.platform != GENERAL else texts.stage_general_name
        )
        if days <= 0:
            heading = texts.stage_not_overdue.format(days=days, platform=platform_name)
        else:
            heading = texts.stage_heading.format(days=days, platform=platform_name)
        lines = [f"【{stage.title}】"]
        for label, body in (
            (texts.stage_expect, stage.expect),
            (texts.stage_rights, stage.rights),
            (texts.stage_todo, stage.todo),
        ):
            lines.append(f"{label}:\n{body}" if "\n" in body else f"{label}:{body}")
        if stage.platform == GENERAL:
            lines.append(texts.stage_general_note)
        return Part("\n".join(lines), heading)

    @staticmethod
    def _convert_suggestion(s: Suggestion, traditional: bool) -> Suggestion:
        return Suggestion(s.intent, to_traditional(s.title)) if traditional else s

    def _finish(self, reply: Reply, traditional: bool) -> Reply:
        """Convert the reply to Traditional characters when the user wrote in them."""
        if not traditional:
            return reply
        return replace(
            reply,
            parts=tuple(
                Part(to_traditional(p.body), to_traditional(p.heading) if p.heading else None)
                for p in reply.parts
            ),
            suggestions=tuple(self._convert_suggestion(s, True) for s in reply.suggestions),
            related=tuple(self._convert_suggestion(s, True) for s in reply.related),
            traditional=True,
        )
