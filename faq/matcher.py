"""Match a message to an intent: RapidFuzz over analysed example questions plus weighted word evidence.

Every example question of the knowledge base (and every out-of-scope example) is analysed once at load
time into canonical content tokens and indexed. For a message, each example gets a score that mixes

* ``overlap``: an IDF-weighted Dice coefficient of the two token sets (rare words such as 通讯录 or 投诉
  count for more than words many intents share, such as 逾期), computed through an inverted index;
* ``containment``: how much of the example's weight the message covers (long messages that contain a
  short example);
* ``fuzzy``: RapidFuzz's ``token_sort_ratio`` over the space-joined tokens, computed with
  ``process.cdist`` over all examples at once (no Python loop), which forgives word order and small
  differences.

Each intent (or out-of-scope group) takes the best score of its examples, plus ``vocabulary``: how much of
the message's weight is carried by words its examples use at all, plus a bonus per ``keyword`` present.
An out-of-scope group whose best example lacks a domain word of the message (催收, 通讯录 ...) loses a
little. The best intent wins when its score clears ``threshold`` and beats every out-of-scope group; when
the runner-up is within ``ambiguity_margin`` (and the best is not ``confident``) the engine offers
suggestions. The weights and thresholds were chosen with `faq eval` (threshold sweep) on the dev sets and
leave-one-out over the knowledge base; results were flat over a wide range of weights.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from faq.analyze import DOMAIN_WORDS, Analyzer
from faq.kb import KnowledgeBase
from faq.normalize import normalize

OOS_PREFIX = "oos:"


@dataclass(frozen=True, slots=True)
class MatcherConfig:
    overlap_weight: float = 0.35  # IDF-weighted Dice of message and example
    containment_weight: float = 0.15  # how much of the example the message covers (long messages)
    fuzzy_weight: float = 0.25  # RapidFuzz token_sort_ratio
    vocabulary_weight: float = 0.40  # how much of the message the intent's whole vocabulary covers
    #: An out-of-scope example that lacks a domain word of the message (催收, 逾期, 通讯录 ...: the analyser's
    #: domain words that at least two intents use) loses this much: "催收短信发到我老婆手机上" is not "手机短信怎么批量删除".
    domain_penalty: float = 0.10
    keyword_bonus: float = 0.08
    max_keyword_bonus: float = 0.16
    #: Below this score the engine says "I don't know this one" (calibrated with `faq eval`).
    threshold: float = 0.35
    #: Top two intents closer than this (and the top below `confident`) -> "did you mean".
    ambiguity_margin: float = 0.03
    confident: float = 0.55


@dataclass(frozen=True, slots=True)
class Candidate:
    owner: str  # intent id, or "oos:<group id>"
    score: float
    example: str

    @property
    def is_out_of_scope(self) -> bool:
        return self.owner.startswith(OOS_PREFIX)


@dataclass(frozen=True, slots=True)
class Match:
    intent: str | None  # the winning intent, None when nothing is good enough or out of scope
    confidence: float  # 0..1
    ranking: tuple[Candidate, ...]  # best candidate per owner, best first
    out_of_scope: str | None = None  # group id when an out-of-scope group won
    ambiguous: bool = False

    def intents(self, limit: int = 3) -> list[str]:
        return [c.owner for c in self.ranking if not c.is_out_of_scope][:limit]


class Matcher:
    """The index over analysed example questions; build it with :meth:`from_kb`."""

    def __init__(
        self,
        owners: list[str],
        examples: list[str],
        token_lists: list[list[str]],
        keywords: dict[str, list[str]],
        analyzer: Analyzer,
        config: MatcherConfig | None = None,
    ) -> None:
        self.config = config or MatcherConfig()
        self.analyzer = analyzer
        self.owners = owners
        self.examples = examples
        self.token_lists = token_lists
        self.keywords = keywords
        self.owner_names = sorted(set(owners))
        owner_index = {name: i for i, name in enumerate(self.owner_names)}
        self.owner_of = np.array([owner_index[o] for o in owners], dtype=np.int32)
        self.token_strings = [" ".join(tokens) for tokens in token_lists]
        self.idf = self._inverse_document_frequency(token_lists, owners)
        self.default_idf = max(self.idf.values(), default=1.0)
        index: dict[str, list[int]] = defaultdict(list)
        self.mass = np.zeros(len(examples), dtype=np.float64)
        for i, tokens in enumerate(token_lists):
            for token in set(tokens):
                index[token].append(i)
                self.mass[i] += self.idf[token]
        self.index_arrays = {t: np.array(ids, dtype=np.int32) for t, ids in index.items()}
        self.token_owners = {t: np.unique(self.owner_of[ids]) for t, ids in self.index_arrays.items()}
        intent_owners: dict[str, set[str]] = defaultdict(set)
        for tokens, owner in zip(token_lists, owners, strict=True):
            if not owner.startswith(OOS_PREFIX):
                for token in tokens:
                    intent_owners[token].add(owner)
        self.domain_words = frozenset(
            t for t, o in intent_owners.items() if len(o) >= 2 and t in DOMAIN_WORDS
        )

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, analyzer: Analyzer, config: MatcherConfig | None = None) -> Matcher:
        owners: list[str] = []
        examples: list[str] = []
        for intent in kb.intents:
            owners += [intent.id] * len(intent.questions)
            examples += intent.questions
        for group in kb.out_of_scope:
            owners += [OOS_PREFIX + group.id] * len(group.questions)
            examples += group.questions
        token_lists = [analyzer.tokens(normalize(q)) for q in examples]
        keywords = {
            intent.id: sorted({w for w in (normalize(k) for k in intent.keywords) if w})
            for intent in kb.intents
        }
        return cls(owners, examples, token_lists, keywords, analyzer, config)

    def without(self, index: int) -> Matcher:
        """The same index with one example left out, as if it had never been written (leave-one-out)."""

        def drop(items: list[Any]) -> list[Any]:
            return items[:index] + items[index + 1 :]

        return Matcher(
            drop(self.owners),
            drop(self.examples),
            drop(self.token_lists),
            self.keywords,
            self.analyzer,
            self.config,
        )

    @staticmethod
    def _inverse_document_frequency(token_lists: list[list[str]], owners: list[str]) -> dict[str, float]:
        """IDF over owners (intents and out-of-scope groups), not examples: a word that every intent uses
        says nothing about which intent is meant."""
        owners_of: dict[str, set[str]] = defaultdict(set)
        for tokens, owner in zip(token_lists, owners, strict=True):
            for token in tokens:
                owners_of[token].add(owner)
        total = len(set(owners)) or 1
        return {t: math.log((1 + total) / (1 + len(o))) + 0.1 for t, o in owners_of.items()}

    def token_weight(self, token: str) -> float:
        return self.idf.get(token, self.default_idf)

    # ------------------------------------------------------------------------------------------ match

    def example_scores(self, tokens: list[str]) -> np.ndarray:
        """Score of every example for the message tokens, in 0..1."""
        n = len(self.examples)
        if not tokens or n == 0:
            return np.zeros(n)
        unique = set(tokens)
        shared = np.zeros(n, dtype=np.float64)
        for token in unique:
            ids = self.index_arrays.get(token)
            if ids is not None:
                shared[ids] += self.idf[token]
        query_mass = sum(self.token_weight(t) for t in unique)
        overlap = 2.0 * shared / (query_mass + self.mass + 1e-9)
        containment = shared / (self.mass + 1e-9)
        query = " ".join(tokens)
        fuzzy = process.cdist([query], self.token_strings, scorer=fuzz.token_sort_ratio, dtype=np.uint8)[0]
        config = self.config
        return (
            config.overlap_weight * overlap
            + config.containment_weight * containment
            + config.fuzzy_weight * (fuzzy.astype(np.float64) / 100.0)
        )

    def vocabulary_coverage(self, tokens: list[str]) -> np.ndarray:
        """For each owner: the share of the message's weight (IDF) carried by words that owner's examples
        use. Evidence for an intent even when no single example resembles a long or unusual message."""
        coverage = np.zeros(len(self.owner_names), dtype=np.float64)
        unique = set(tokens)
        total = sum(self.token_weight(t) for t in unique)
        for token in unique:
            owners = self.token_owners.get(token)
            if owners is not None:
                coverage[owners] += self.idf[token]
        return coverage / (total + 1e-9)

    def match(self, normalized: str) -> Match:
        return decide(self.rank(normalized), self.config)

    def rank(self, normalized: str, exclude: int | None = None) -> tuple[Candidate, ...]:
        """Every intent and out-of-scope group with its best score for the message, best first;
        ``exclude`` takes one example out of the nearest-example search (its words still count)."""
        tokens = self.analyzer.tokens(normalized)
        if not tokens or not self.examples:
            return ()
        scores = self.example_scores(tokens)
        if exclude is not None:
            scores[exclude] = -1.0
        best = np.full(len(self.owner_names), -1.0)
        np.maximum.at(best, self.owner_of, scores)
        best = best + self.config.vocabulary_weight * self.vocabulary_coverage(tokens)
        best_example: dict[str, int] = {}
        for i in np.argsort(-scores, kind="stable")[: max(64, len(self.owner_names) * 4)]:
            best_example.setdefault(self.owners[i], int(i))
        bonus = self._keyword_bonus(normalized, tokens)
        domain = self.domain_words.intersection(tokens)
        if domain:
            for owner, i in best_example.items():
                if owner.startswith(OOS_PREFIX) and not domain <= set(self.token_lists[i]):
                    bonus[owner] = bonus.get(owner, 0.0) - self.config.domain_penalty
        candidates = (
            Candidate(
                name,
                min(1.0, max(0.0, float(best[k]) + bonus.get(name, 0.0))),
                self.examples[best_example[name]] if name in best_example else "",
            )
            for k, name in enumerate(self.owner_names)
        )
        return tuple(sorted(candidates, key=lambda c: -c.score))

    def _keyword_bonus(self, normalized: str, tokens: list[str]) -> dict[str, float]:
        config = self.config
        token_set = set(tokens)
        bonus: dict[str, float] = {}
        for intent_id, words in self.keywords.items():
            hits = sum(1 for w in words if w in token_set or (len(w) >= 2 and w in normalized))
            if hits:
                bonus[intent_id] = min(config.max_keyword_bonus, hits * config.keyword_bonus)
        return bonus


def decide(ranking: tuple[Candidate, ...], config: MatcherConfig) -> Match:
    """The rules that turn a ranking into a decision (pure, so `faq eval` can sweep the thresholds)."""
    if not ranking:
        return Match(intent=None, confidence=0.0, ranking=())
    top = ranking[0]
    intents = [c for c in ranking if not c.is_out_of_scope]
    best_intent = intents[0] if intents else None
    confidence = best_intent.score if best_intent else 0.0
    if top.is_out_of_scope and top.score >= config.threshold:
        return Match(None, confidence, ranking, out_of_scope=top.owner[len(OOS_PREFIX) :])
    if best_intent is None or best_intent.score < config.threshold:
        return Match(None, confidence, ranking)
    runner_up = intents[1] if len(intents) > 1 else None
    ambiguous = (
        runner_up is not None
        and best_intent.score - runner_up.score < config.ambiguity_margin
        and best_intent.score < config.confident
    )
    return Match(best_intent.owner, confidence, ranking, ambiguous=ambiguous)
