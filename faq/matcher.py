"""Match a message to an intent with a calibrated scorer learnt from the knowledge base's own examples.

Every example question of the knowledge base (and every out-of-scope example) is analysed once at load
time into canonical content tokens (jieba + the analyser's repairs) and indexed. For a message, every
*owner* (an intent, or an out-of-scope group) gets a few features, each a similarity in 0..1:

* ``overlap``: the best IDF-weighted Dice coefficient between the message's tokens and one of the
  owner's examples (rare words such as 通讯录 or 投诉 count for more than 逾期), through an inverted index;
* ``containment``: the best share of an example's weight that the message covers (long messages that
  contain a short example);
* ``chars``: the best IDF-weighted Dice coefficient over characters (segmentation differences such as
  爆通讯录 / 通讯录, unknown words);
* ``fuzzy``: the best RapidFuzz ``ratio`` between the message's tokens and an example's, both sorted
  (``token_sort_ratio``, with the examples sorted once at load), over the few examples that resemble
  the message most by the cheaper signals;
* ``coverage``: the share of the message's weight carried by words the owner's examples use at all;
* ``keywords``: the owner's keywords present (0, 1/2, 1);
* for out-of-scope groups also ``oos`` (1), ``oos x overlap``, ``oos x coverage`` and ``oos x
  domain gap`` (the share of the message's domain words, such as 催收 or 通讯录, that the group never
  uses: "催收短信发到我老婆手机上" is not "手机短信怎么批量删除");
* ``ngrams``: the class-level view a plain text classifier has, P(owner | message) under a multinomial
  naive Bayes model over TF-IDF character 1-3-grams and canonical words of *all* the owner's examples
  together (:mod:`faq.ngrams`). The logistic-regression baseline of ``faq eval`` beat the per-example
  features on everyday text; this feature lets the combiner learn from what it sees. For the combiner's
  training rows it is computed with the row's own example left out of the n-gram counts too (exact
  leave-one-out, cheap for naive Bayes), so the combiner learns how far to trust it on unseen messages.

How to combine them is *learnt*, not set by hand: a logistic regression (Newton's method in numpy, a few
milliseconds) estimates P(owner is the right answer | features) from the knowledge base's own examples,
each scored as if it were a new message: leave-one-out (the example taken out of the nearest-example
search and out of its owner's vocabulary), and every out-of-scope example once more with its whole group
held out, as an off-topic message the knowledge base has never seen (every example of the shipped
knowledge base; a sample fixed by each example's digest when there are many more, see ``training_whole``). The acceptance threshold is then
calibrated on those same held-out predictions: the one that maximises the expected in-scope accuracy plus
out-of-scope rejection when each probability is trusted only to within ``CALIBRATION_SPREAD`` in log-odds
(:func:`calibrate`; counted exactly, the curve is a flat step function whose best point jumped with every
few examples). The best intent wins when its probability clears the
threshold and no out-of-scope group is more probable; when the runner-up is within ``ambiguity_margin``
(and the best is not ``confident``; 0 by default, so never) the engine offers suggestions.

Loan context. A message with a domain word (催收, 征信, 逾期 ...) or, as the engine tells, a day count,
lender, platform, amount or borrowing verb, almost always asks something in scope; there the threshold
is ``context_threshold`` (0.1, tuned on the dev sets: the calibration above cannot set it, because its
held-out out-of-scope rows are whole groups taken away, so loan requests look in scope to it), provided
the best intent shares a word with the message that is not a stray numeral. Out of scope still wins
when an out-of-scope group is more probable and clears the calibrated threshold (loan requests): loan
context lowers the bar for answering, never the bar for refusing. With loan context and no
intent over even that threshold, the likeliest intents are offered ("did you mean"), never a refusal.

Two questions. The message is cut after question particles, at punctuation and before an A-不-A glued to
one asked the same way ("会不会上征信会不会打给我爸妈", see faq.questions); when two parts are each clearly
asked (their own match >= 0.5 and the threshold) and one of them is the whole message's intent, both are
answered, the one asked first (a part that asks plainly, with 吗, 会不会, 怎么 ..., not a counting 几) first.
A short follow-up that goes on from the question before it ("改了以后还会打给原来的人吗") is read with that
question; a later question diluted by the words that lead into it ("另外想问下", "还有") or by the condition
it opens with ("分期了还会上征信吗") is read without them, when the question as written already ranks that
intent first. A question the stage block answers ("逾期10天了接下来会咋样") pairs with the collection process
(the engine shows no further text for it). The bar is not lowered for a second question: on the dev sets a
lower one (0.25-0.45) added one pair for seven to nine second answers to one-question messages.

A story, then a question. The story's words can outweigh the question's in the whole message ("佢哋打去我
公司揾同事 我可唔可以告佢哋攞赔偿" reads as calls to colleagues). Each asking part is therefore read on its
own too; when the whole message answers, and a part clearly names the intent the whole message ranks second
(with at least ``FOCUS_FLOOR``), the question decides. Parts that only ask about the story ("这样合法吗") or
say what the reader means to do do not; statements after a message's last question ("...吗 联络人是我姊姊")
add detail, the message up to that question decides between its two likeliest intents. These rules only
change the topic of an answer: a refusal, fallback or "did you mean" stays as it was.

Cost per message: a handful of numpy operations over arrays as long as the examples, RapidFuzz on at most
``fuzzy_examples`` of them, and features for every owner; only the best ``ranking_size`` owners become
:class:`Candidate` objects. Within one message each text (the message, a part of it, a reported clause) is
ranked once (``_Readings``). The trained weights are cached (see :mod:`faq.cache`), keyed by everything
they depend on.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import threading
import weakref
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from faq import cache, memory, questions, regexes, scorer_file
from faq.analyze import DOMAIN_WORDS, Analyzer
from faq.analyze import code_version as analysis_code_version
from faq.compact import COMPACT_FROM, Strings, TokenLists, strings_at
from faq.context import is_same_topic
from faq.kb import KnowledgeBase
from faq.ngrams import VERSION as ngram_version
from faq.ngrams import NgramModel, Removed, Vector
from faq.normalize import normalize, normalize_example

OOS_PREFIX = "oos:"
#: From this many examples the examples' sorted token strings (what RapidFuzz reads) are held as one string
#: (faq.compact.Strings: 3.7 MB less at 50k examples). Below it, a plain list (~0.5 MB more at the shipped
#: size, ~5,050 examples): the ~48 strings RapidFuzz compares per message are then taken from the list, not
#: sliced out of the one string (~15-20 us a message there, ~2 % of a reply, in the bench's batch).
SORTED_STRINGS_COMPACT_FROM = 8_000
#: Up to this many examples, the texts the analyser strips while it computes the examples' tokens are handed
#: to the n-gram model, which reads the same texts (~0.09 s less of a first start at 10k examples); beyond
#: it they are stripped again there, as before, so that no second list of 50,000 texts is alive beside the
#: normalised ones while the matcher is built (a /reload after an edit at 50k is at ~199 MB).
STRIPPED_HANDED_UP_TO = 20_000
#: Bump when features or training change, so that cached weights are not reused.
MODEL_VERSION = "lr-13"
FEATURES = (
    "overlap",
    "containment",
    "chars",
    "fuzzy",
    "coverage",
    "keywords",
    "oos",
    "oos_overlap",
    "oos_coverage",
    "oos_domain_gap",
    "example",
    "ngrams",
    "bias",
)


@dataclass(frozen=True, slots=True)
class MatcherConfig:
    #: Below this probability the engine says "I don't know this one"; negative (the default): the
    #: threshold calibrated at load time (see the module docstring), which then replaces it.
    threshold: float = -1.0
    #: The threshold for a message with loan or collection context (a domain word such as 催收 or 征信, or,
    #: from the engine, a day count, lender, amount or borrowing verb): there an in-scope question is
    #: almost always meant, and out of scope wins only through an out-of-scope group (see decide).
    #: Negative: the same as ``threshold``.
    context_threshold: float = 0.1
    #: Top two intents closer than this (and the top below `confident`) -> "did you mean". 0 (was 0.04): an
    #: accepted intent is answered, a runner-up that close its first button (engine.CLOSE_RUNNER_UP); on the
    #: dev sets the likelier of two close topics was the right one in 5 of the 5 ties "did you mean" left
    #: unanswered, none wrong. "Did you mean" stays for a message with loan context that clears no bar.
    ambiguity_margin: float = 0.0
    confident: float = 0.5
    #: How many examples (the most similar by overlap) RapidFuzz compares with the message.
    fuzzy_examples: int = 48
    #: How many owners the ranking keeps.
    ranking_size: int = 12
    #: Which examples train the combination and calibrate the threshold (see Matcher._training_sample; each
    #: one read is scored against every example, so the work is examples read x examples):
    #: - every example while examples x examples is at most ``training_whole`` (up to ~6,900 examples): the
    #:   whole shipped knowledge base (~6,200 since the second training corpus of 2026-11-27, so that its
    #:   ~1,500 out-of-scope examples are all held out; the 8M sample read 1,292 examples, 1,573 predictions,
    #:   and calibrated 0.52, while 12M, 16M, 24M and every example gave 0.50, 0.47, 0.47 and 0.47). It costs
    #:   4.1 s of training CPU instead of 1.05 s, and a peak RSS of 149 MB instead of 113 while it trains
    #:   (a start or /reload after an edit; the shipped scorer is read otherwise); 10k and 50k still sample;
    #: - beyond, a stable sample of ``training_work`` / examples, and at least ``training_examples``: 900 of
    #:   10k and of 50k, as before the shipped knowledge base grew (reading ~3,200 of 10k cost ~1.5 s more at
    #:   a start there).
    training_examples: int = 900
    training_whole: int = 48_000_000
    training_work: int = 8_000_000
    #: Owners per training message (the most similar ones, plus the right one).
    training_owners: int = 15
    l2: float = 1.0


class Candidate(NamedTuple):
    """One owner in a ranking (a named tuple: a ranking builds a dozen of them per message)."""

    owner: str  # intent id, or "oos:<group id>"
    score: float  # P(this owner is the right answer), 0..1
    #: Whether the message shares a word (or a keyword) with the owner, not only characters.
    words: bool = True

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
    #: A second intent clearly asked in the same message ("严重吗 会坐牢吗"), see Matcher.match.
    second: str | None = None

    def intents(self, limit: int = 3) -> list[str]:
        return [c.owner for c in self.intents_ranked(limit)]

    def intents_ranked(self, limit: int = 3) -> list[Candidate]:
        """The candidates of :meth:`intents`."""
        return [c for c in self.ranking if not c.is_out_of_scope][:limit]

    def is_clear(self, bar: float) -> bool:
        """Whether the match names one intent, unambiguously, with a confidence of at least ``bar``."""
        return self.intent is not None and not self.ambiguous and self.confidence >= bar

    def answering(self, intent: str) -> Match:
        """The same match answering ``intent`` (a rule beside the matcher read the message so), without "did you
        mean"; a second question it found stays, unless it is that intent."""
        return replace(self, intent=intent, ambiguous=False, second=self.second if self.second != intent else None)

    def refused(self, out_of_scope: str) -> Match:
        """The same confidence and ranking turned away as the out-of-scope group ``out_of_scope`` (a rule beside
        the matcher read the message so): no intent, no "did you mean", no second question."""
        return Match(intent=None, confidence=self.confidence, ranking=self.ranking, out_of_scope=out_of_scope)


@dataclass(frozen=True, slots=True)
class Model:
    """The learnt combination: one weight per feature, and the calibrated threshold."""

    weights: tuple[float, ...]
    threshold: float
    #: What calibration saw: (in-scope leave-one-out accuracy, held-out out-of-scope rejection, examples).
    calibration: tuple[float, float, int] = (0.0, 0.0, 0)


@dataclass
class _Features:
    matrix: np.ndarray  # owners x features
    allowed: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))


#: A training message's feature columns calibration keeps as they are; keywords (0, 1/2, 1) is kept in one
#: byte, the domain gap for out-of-scope owners only (others are 0), and oos, oos x overlap, oos x coverage
#: and the bias are rebuilt from the owners, as :meth:`Matcher.features` computes them.
_DENSE = [FEATURES.index(name) for name in ("overlap", "containment", "chars", "fuzzy", "coverage", "example", "ngrams")]
_KEYWORDS, _GAP = FEATURES.index("keywords"), FEATURES.index("oos_domain_gap")
_OOS, _OOS_OVERLAP, _OOS_COVERAGE = FEATURES.index("oos"), FEATURES.index("oos_overlap"), FEATURES.index("oos_coverage")


@dataclass(slots=True)
class _TrainingSums:
    """What :meth:`Matcher.features` sums over the examples for a message before anything is left out or held
    out (each sum as it computes it: the same values); kept for the message's next view while training."""

    tokens: list[str]
    normalized: str
    ordered: list[str]
    query_mass: float
    shared: np.ndarray
    char_mass: float
    char_shared: np.ndarray
    coverage: np.ndarray
    keywords: dict[int, int]  # owner -> how many of its keyword entries the message has
    domain: list[str]
    total: float
    in_example: np.ndarray | None


class _Held:
    """The training messages' features as calibration reads them, packed into arrays allocated once. The rows
    of the owners a message gave the fit are in the fit's rows (``x``, kept until calibration has read them):
    only its other owners' rows are held here (~66 bytes each instead of the 104 of a matrix row, and no
    objects per message: on the shipped knowledge base, where 16 of the 30 owners go to the fit, ~8 MB instead
    of ~15 while the weights are learnt, during a /reload after an edit; at 50k examples, 2,431 owners and
    ~1,000 messages held until the weights are learnt would be ~160 MB: computed again there, see train)."""

    def __init__(self, capacity: int, owners: int, rows: int) -> None:
        """``capacity``: messages at most; ``rows``: held owner rows at most (pages of rows never written are
        never resident: both are upper bounds)."""
        self.dense = np.empty((rows, len(_DENSE)), dtype=np.float64)
        self.keywords = np.empty(rows, dtype=np.int8)  # twice the keywords feature
        self.gap = np.empty(rows, dtype=np.float64)  # the domain gap
        self.owner = np.empty(rows, dtype=np.int16 if owners <= np.iinfo(np.int16).max else np.int32)
        self.allowed = np.empty((capacity, owners), dtype=bool)
        self.chosen: list[np.ndarray] = []  # per message, the owners of its rows of the fit, in their order
        self.fit_rows: list[int] = []  # per message, where its rows of the fit begin
        self.bounds = [0]  # per message, where its held rows end
        self.right: list[int] = []
        self._others = np.ones(owners, dtype=bool)

    def add(self, features: _Features, right: int, chosen: np.ndarray, fit_row: int) -> None:
        """A message: its features, its right owner, and the owners whose rows went to the fit from ``fit_row``."""
        k = len(self.right)
        m = features.matrix
        others = self._others
        others[:] = True
        others[chosen] = False
        rest = np.flatnonzero(others)
        a = self.bounds[-1]
        b = a + len(rest)
        self.dense[a:b] = m[rest][:, _DENSE]
        self.keywords[a:b] = m[rest, _KEYWORDS] * 2
        self.gap[a:b] = m[rest, _GAP]
        self.owner[a:b] = rest
        self.allowed[k] = features.allowed
        self.chosen.append(chosen.astype(self.owner.dtype))
        self.fit_rows.append(fit_row)
        self.bounds.append(b)
        self.right.append(right)

    def views(self, is_oos: np.ndarray, x: np.ndarray) -> Iterator[tuple[_Features, int]]:
        """The features as they were (bit for bit; the examples' scores are not kept), with the right owner;
        ``x``: the fit's rows, as they were filled."""
        oos = is_oos.astype(np.float64)
        n_owners = len(oos)
        for k, right in enumerate(self.right):
            a, b = self.bounds[k], self.bounds[k + 1]
            rest = self.owner[a:b]
            matrix = np.zeros((n_owners, len(FEATURES)), dtype=np.float64)
            matrix[rest[:, None], _DENSE] = self.dense[a:b]
            matrix[rest, _KEYWORDS] = self.keywords[a:b] / 2
            matrix[rest, _GAP] = self.gap[a:b]
            matrix[:, _OOS] = oos
            matrix[:, _OOS_OVERLAP] = oos * matrix[:, 0]
            matrix[:, _OOS_COVERAGE] = oos * matrix[:, 4]
            matrix[:, -1] = 1.0
            chosen = self.chosen[k]
            matrix[chosen] = x[self.fit_rows[k] : self.fit_rows[k] + len(chosen)]
            yield _Features(matrix, self.allowed[k]), right


class Matcher:
    """The index over analysed example questions; build it with :meth:`from_kb`."""

    #: The sums of the message :meth:`features` last read while training (see :class:`_TrainingSums`).
    _training_sums: _TrainingSums | None = None
    #: While training on a model read through its postings: the examples' n-gram vectors, each with its
    #: owner's counts pinned (see :meth:`_pinned_vectors`), by example.
    _training_vectors: dict[int, Vector] | None = None

    def __init__(
        self,
        owners: list[str],
        examples: list[str],
        token_lists: Sequence[list[str]],
        keywords: dict[str, list[str]],
        analyzer: Analyzer,
        config: MatcherConfig | None = None,
        model: Model | None = None,
        ngrams: tuple[NgramModel, Removed] | None = None,
        scorer: Path | None = None,
        normalized: list[str] | None = None,
        stripped: list[str] | None = None,
    ) -> None:
        """``ngrams``: the n-gram model of a matcher this one is that matcher less one example (the
        model, and that example's owner and vector), see :meth:`without`. ``scorer``: where a trained
        scorer may be shipped for these examples (:mod:`faq.scorer_file`; used only when its key matches).
        ``normalized``: each example normalised (``normalize_example``), when the caller has them (from_kb:
        each example normalised once, not twice); used only when the examples come grouped by owner (then
        in the same order), and emptied (see :meth:`_ngram_model`). ``stripped``: those through the
        analyser's ``strip_incidental``, when the caller has them (from_kb, when the tokens were computed),
        used and emptied likewise."""
        self.config = config or MatcherConfig()
        self.scorer_path = scorer
        #: the n-gram model's cache key (its version, the analyser's fingerprint, each example's owner,
        #: normalised text and tokens), part of the scorer's key; set when the model is built or read here
        self._ngram_digest = ""
        self.analyzer = analyzer
        # Examples are grouped by owner, so that each owner's examples are one slice. from_kb gives them so
        # grouped already: then the lists given are kept as they are (no second copy of 50,000 token lists
        # and no list of 50,000 positions alive while the matcher is built: ~3.7 MB at a /reload's peak).
        self.token_lists: Sequence[list[str]]
        self.owners, self.examples, self.token_lists = _grouped_by_owner(owners, examples, token_lists)
        if self.owners is not owners or (normalized is not None and len(normalized) != len(examples)):
            normalized = None
        if normalized is None or (stripped is not None and len(stripped) != len(examples)):
            stripped = None
        self.keywords = keywords
        self.owner_names = sorted(set(self.owners))
        owner_index = {name: k for k, name in enumerate(self.owner_names)}
        self.owner_of = np.array([owner_index[o] for o in self.owners], dtype=np.int32)
        self.starts = np.searchsorted(self.owner_of, np.arange(len(self.owner_names))).astype(np.intp)
        self.is_oos = np.array([name.startswith(OOS_PREFIX) for name in self.owner_names], dtype=bool)
        n = len(self.examples)
        n_owners = len(self.owner_names)
        # The n-gram model first, before the inverted indexes: building it takes the most memory of all
        # (~37 MB at 50k examples, beside a serving engine during a /reload after an edit), and the indexes,
        # built after it, are not alive then (~7 MB at 50k); what it keeps is less than what it takes.
        if ngrams is None:
            if n >= COMPACT_FROM:  # what was freed before given back before the model is read or built
                memory.trim()
            self.ngrams = self._ngram_model(normalized, stripped)
            self._ngram_exclude: Removed | None = None
            if n >= COMPACT_FROM:  # (what building the model freed given back before the indexes are built)
                memory.trim()
        else:
            self.ngrams, self._ngram_exclude = ngrams
            if self.ngrams.n_owners != len(self.owner_names):  # the example left out was its owner's last
                texts = [self._ngram_text(e) for e in self.examples]
                self.ngrams = NgramModel(texts, self.token_lists, self.owner_of, len(self.owner_names))
                self._ngram_exclude = None
        # The inverted indexes are built from compact arrays of (example, key) postings in helper functions,
        # so that no per-example list of keys or per-key list of Python ints outlives its step (at 50k
        # examples those were ~50 MB alive while the n-gram model loaded).
        tokens_index = (
            _Postings.of_token_lists(self.token_lists, self.owner_of, n_owners)
            if isinstance(self.token_lists, TokenLists)
            else _Postings.of(([*set(tokens)] for tokens in self.token_lists), self.owner_of, n_owners)
        )
        first_seen = dict.fromkeys(t for tokens in self.token_lists for t in tokens)  # the IDF's key order
        self.idf = {t: tokens_index.idf[t] for t in first_seen}
        del first_seen
        self.default_idf = max(self.idf.values(), default=1.0)
        #: Per example (columns): its words' mass, its characters' mass and ``mass + 1e-9`` (the denominator of
        #: containment), in one array, so that a message takes those of the examples it reads in one call
        #: (read-only once complete); ``mass`` and ``char_mass`` are views of its first two rows.
        self._masses = np.empty((3, n), dtype=np.float64)
        self.mass = tokens_index.mass(self.idf, n, out=self._masses[0])
        # The inverted indexes are kept only as the weighted ones below (what the features read): token ->
        # the examples using it, and token -> the owners using it (for the coverage feature), as locals
        # (kept as well, with each owner's count of examples, they were ~2 MB more per engine at 50k).
        index_arrays = tokens_index.examples_by_key()
        vocabulary_owners = tokens_index.owners_by_key()
        #: words at least two intents use that are domain words (see has_context)
        self.domain_words = frozenset(
            t for t in tokens_index.used_by_owners(2, ~self.is_oos) if t in DOMAIN_WORDS
        )
        del tokens_index
        if n >= COMPACT_FROM:  # (the word index's temporaries given back before the characters' is built)
            memory.trim()
        # Characters: an index of their own, weighted like tokens (by how many owners use them).
        # (only their idf, mass and examples are read, no runs: ~8 MB less at 50k while it is built)
        chars = (
            _Postings.of_token_lists(self.token_lists, self.owner_of, n_owners, characters=True)
            if isinstance(self.token_lists, TokenLists)
            else _Postings.of(
                ([*set("".join(tokens).replace(" ", ""))] for tokens in self.token_lists),
                self.owner_of,
                n_owners,
                runs=False,
            )
        )
        self.char_idf = chars.idf
        self.char_mass = chars.mass(self.char_idf, n, out=self._masses[1])
        np.add(self.mass, 1e-9, out=self._masses[2])
        self._masses.flags.writeable = False
        char_arrays = chars.examples_by_key()
        del chars

        self.keyword_pairs = [
            (word, owner_index[intent_id])
            for intent_id, words in keywords.items()
            if intent_id in owner_index
            for word in words
        ]
        #: keyword -> its entries in keyword_pairs; first two characters -> (entry, keyword) of two or more
        self._keywords_by_word: dict[str, list[int]] = defaultdict(list)
        self._keywords_by_start: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pair, (word, _) in enumerate(self.keyword_pairs):
            self._keywords_by_word[word].append(pair)
            if len(word) >= 2:
                self._keywords_by_start[word[:2]].append((pair, word))
        # The inverted indexes with each entry's weight repeated alongside its ids, ready for _gather.
        self._weighted_tokens = _weighted(index_arrays, self.idf)
        self._weighted_chars = _weighted(char_arrays, self.char_idf)
        self._weighted_owners = _weighted(vocabulary_owners, self.idf)
        del index_arrays, char_arrays, vocabulary_owners
        if n >= COMPACT_FROM:  # (the indexes' temporaries given back before the scorer is trained)
            memory.trim()
        #: each example's tokens sorted and joined, for RapidFuzz; from SORTED_STRINGS_COMPACT_FROM examples held
        #: as one string (see there). Made here, once
        #: the n-gram model and the indexes are built: first read by training (3.2 MB at 50k examples not alive
        #: while those are built, beside a serving engine during a /reload after an edit).
        sorted_strings = [" ".join(sorted(tokens)) for tokens in self.token_lists]
        self.sorted_strings: Sequence[str] = (
            Strings(sorted_strings) if len(sorted_strings) >= SORTED_STRINGS_COMPACT_FROM else sorted_strings
        )
        del sorted_strings
        self.model = model or self._trained_model()
        if ngrams is None:  # its own n-gram model: the leave-one-out counts come back when needed
            _lend_counts(self.ngrams, self)
        # Read per example only while training and for leave-one-out: held compactly (~5 MB less at 50k).
        if not isinstance(self.token_lists, TokenLists):
            self.token_lists = TokenLists(self.token_lists)
        self.config = replace(self.config, threshold=self.threshold)

    @property
    def threshold(self) -> float:
        """The acceptance threshold: the configured one, else the calibrated one."""
        return self.config.threshold if self.config.threshold >= 0 else self.model.threshold

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, analyzer: Analyzer, config: MatcherConfig | None = None) -> Matcher:
        # Each owner's examples in a row, owners in the order __init__ groups them (a stable sort by name:
        # the same order as sorting the examples one by one), so that __init__ keeps these lists.
        groups = [(intent.id, intent.questions) for intent in kb.intents]
        groups += [(OOS_PREFIX + group.id, group.questions) for group in kb.out_of_scope]
        groups.sort(key=lambda group: group[0])
        owners: list[str] = []
        examples: list[str] = []
        for owner, texts in groups:
            owners += [owner] * len(texts)
            examples += texts
        del groups
        # (normalised once: as the knowledge base's check for duplicates normalised them, when it did)
        given = kb.take_normalized_examples()
        normalized = [given[q] if q in given else normalize_example(q) for q in examples]
        del given
        # (stripped while the examples are analysed, when they are, for the n-gram model: up to
        # STRIPPED_HANDED_UP_TO examples, see there)
        stripped: list[str] | None = [] if len(examples) <= STRIPPED_HANDED_UP_TO else None
        token_lists = analyzer.tokens_of_all(normalized, stripped)
        keywords = {
            intent.id: sorted({w for w in (normalize(k) for k in intent.keywords) if w})
            for intent in kb.intents
        }
        return cls(
            owners,
            examples,
            token_lists,
            keywords,
            analyzer,
            config,
            scorer=scorer_file.path_for(kb.path),
            normalized=normalized,
            stripped=stripped or None,
        )

    def without(self, index: int) -> Matcher:
        """The same index with one example left out, as if it had never been written (leave-one-out);
        the learnt weights are kept (training them again for every example would take minutes)."""

        def drop(items: Sequence[Any]) -> list[Any]:
            return [*items[:index], *items[index + 1 :]]

        self.ngrams.counts  # noqa: B018 (restored if released: the smaller matcher leaves examples out)
        return Matcher(
            drop(self.owners),
            drop(self.examples),
            drop(self.token_lists),
            self.keywords,
            self.analyzer,
            self.config,
            self.model,
            (self.ngrams, self._removed(index)),
        )

    def _ngram_model(
        self, normalized_given: list[str] | None = None, stripped_given: list[str] | None = None
    ) -> NgramModel:
        """The n-gram model of the examples, from the on-disk cache when it was built before. The cache
        keeps the leave-one-out counts in a file of their own (_COUNTS_KIND), read only when an example
        is left out (training without a cached scorer, leave-one-out evaluation): a start or a /reload
        with a cached scorer never reads them (5.6 MB at 50k examples). ``normalized_given``: the examples
        normalised, when the caller has them; emptied here (handed over: let go as the model's own texts
        are, not kept alive by the caller). The key reads the normalised examples, not what the model reads
        of them (:meth:`_ngram_text`, a function of the analyser's fingerprint and the normalised text): a
        model read from the cache needs no example stripped (~0.04 s of a start at the shipped size).
        ``stripped_given``: those through ``strip_incidental``, when the caller has them (handed over
        likewise; ~0.09 s less of a first start at 10k examples)."""
        if normalized_given is not None:
            normalized = normalized_given.copy()
            normalized_given.clear()
        else:
            normalized = [normalize_example(e) for e in self.examples]
        stripped: list[str] | None = None
        if stripped_given is not None:
            stripped = stripped_given.copy()
            stripped_given.clear()
        key = self._ngram_digest = self._ngram_key(normalized)
        texts: list[str] | None = None
        if not cache.has_marshal(_NGRAM_KIND, key):
            strip = self.analyzer.strip_incidental
            # (as _ngram_text reads them)
            texts = stripped if stripped is not None else [strip(text) for text in normalized]
        del stripped
        del normalized  # (not needed to read the model: let go before it is read, 5 MB at 50k, during /reload)
        with _live_ngrams_lock:
            live = _live_ngrams.get(key)
        if live is not None and isinstance(live._restore, _CountsFrom):
            # The same examples as a matcher alive in this process (the serving engine's, during a /reload of
            # an unchanged file): its model is shared, read-only, not read a second time (12.9 MB at 50k).
            _lend_counts(live, self)
            return live
        stored = cache.load_with_blobs(_NGRAM_KIND, key)  # (its arrays read straight into their buffers)
        if stored is not None:
            try:
                model = NgramModel.from_state(*stored, consume=True)
            except (KeyError, TypeError, ValueError):
                pass
            else:
                if model._counts is None:
                    _lend_counts(model, self)
                _live(key, model)
                return model
        if texts is None:
            texts = [self._ngram_text(e) for e in self.examples]
        # (the texts handed over: let go as the model reads them, before its postings are built)
        model = NgramModel(texts, self.token_lists, self.owner_of, len(self.owner_names), consume=True)
        del texts
        _live(key, model)
        blobs: list[np.ndarray] = []
        cache.save_with_blobs(_NGRAM_KIND, key, model.state(counts=False, blobs=blobs), blobs)
        del blobs
        # (the counts written from their own buffer: not copied to bytes and marshalled, 11 MB at 50k examples)
        cache.save_with_blobs(_COUNTS_KIND, key, model.counts.dtype.str, [np.ascontiguousarray(model.counts)])
        if len(self.examples) >= COMPACT_FROM and cache.has_marshal(_COUNTS_KIND, key):
            # Not read before training: let go while the indexes are built (5.6 MB at 50k examples, beside a
            # serving engine during a /reload after an edit), read back from the file just written.
            model.release_counts(partial(self._stored_counts, key, len(model.posting_gain)))
        return model

    def _stored_counts(self, key: str, size: int) -> np.ndarray:
        """The n-gram model's leave-one-out counts from the cache entry ``key`` (see :meth:`_ngram_model`), else
        as :meth:`_ngram_counts` gives them."""
        counts = _cached_counts(key, size)
        return counts if counts is not None else self._ngram_counts()

    def _ngram_key(self, normalized: list[str]) -> str:
        """The n-gram model's key: its version, the analysis code's digest (an edit of ngrams.py that forgot
        VERSION is not read from a cache), the analyser's fingerprint (what it strips of a normalised text,
        :meth:`_ngram_text`, depends on nothing else: its code and the lenders' names) and every example's
        owner, normalised text and tokens."""
        head = f"{ngram_version}\n{analysis_code_version()}\n{self.analyzer.fingerprint}\n"
        digest = hashlib.sha256(head.encode())
        for owner, text, tokens in zip(self.owners, normalized, self.token_lists, strict=True):
            digest.update(f"{owner}\t{text}\t{' '.join(tokens)}\n".encode())
        return digest.hexdigest()

    def _ngram_counts(self) -> np.ndarray:
        """The n-gram model's leave-one-out counts: from the cache, else from the model built again (the
        same values: building is deterministic)."""
        normalized = [normalize_example(e) for e in self.examples]
        counts = _cached_counts(self._ngram_key(normalized), len(self.ngrams.posting_gain))
        if counts is not None:
            return counts
        texts = [self.analyzer.strip_incidental(text) for text in normalized]  # (as _ngram_text reads them)
        del normalized
        return NgramModel(texts, self.token_lists, self.owner_of, len(self.owner_names)).counts

    def _ngram_text(self, example: str) -> str:
        """What the n-gram model reads of an example: normalised, amounts, lenders and borrowing verbs
        blanked out (as the engine blanks them in a message)."""
        return self.analyzer.strip_incidental(normalize_example(example))

    def _removed(self, index: int) -> Removed:
        """An example as the n-gram model needs it to leave it out: its owner and its vector."""
        text = self._ngram_text(self.examples[index])
        return int(self.owner_of[index]), self.ngrams.vector(text, self.token_lists[index])

    # --------------------------------------------------------------------------------------- features

    @cached_property
    def _bounds_of_owners(self) -> np.ndarray:
        """Where each owner's examples begin, and the number of examples last."""
        return np.append(self.starts, len(self.examples))

    @cached_property
    def _everyone(self) -> np.ndarray:
        """Every owner allowed (read-only: shared by the features of every message)."""
        everyone = np.ones(len(self.owner_names), dtype=bool)
        everyone.flags.writeable = False
        return everyone

    @cached_property
    def _blank_matrix(self) -> np.ndarray:
        """A message's feature matrix before its features: the bias (1) and the oos column (1 for the
        out-of-scope groups) set, every other column 0 (read-only: each message copies it)."""
        blank = np.zeros((len(self.owner_names), len(FEATURES)), dtype=np.float64)
        blank[:, FEATURES.index("oos")] = self._oos_column
        blank[:, -1] = 1.0
        blank.flags.writeable = False
        return blank

    @cached_property
    def _oos_columns(self) -> np.ndarray:
        """The oos column as a column (owners x 1), to multiply two columns of a matrix at once."""
        return self._oos_column[:, None]

    @cached_property
    def _oos_column(self) -> np.ndarray:
        """1.0 for the out-of-scope groups, 0.0 for the intents."""
        return self.is_oos.astype(np.float64)

    def features(
        self,
        tokens: list[str],
        normalized: str,
        exclude: int | None = None,
        hold_out: int | None = None,
        forget_words: bool = True,
        vector: Vector | None = None,
        removed: Removed | None = None,
        stripped: str | None = None,
        by_tokens: dict[tuple[str, ...], np.ndarray] | None = None,
    ) -> _Features:
        """The feature matrix (owners x FEATURES) of a message. ``exclude``: one example taken out as
        if never written (leave-one-out; with ``forget_words=False`` its owner keeps the words it
        brings); ``hold_out``: one owner taken out entirely. ``vector`` (the message's n-gram vector) and
        ``removed`` (``exclude`` as :meth:`_removed` gives it): when the caller has them (training);
        ``stripped``: ``normalized`` through the analyser's ``strip_incidental``, when the caller has it.
        ``by_tokens`` (serving only): the features that depend on the tokens alone, by tokens, of the texts
        read before (one message's, see _Readings), read and filled here."""
        n_owners = len(self.owner_names)
        n = len(self.examples)
        if hold_out is None:
            allowed = self._everyone
        else:
            allowed = np.ones(n_owners, dtype=bool)
            allowed[hold_out] = False
        unique = set(tokens)
        if not unique or n == 0:
            matrix = np.zeros((n_owners, len(FEATURES)), dtype=np.float64)
            matrix[:, -1] = 1.0
            return _Features(matrix, allowed)
        training = exclude is not None or hold_out is not None
        key = tuple(tokens) if by_tokens is not None and not training else None
        known = by_tokens.get(key) if by_tokens is not None and key is not None else None
        if known is not None:
            # Another text of the message with the same tokens ("...是真的吗 了" and "...是真的吗"): every feature
            # but the keywords (found in the text) and the n-gram model's (read in it) is the same.
            keywords = self._keyword_hits(unique, normalized)
            return self._text_features(known.copy(), allowed, keywords, tokens, normalized, stripped, None, None)
        matrix = self._blank_matrix.copy()  # the bias and the oos column set, the rest 0
        idf = self.idf
        # Sums run in sorted order: a set's order changes with Python's hash seed, and float addition
        # is not associative, so that replies would differ in their last digits from process to process.
        # Training reads an out-of-scope example twice (left out, then its group held out): what does not
        # depend on what is left out is summed once for both (copies of it changed, see _TrainingSums).
        sums = self._training_sums
        if not (training and sums is not None and sums.tokens is tokens and sums.normalized == normalized):
            ordered = sorted(unique)
            query_mass = sum([idf[token] if token in idf else self._unknown_weight(token) for token in ordered])
            letters = sorted(set("".join(tokens)))
            char_idf = self.char_idf
            char_mass = sum(map(char_idf.get, letters, repeat(0.0)))  # (the same sum, in the same order)
            domain = sorted(self.domain_words & unique)
            sums = _TrainingSums(
                tokens,
                normalized,
                ordered,
                query_mass,
                _gather(self._weighted_tokens, ordered, n),
                char_mass,
                _gather(self._weighted_chars, letters, n),
                _gather(self._weighted_owners, ordered, n_owners),
                self._keyword_hits(unique, normalized),
                domain,
                sum(self.idf[t] for t in domain) if domain else 0.0,
                _gather(self._weighted_tokens, domain, n) if domain else None,
            )
            self._training_sums = sums if training else None
        ordered, query_mass, char_mass = sums.ordered, sums.query_mass, sums.char_mass
        shared = sums.shared.copy() if training else sums.shared
        char_shared = sums.char_shared.copy() if training else sums.char_shared
        if exclude is not None:
            shared[exclude] = char_shared[exclude] = 0.0
        if hold_out is not None:
            lo, hi = self._slice(hold_out)
            shared[lo:hi] = char_shared[lo:hi] = 0.0
        in_example = None
        if sums.in_example is not None:
            in_example = sums.in_example.copy() if training else sums.in_example
            if hold_out is not None:
                lo, hi = self._slice(hold_out)
                in_example[lo:hi] = 0.0
            if exclude is not None:
                in_example[exclude] = 0.0
        maxima = self._example_maxima(tokens, shared, char_shared, query_mass, char_mass, in_example)
        matrix[:, :4] = maxima[:4].T  # (the columns of overlap, containment, chars and fuzzy, then example's)
        matrix[:, 10] = maxima[4]

        coverage = sums.coverage.copy() if training else sums.coverage
        if exclude is not None and forget_words:
            own = int(self.owner_of[exclude])
            for token in sorted(set(self.token_lists[exclude]) & unique):
                if self._examples_using(token, own) <= 1:
                    coverage[own] -= self.idf[token]
        scale = query_mass + 1e-9
        covers = matrix[:, 4]
        np.divide(coverage, scale, out=covers)
        np.minimum(np.maximum(covers, 0.0, out=covers), 1.0, out=covers)  # clip to 0..1
        # An out-of-scope group has no topic of its own (律师资格证 and 打电话总占线 are both "unrelated"):
        # the words of all its examples together cover nothing; what one of its examples covers does.
        per_example = maxima[5] / scale
        np.minimum(per_example, covers, out=covers, where=self.is_oos)

        oos = self._oos_column
        # oos x overlap and oos x coverage (columns 7 and 8 from columns 0 and 4)
        np.multiply(matrix[:, 0:5:4], self._oos_columns, out=matrix[:, 7:9])
        if in_example is not None:
            # for a group: the share of the domain words that none of its examples uses on its own. (An
            # intent's value is oos (0) times a number >= 0, 0.0 whatever is covered: the positive weights
            # summed in the same order for a subset of the words never exceed ``total``, so that it needs no
            # count of its own.)
            covered = maxima[6]
            matrix[:, 9] = oos * (1.0 - covered / sums.total)
        if by_tokens is not None and key is not None:
            by_tokens[key] = matrix.copy()  # (before the keywords and the n-gram model's, which read the text)

        # (with ``forget_words=False`` the example's owner keeps what it brings, its n-grams too)
        left_out = self._ngram_exclude
        if left_out is None and exclude is not None and forget_words:
            left_out = removed or self._removed(exclude)
        return self._text_features(
            matrix, allowed, sums.keywords, tokens, normalized, stripped, vector, left_out, hold_out is not None
        )

    def _example_maxima(
        self,
        tokens: list[str],
        shared: np.ndarray,
        char_shared: np.ndarray,
        query_mass: float,
        char_mass: float,
        in_example: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per owner (columns), the maxima over its examples of overlap, containment, chars, fuzzy, the three
        together and the shared weight (rows), for a message whose shared word and character weights per
        example are ``shared`` and ``char_shared`` (an example left out or held out already 0 in both).

        Only the examples that share a character with the message are read (~30 % of the shipped knowledge
        base's for a typical message): every feature of any other example is 0.0 (it shares no word either,
        a word's characters being indexed too, so that its overlap, containment, chars, prior and
        together are 0.0, and RapidFuzz never reads it: only examples with a prior above 0 are compared),
        and all are >= 0, so that an owner's maximum is the maximum over its examples read, or 0.0 when it
        has none. The examples RapidFuzz compares are the ``fuzzy_examples`` with the highest prior; when
        the one at the boundary ties with the next, the set is chosen over all examples as before (the same
        ties broken the same way), so that every value is the same to the last bit.

        ``in_example`` (the domain words' weight per example, see :meth:`features`): its maxima too, as a
        seventh row (an example with a domain word shares its characters: it is among those read)."""
        n = len(char_shared)
        at = (char_shared > 0).nonzero()[0]  # (all >= 0: the examples with a weight; a mask's is found fastest)
        m = len(at)
        n_owners = len(self.starts)
        height = 6 if in_example is None else 7
        if m == 0:
            return np.zeros((height, n_owners), dtype=np.float64)
        # Per example read: overlap, containment, chars, fuzzy, the three together and the shared weight (and
        # the domain words' weight), and a last column of 0.0 (what an owner without an example read gets; see
        # below). Each in place, in the same order of operations as the plain expressions in the comments.
        rows = np.empty((height, m + 1), dtype=np.float64)
        if in_example is not None:
            in_example.take(at, out=rows[6, :m], mode="clip")
        rows[:, m] = 0.0
        overlap, containment, chars, fuzzy, together = rows[0, :m], rows[1, :m], rows[2, :m], rows[3, :m], rows[4, :m]
        sh = rows[5, :m]
        shared.take(at, out=sh, mode="clip")  # (at is in range: "clip" writes straight into ``out``)
        masses = self._masses  # mass, char_mass, mass + 1e-9
        # overlap = 2.0 * shared / (query_mass + self.mass + 1e-9)
        np.multiply(sh, 2.0, out=overlap)
        masses[0].take(at, out=together, mode="clip")
        together += query_mass
        together += 1e-9
        overlap /= together
        # containment = shared / (self.mass + 1e-9)
        masses[2].take(at, out=containment, mode="clip")
        np.divide(sh, containment, out=containment)
        # chars = 2.0 * char_shared / (char_mass + self.char_mass + 1e-9)
        char_shared.take(at, out=chars, mode="clip")
        chars *= 2.0
        masses[1].take(at, out=together, mode="clip")
        together += char_mass
        together += 1e-9
        chars /= together
        # RapidFuzz on the examples that resemble the message most by the cheaper signals.
        fuzzy[:] = 0.0
        prior = np.multiply(chars, 0.5, out=together)  # overlap + 0.5 * chars
        prior += overlap
        k = self.config.fuzzy_examples
        if k <= 0:
            top = np.zeros(0, dtype=np.intp)
        elif m <= k:
            top = np.flatnonzero(prior > 0)  # (all of them but an underflow)
        else:
            # the (k + 1)-th highest prior: the k examples above it are the k highest, unless the k-th ties
            # with it (fewer than k above it). Then every one of them is above 0, and they come in order.
            bar = np.partition(prior, m - k - 1)[m - k - 1]
            top = (prior > bar).nonzero()[0]
            if len(top) != k:  # a tie at the boundary: chosen among all examples, as the full computation chooses
                full = np.zeros(n, dtype=np.float64)
                full[at] = prior
                picked = (-full).argpartition(k - 1)[:k] if k < n else np.arange(n)
                picked = picked[full[picked] > 0]
                top = at.searchsorted(picked)
        if len(top):
            query = " ".join(sorted(tokens))
            choices = strings_at(self.sorted_strings, at[top].tolist())
            scores = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float64)
            fuzzy[top] = scores[0] / 100.0
        # together = overlap * fuzzy + chars * fuzzy + overlap * chars: where fuzzy is 0 (all but the few
        # examples compared) that is 0.0 + 0.0 + overlap * chars, overlap * chars to the last bit (all >= 0),
        # so that the sum is only computed at the examples compared.
        np.multiply(overlap, chars, out=together)
        if len(top):
            o, c, f = overlap[top], chars[top], fuzzy[top]
            mixed = o * f
            mixed += c * f
            mixed += o * c
            together[top] = mixed
        # Each owner's examples read are a run of ``at`` (the examples are grouped by owner); an owner with
        # none starts where the next one does (or at the 0.0 column) and gets 0.0.
        bounds = at.searchsorted(self._bounds_of_owners)  # (the last: m)
        # The maxima of the values' bit patterns read as int64: for floats >= +0.0 (none is -0.0 or NaN: sums,
        # products and quotients of weights > 0) the order of the patterns is the order of the values, so that
        # each maximum is the same float to the last bit, in about half the time of a float maximum (numpy's
        # reduceat pays per run, and there is a run per owner and row: ~60 ns a run for floats, ~30 for
        # integers).
        maxima = np.maximum.reduceat(rows.view(np.int64), bounds[:-1], axis=1).view(np.float64)
        # (maxima are >= 0 and finite: times 1 they stay, times 0 they are 0.0)
        maxima *= bounds[1:] > bounds[:-1]
        return maxima

    def _text_features(
        self,
        matrix: np.ndarray,
        allowed: np.ndarray,
        keywords: dict[int, int],
        tokens: list[str],
        normalized: str,
        stripped: str | None,
        vector: Vector | None,
        left_out: Removed | None,
        held_out: bool = False,
    ) -> _Features:
        """``matrix`` completed with the features read in the text rather than its tokens: the keywords, and the
        n-gram model's P(owner | message) (``left_out`` taken out of the model; the owners ``allowed`` only when
        a group is ``held_out``; None: the serving model's own exclusion)."""
        # keywords: 1/2 for an owner with one keyword in the message, 1 for two or more (a few owners at most)
        for owner, count in keywords.items():
            matrix[owner, 5] = min(count, 2) / 2
        # The class-level view: P(owner | message) under the n-gram model, the example left out of it too.
        if vector is None:
            if stripped is None:
                stripped = self.analyzer.strip_incidental(normalized)
            vector = self.ngrams.vector(stripped, tokens)
        if left_out is None:
            left_out = self._ngram_exclude
        matrix[:, 11] = self.ngrams.posterior(vector, allowed if held_out else None, left_out)
        return _Features(matrix, allowed)

    def example_uses(self, token: str) -> tuple[int, int] | None:
        """How many intent examples and how many out-of-scope examples use ``token``, or None when no example
        does (read in the inverted index the features read: no table of its own per engine)."""
        found = self._weighted_tokens.get(token)
        if found is None:
            return None
        outside = int(np.count_nonzero(self.is_oos[self.owner_of[found[0]]]))
        return len(found[0]) - outside, outside

    def _examples_using(self, token: str, owner: int) -> int:
        """How many of ``owner``'s examples use ``token``: its examples in the word index (each example once
        per word, in increasing order; the examples grouped by owner), counted by two binary searches. (Until
        2026-11-27 counted in the owner's token lists, once per owner: training on a sample, as from ~6,900
        examples, met a new owner at almost every message, ~0.2 s of a first start at 10k examples.)"""
        found = self._weighted_tokens.get(token)
        if found is None:
            return 0
        ids = found[0]
        lo, hi = self._slice(owner)
        return int(ids.searchsorted(hi)) - int(ids.searchsorted(lo))

    def _unknown_weight(self, token: str) -> float:
        """The weight of a word no example uses: what its characters weigh on average in the knowledge
        base's words (国家标准, 起算: a way of saying something the examples say otherwise; 按, 收: jieba's
        leftovers of a word it does not know), the most a word can weigh when its characters are unknown
        too (a sign of another subject)."""
        char_idf, default = self.char_idf, self.default_idf
        return sum(char_idf.get(c, default) for c in token) / len(token) if token else default

    def _keyword_hits(self, unique: set[str], normalized: str) -> dict[int, int]:
        """Per owner, how many of its keyword entries the message has, among its tokens or (two characters or
        more) in its text: those found through the keywords' first two characters, the text's pairs of
        characters met with the set of those (one set operation), so that a message costs what its length
        costs, not what the number of keywords costs."""
        found: set[int] = set()
        by_word = self._keywords_by_word
        for token in self._keyword_words.intersection(unique):
            found.update(by_word[token])
        by_start = self._keywords_by_start
        windows = {normalized[k : k + 2] for k in range(len(normalized) - 1)}
        for start in self._keyword_starts.intersection(windows):
            for pair, word in by_start[start]:
                if word in normalized:  # (it begins with ``start``: where that pair of characters is)
                    found.add(pair)
        counts: dict[int, int] = {}
        pairs = self.keyword_pairs
        for pair in found:
            owner = pairs[pair][1]
            counts[owner] = counts.get(owner, 0) + 1
        return counts

    @cached_property
    def _keyword_words(self) -> frozenset[str]:
        """The keywords (for a message's tokens to meet in one set operation)."""
        return frozenset(self._keywords_by_word)

    @cached_property
    def _keyword_starts(self) -> frozenset[str]:
        """The first two characters of the keywords of two characters or more."""
        return frozenset(self._keywords_by_start)

    def _slice(self, owner: int) -> tuple[int, int]:
        lo = int(self.starts[owner])
        hi = int(self.starts[owner + 1]) if owner + 1 < len(self.starts) else len(self.examples)
        return lo, hi

    def probabilities(self, features: _Features) -> np.ndarray:
        m = features.matrix
        z = m @ _as_array(self.model.weights)
        np.minimum(np.maximum(z, -30.0, out=z), 30.0, out=z)  # (np.clip's result, at a fraction of its cost)
        # p = 1.0 / (1.0 + np.exp(-z)), the same operations in place
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        p = np.divide(1.0, z, out=z)
        # An owner that shares nothing with the message (no word, character or keyword: columns 0 to 5, all
        # >= 0, containment > 0 exactly when overlap is) is no answer, whatever its base rate.
        evidence = np.logical_or.reduce(m[:, :6], axis=1)  # (.any(axis=1) without its Python wrapper)
        if features.allowed is not self._everyone:
            evidence &= features.allowed
        # np.where(evidence, p, 0.0): p is finite and > 0, so that p x 1.0 is p and p x 0.0 is 0.0
        return np.multiply(p, evidence, out=p)

    # ------------------------------------------------------------------------------------------ match

    def has_context(self, tokens: list[str]) -> bool:
        """Whether a message's words place it in the domain: a word at least two intents use that is a
        domain word (催收, 征信, 逾期, 网贷 ...), a word of owing or of the courts (DEBT_WORDS: "我阿哥欠财务公司钱
        走佬", "收到法院支付命令"), or a compound jieba keeps whole around 催收 ("暴力催收")."""
        if not self.domain_words.isdisjoint(tokens) or not DEBT_WORDS.isdisjoint(tokens):
            return True
        return any(COLLECTION_WORD in t for t in tokens)

    def match(
        self,
        normalized: str,
        whole: str | None = None,
        answered: Callable[[str], bool] | None = None,
        context: bool = False,
    ) -> Match:
        """The decision for a message. ``whole``: the message as written, when ``normalized`` is only
        what it asks besides its day count (the engine takes "逾期一个月" out); a second question is
        looked for in the whole message, whose parts keep their own words ("房贷逾期一个月严重吗").
        ``answered``: parts already answered otherwise ("逾期15天会怎样": the stage block), not asked again.
        ``context``: the engine found a day count, lender, amount or borrowing verb in the message."""
        normalized = questions.bluff_as_doubt(normalized)
        read = _Readings(self)  # the rankings of the message and its parts, each computed once
        tokens, ranking = read.tokens_and_ranking(normalized)
        # A message left with nothing but numerals ("三千五" less its amount) asks nothing: no lower threshold.
        asks = any(not _NUMERAL.fullmatch(t) for t in tokens)
        context = asks and (context or self.has_context(tokens))
        match = decide(ranking, self.config, context=context)
        said = self._reported(normalized, match, context, read)
        if said is not None:
            match = said
        # the parts' decisions, shared by the three steps below
        asked = _Remembered(lambda part: self._clearly_asked(part, read))
        text = whole or normalized
        units = questions.asking_units(text)  # its asking parts, shared by the two steps that read them
        told = len(units) == 1 and units[0][0].strip() != text.strip()  # a story, then its one question
        if match.intent is None and context and (len(units) > 1 or (told and match.out_of_scope is None)):
            # Out of scope wins only when nothing in scope is asked: "催收把我欠钱的事跟我上司讲了 我能去投诉吗 需要什么
            # 材料" resembles a paperwork question as a whole, yet one of its questions clearly asks about
            # collection. The first question asked plainly (吗, 怎么 ...; not "想申请..." what the reader means to do)
            # that clearly names an intent answers (a loan request is no intent).
            plain_questions = (q for q, _ in units if questions.ASKS_PLAINLY.search(q))
            inside = next((m for m in map(asked, plain_questions) if m is not None), None)
            if inside is not None:
                match = replace(
                    match, intent=inside.intent, confidence=inside.confidence, ambiguous=False, out_of_scope=None
                )
        elif match.intent is None and match.out_of_scope is None and len(units) > 1:
            # Two questions share the whole message's probability ("要坐牢吗 父母得帮我还吗": each topic about
            # half, neither over the threshold), though each, read alone, names its topic clearly. Without loan
            # context too: the first question asked plainly that clearly names one of the whole message's
            # likeliest intents (SPLIT_RANK) answers, and _two_questions adds the other. A message an
            # out-of-scope group refuses stays refused.
            likeliest = match.intents(SPLIT_RANK)
            plain_questions = (q for q, _ in units if questions.ASKS_PLAINLY.search(q))
            inside = next(
                (m for m in map(asked, plain_questions) if m is not None and m.intent in likeliest), None
            )
            if inside is not None:
                match = replace(match, intent=inside.intent, confidence=inside.confidence, ambiguous=False)
        focus = self._afterthought(text, match, asked) or self._question_focus(
            text, units, match, asked, answered
        )
        if focus is not None:
            match = focus
        if match.intent is None or match.ambiguous:
            return match
        pair = self._two_questions(units, match, asked, read, answered) or self._threats_told(text, match, asked)
        return replace(match, intent=pair[0], second=pair[1]) if pair else match

    def _threats_told(
        self, normalized: str, match: Match, asked: Callable[[str], Match | None]
    ) -> tuple[str, str] | None:
        """Two threats a collector is reported to have made in a row ("说过两天来单位堵我 还扬言送我进去 真的假的"): the
        reader asks about both, whatever the message's one question mark covers. Each threat is read alone
        (questions.threats_told); when two of them clearly name two intents, one the whole message's, both are
        answered, the whole message's first (the threat it is most about; the reader asks about them together)."""
        intents: list[str] = []
        for clause in questions.threats_told(normalized):
            m = asked(clause)
            if m is not None and m.intent is not None and m.intent not in intents:
                intents.append(m.intent)
        if match.intent not in intents or len(intents) < 2:
            return None
        return match.intent, next(i for i in intents if i != match.intent)

    def _reported(self, normalized: str, match: Match, context: bool, read: _Readings) -> Match | None:
        """Reported speech: "催收说要起诉我" asks about being sued, not about being threatened. When the
        message reports what a collector said they would do (说要, 扬言, 威胁说 ...), what was said (its
        clause) is matched on its own; its intent answers when it is a legal action (LEGAL_ACTION_INTENTS:
        being sued, being arrested), clearly asked (at least 0.5 and the threshold), and the whole message
        is matched as a threat, not clearly matched, or matched less surely than what was said."""
        found = questions.REPORTED.search(normalized)
        if found is None:
            return None
        # what was said: up to the end of its clause ("说要曝光我 这违法吗 怎么留证据" said 曝光我)
        clause, _, rest = normalized[found.end() :].strip().partition(" ")
        if not clause:
            return None
        if match.intent not in (THREATS_INTENT, None) and not match.ambiguous:
            # Matched as another topic: what was said answers only when the message asks nothing else than
            # whether it is true ("催收扬言下周去法院起诉我 真的会吗" resembles "催收扬言明天上门"), never
            # when it asks a question of its own ("催收说要起诉我 我会坐牢吗"; then what was said is not read).
            rest = rest.strip()
            if rest and not is_same_topic(rest):
                return None
        tokens, ranking = read.tokens_and_ranking(clause)
        if not tokens:
            return None
        said = decide(ranking, self.config, context=context)
        if said.intent not in LEGAL_ACTION_INTENTS or said.ambiguous:
            return None
        if said.confidence < max(self.threshold, 0.5):
            return None
        return replace(
            match, intent=said.intent, confidence=said.confidence, ambiguous=False, out_of_scope=None
        )

    def rank(
        self, normalized: str, exclude: int | None = None, forget_words: bool = False
    ) -> tuple[Candidate, ...]:
        """The most probable intents and out-of-scope groups for the message, best first; ``exclude``
        takes one example out of the nearest-example search (its owner keeps the words it brings unless
        ``forget_words``: then it is true leave-one-out, see :meth:`features`)."""
        tokens = self.analyzer.tokens(normalized)
        if not tokens or not self.examples:
            return ()
        return self._ranking(self.features(tokens, normalized, exclude=exclude, forget_words=forget_words))

    def _ranking(self, features: _Features) -> tuple[Candidate, ...]:
        p = self.probabilities(features)
        size = min(self.config.ranking_size, len(p))
        top = (-p).argpartition(size - 1)[:size] if size < len(p) else np.arange(len(p))
        top = top[(-p[top]).argsort(kind="stable")]
        names = self.owner_names
        picked = features.matrix[top]
        shares = np.logical_or(picked[:, 0], picked[:, 5]).tolist()  # overlap or keywords not 0 (both >= 0)
        if features.allowed is self._everyone:  # (every owner allowed: no filter)
            # (Candidate(owner, score, words), made as tuple.__new__ makes it: no Python call per candidate)
            fields = zip([names[k] for k in top.tolist()], p[top].tolist(), shares, strict=True)
            return tuple(map(tuple.__new__, repeat(Candidate), fields))
        return tuple(
            Candidate(names[k], score, words)
            for k, score, allowed, words in zip(
                top.tolist(),
                p[top].tolist(),
                features.allowed[top].tolist(),
                shares,
                strict=True,
            )
            if allowed
        )

    def _two_questions(
        self,
        units: list[tuple[str, str]],
        match: Match,
        asked: Callable[[str], Match | None],
        read: _Readings,
        answered: Callable[[str], bool] | None = None,
    ) -> tuple[str, str] | None:
        """Two intents, in the order the message asks them, when it asks two things: split after question
        particles and at punctuation, each question must be clearly asked (a question particle or word,
        its match at least 0.5 and over the threshold, not ambiguous), one being the whole message's intent
        and another a different intent. A question is matched on its own and with the statements before
        it (see questions.question_units): with them when alone it says nothing clear ("合唔合法", "还要还吗") or
        when with them it is the whole message's question ("他们打到我公司了 这样合法吗"). ``units``: the
        message's asking parts (questions.asking_units)."""
        by_stage: list[str] = []
        if len(units) >= 2 and answered is not None:
            by_stage = [q for q, _ in units if answered(q)]
            units = [(q, u) for q, u in units if not answered(q)]
        pair = self._pair(units, match, asked, read) if len(units) >= 2 else None
        if pair is None and by_stage:
            pair = self._beside_stage(by_stage[0], units, match, asked)
        return pair

    def _beside_stage(
        self,
        by_stage: str,
        units: list[tuple[str, str]],
        match: Match,
        asked: Callable[[str], Match | None],
    ) -> tuple[str, str] | None:
        """A question the stage block answers ("逾期10天了接下来会咋样") beside one that clearly asks the whole
        message's intent ("会不会打给我紧急联系人"): the pair names the intent the first question clearly asks
        (the collection process), which the engine answers with the stage block it shows anyway."""
        if match.intent is None or not any(
            m is not None and m.intent == match.intent for q, u in units for m in (asked(q), asked(u))
        ):
            return None
        m = asked(by_stage)
        if m is None or m.intent is None or m.intent == match.intent:
            return None
        return match.intent, m.intent

    def _pair(
        self,
        units: list[tuple[str, str]],
        match: Match,
        asked: Callable[[str], Match | None],
        read: _Readings,
    ) -> tuple[str, str] | None:
        """Two intents among at least two asking parts, one the whole message's (see _two_questions)."""
        found: list[str] = []
        firsts: dict[str, bool] = {}  # intent -> whether its part asks plainly (吗, 会不会, 怎么 ... not 几)
        where: dict[str, str] = {}  # intent -> the part that asks it
        alone = [asked(question) for question, _ in units]
        for k, (question, unit) in enumerate(units):
            m = alone[k]
            if k > 0 and m is not None and m.intent != match.intent and questions.asks_only_police(question):
                # "这是不是套路贷 可以报警吗": calling the police about the matter asked or told before, not a topic
                # of its own (alone it reads as threats); with statements before it, they say what the matter is.
                m = asked(unit) if unit != question else None
                if m is None:
                    continue
            if m is not None and m.intent != match.intent and questions.asks_only_legality(question):
                # "他们找到我表哥讲了欠款的事 那样犯法吗": whether what the story told is legal, the story's topic
                # (everything before the question, when it names one clearly), not the calls the bare words resemble
                before = [u for _, u in units[:k]] + [unit[: len(unit) - len(question)]]
                story = " ".join(" ".join(before).split())
                told = asked(story) if story else None
                if told is not None:
                    m = told
            # Another question asks the whole message's intent in so many words ("我该怎么留证据 可以报警吗"):
            # this one, clear on its own, asks its own question, not that one again.
            covered = any(a is not None and a.intent == match.intent for j, a in enumerate(alone) if j != k)
            if unit != question and (m is None or (m.intent != match.intent and not covered)):
                # "这样合法吗" alone is about calls; with "他们打电话到我公司了" before it, about the workplace
                with_statements = asked(unit)
                if with_statements is not None and (m is None or with_statements.intent == match.intent):
                    m = with_statements
            if m is None and unit != question and questions.REFERS_BACK.search(question):
                # "日日打七八次 朝早七点都打 咁样合唔合法": a question about the story told before it, clear neither alone
                # nor with it, asks the whole message's topic (the story's)
                m = match
            if m is None and k > 0 and questions.FOLLOWS_ON.match(question):
                m = self._follow_up(units[k - 1][1], question, found, read)
            if m is None and k > 0:
                # what it asks without the words that lead into it ("另外想问下", "还有") or the condition it opens
                # with ("停息挂账了还会上征信吗"): those words dilute a short question. They only weaken it: the
                # question as written must already rank that intent first.
                bare = questions.core(question)
                m = asked(bare) if bare and bare != question.strip() else None
                if m is not None and _top_intent(read(question)) != m.intent:
                    m = None
            if m is None:
                continue
            if m.intent in found and questions.ANOTHER_QUESTION.match(question):
                m = self._another_question(question, m, found, read)
            if m.intent is not None and m.intent not in found:
                found.append(m.intent)
                firsts[m.intent] = bool(questions.ASKS_PLAINLY.search(question))
                where[m.intent] = question
        if CREDIT_INTENT in found:
            # "记录会报上去吗 往后按揭还批吗": the credit question, asked again as what it weighs on
            found = [i for i in found if not (i in ANSWERED_BY_CREDIT and ANSWERED_BY_CREDIT[i](where[i]))]
        if match.intent not in found or len(found) < 2:
            return None
        if found[0] == match.intent or not firsts[found[0]]:
            return match.intent, next(i for i in found if i != match.intent)
        return found[0], match.intent  # the question asked first (and asked plainly) is answered first

    def _another_question(self, question: str, m: Match, found: list[str], read: _Readings) -> Match:
        """A part that says it asks something further ("还有他们凭什么找我哥": questions.ANOTHER_QUESTION) but
        whose clear intent was already asked before it: read without its lead-in words, it asks the likelier of
        its two likeliest intents that was not asked already, when that one is at least half as probable as the
        likeliest. Otherwise ``m`` as it was."""
        intents = [c for c in read(questions.LEAD_IN.sub("", question.strip())) if not c.is_out_of_scope][:2]
        other = next((c for c in intents if c.owner not in found), None)
        if other is None or other.score < intents[0].score / 2:
            return m
        return replace(m, intent=other.owner, confidence=other.score, ambiguous=False)

    def _question_focus(
        self,
        normalized: str,
        units: list[tuple[str, str]],
        match: Match,
        asked: Callable[[str], Match | None],
        answered: Callable[[str], bool] | None = None,
    ) -> Match | None:
        """What a message that tells a story and then asks asks: "佢哋打去我公司搵同事 我可唔可以告佢哋攞赔偿"
        is about compensation, though its story's words (公司, 同事) outweigh its question's in the whole
        message. The asking parts are matched on their own (see _clearly_asked); when none of them is the
        whole message's intent and one clearly names an intent that the whole message also ranks among its
        ``FOCUS_RANK`` likeliest intents with at least ``FOCUS_FLOOR``, the question (the first such) decides.
        When two of its questions clearly ask two intents, neither of them the whole message's, and the whole
        message ranks the first among its three likeliest ("催收打到我公司 我可以投诉吗 他们还会打到我家里吗": the
        story's words make a third topic of the whole), the first of them decides (and _two_questions adds
        the other; a whole message sure of its topic, only when it gives the first at least SUGGESTION_FLOOR).
        None: no change."""
        parts = [q for q, _ in units]
        if answered is not None:
            parts = [q for q in parts if not answered(q)]
        asking = " ".join(parts)
        if not parts or asking == normalized.strip():
            return None  # no story: the whole message is its questions
        # Only parts that ask (not "我想去派出所报案", what the reader means to do) and that do not ask about the
        # story itself ("他们这么说是违法的吧", "这样合法吗": the story says what "this" is).
        # A part that asks about the story itself asks the whole message's topic: no single question then brings
        # another topic forward ("...打电话到我公司了 这样合法吗 我去哪里投诉": two questions, see _two_questions).
        story_asked = any(questions.refers_back(q) for q in parts)
        parts = [
            q
            for q in parts
            if questions.asks_something(questions.NOT_ASKING.sub(" ", q)) and not questions.refers_back(q)
        ]
        if match.intent is None:
            return None  # an answer only changes its topic; a refusal stays
        if match.ambiguous:
            # "Did you mean" because the story's words dilute the question ("...逾期半年了 昨天说要起诉我 真的会告吗"):
            # a question that clearly asks one of the two likeliest intents decides between them. Only for a story
            # then a question: the message opens with words before its first asking part (not "怎么更换 短信提醒号码",
            # a question cut short by a blanked name), or with a question closed by its particle and followed by
            # its story ("yq了会不会上zx 三个平台各欠一千多": the details after it dilute it as much).
            opening = units[0][0]
            if "".join(normalized.split()).startswith("".join(opening.split())) and not _CLOSED_QUESTION.search(
                opening
            ):
                return None
            likely = match.intents(2)
            read: list[Match | None] = []
            for part_match in map(asked, parts):  # (read one by one: the first that decides ends the reading)
                if part_match is not None and part_match.intent in likely:
                    chosen = next(c for c in match.ranking if c.owner == part_match.intent)
                    return replace(match, intent=chosen.owner, confidence=chosen.score, ambiguous=False)
                read.append(part_match)
            opening_match = read[0] if read else None
            if opening_match is not None and all(r is not None for r in read):
                # A long story can leave the whole message so unsure that the topic its one question names
                # ranks nowhere (a lost job, a parent in hospital, three apps, then one clear question about
                # being sued): when every asking part clearly names an intent, the first decides (with its own
                # confidence).
                return replace(
                    match, intent=opening_match.intent, confidence=opening_match.confidence, ambiguous=False
                )
            return None
        unsure = match.confidence < self.config.confident
        # What a question could bring forward (below, its parts being clear and none the whole message's intent):
        # with two or more parts, one of the three likeliest intents (at least SUGGESTION_FLOOR when sure);
        # unless the story is asked about, one of the FOCUS_RANK likeliest with at least FOCUS_FLOOR.
        two_kinds = len(parts) >= 2 and _rivals(match, 3, 0.0 if unsure else SUGGESTION_FLOOR)
        if not two_kinds and (story_asked or not _rivals(match, FOCUS_RANK, FOCUS_FLOOR)):
            return None  # nothing a question could bring forward (and its parts need not be read)
        clear = [m for m in map(asked, parts) if m is not None]
        if not clear or any(m.intent == match.intent for m in clear):
            return None
        intents = match.intents(3)
        kinds = list(dict.fromkeys(m.intent for m in clear))
        if len(kinds) >= 2 and kinds[0] in intents:
            first = next(c for c in match.ranking if c.owner == kinds[0])
            # (a sure whole message gives way only to a question whose topic it would at least offer)
            if unsure or first.score >= SUGGESTION_FLOOR:
                return replace(match, intent=first.owner, confidence=first.score, ambiguous=False)
        likeliest = match.intents_ranked(FOCUS_RANK)
        for m in clear if not story_asked else ():
            seen = next((c for c in likeliest if c.owner == m.intent), None)
            if seen is not None and seen.score >= FOCUS_FLOOR and (
                unsure or seen.score >= SURE_FOCUS_FLOOR or m.confidence >= SURE_FOCUS_PART
            ):
                return replace(
                    match, intent=m.intent, confidence=seen.score, ambiguous=False, out_of_scope=None
                )
        return None

    def _afterthought(
        self, normalized: str, match: Match, asked: Callable[[str], Match | None]
    ) -> Match | None:
        """Statements after a message's last question add detail, they ask nothing ("会联络我的紧急联络人吗
        联络人是我姊姊": who the contact is, not how to change it): the message up to its last question decides
        when it clearly names an intent that the whole message ranks among its ``FOCUS_RANK`` likeliest (the
        engine's whole message has lost its day count and amounts, which the part keeps). None: no change."""
        if match.intent is None or match.ambiguous:
            return None  # an answer only changes its topic; a refusal or "did you mean" stays
        if not _rivals(match, FOCUS_RANK, SUGGESTION_FLOOR):
            return None  # no intent the part could name would be taken (see below): the part need not be read
        parts = questions.split_questions(normalized)
        last = max((k for k, part in enumerate(parts) if questions.ends_a_question(part)), default=-1)
        if last < 0 or last == len(parts) - 1:
            return None
        if parts[last][-1] not in questions.PARTICLES and not (last == 0 and _HOW_TO_OPENER.match(parts[0])):
            # a question that ends with its particle ("...吗"), or a message that opens by asking how or where
            # to do something ("怎么举报这家的外包 他们辱骂我父母"), then statements
            return None
        m = asked(" ".join(parts[: last + 1]))
        if m is None or m.intent == match.intent:
            return None
        seen = next((c for c in match.ranking if c.owner == m.intent), None)
        if m.intent not in match.intents(FOCUS_RANK) or seen is None or seen.score < SUGGESTION_FLOOR:
            # (the part keeps the day count the whole message was read without: "过了还款日三天 会上征信吗" is
            # the credit question the whole message is sure of, not the grace period its day words suggest)
            return None
        return replace(match, intent=m.intent, confidence=m.confidence, ambiguous=False, out_of_scope=None)

    def _follow_up(self, before: str, question: str, found: list[str], read: _Readings) -> Match | None:
        """A short follow-up that says little on its own ("换了以后还会打给原来那个人吗", "打了我能告他们吗"):
        read with the question before it, what it adds is that reading's likeliest intent other than the ones
        already asked, when that intent is also among the follow-up's own likeliest (FOCUS_RANK + 1) and the
        reading with the question before it gives it at least FOCUS_FLOOR."""
        own = [c.owner for c in read(question)[: FOCUS_RANK + 1]]
        together = decide(read(f"{before} {question}"), self.config)
        for c in together.ranking:
            if c.is_out_of_scope or c.owner in found:
                continue
            if c.score >= FOCUS_FLOOR and c.owner in own:
                return replace(
                    together, intent=c.owner, confidence=c.score, ambiguous=False, out_of_scope=None
                )
            return None
        return None

    def _clearly_asked(self, part: str, read: _Readings) -> Match | None:
        """The decision for a part of a message when it names an intent clearly (at least 0.5 and over the
        threshold, not ambiguous), else None."""
        bare = "".join(part.split())
        if _BARE_DOUBT.fullmatch(bare) or questions.BLUFF.fullmatch(bare):
            # "真的会吗", "只是吓唬人的吧": a doubt about what the message told, it names nothing of its own
            return None
        part = questions.bluff_as_doubt(part)
        m = decide(read(part), self.config)
        said = self._reported(part, m, False, read)  # "催收说要告我 是真的吗" asks about being sued
        if said is not None:
            m = said
        return m if m.is_clear(max(self.threshold, 0.5)) else None

    # --------------------------------------------------------------------------------------- training

    def scorer_key(self) -> str:
        """What training reads, as one digest: the model's version, settings and prior, the features, every
        example's owner and tokens, the n-gram model's key (its version and every example's n-gram text),
        the keywords and the domain words. The key of the trained scorer in the on-disk cache and in the
        shipped file (:mod:`faq.scorer_file`)."""
        digest = hashlib.sha256(MODEL_VERSION.encode())
        cfg = self.config
        digest.update(
            repr((cfg.training_examples, cfg.training_whole, cfg.training_owners, cfg.l2, cfg.fuzzy_examples)).encode()
        )
        if not self._trains_whole():  # (what else decides the sample: nothing while every example is read)
            digest.update(repr(("sampled", cfg.training_work)).encode())
        digest.update(
            repr((DEFAULT_WEIGHTS, DEFAULT_THRESHOLD, MIN_CALIBRATION)).encode()
        )  # a small KB's prior
        digest.update(repr((FEATURES, CALIBRATION_SPREAD, CALIBRATION_GRID, self._ngram_digest)).encode())
        for owner, tokens in zip(self.owners, self.token_lists, strict=True):
            digest.update(f"{owner}\t{' '.join(tokens)}\n".encode())
        for intent_id, words in sorted(self.keywords.items()):
            digest.update(f"{intent_id}\t{' '.join(words)}\n".encode())
        digest.update(" ".join(sorted(self.domain_words)).encode())
        return digest.hexdigest()

    def _trained_model(self) -> Model:
        """The scorer shipped beside the knowledge base when it was trained on exactly these examples, else
        the one in the on-disk cache, else trained now (and cached)."""
        key = self.scorer_key()
        shipped = scorer_file.read(self.scorer_path, key, len(FEATURES))
        if shipped is not None:
            return Model(*shipped)
        cached = cache.load_json("model", key)
        if cached is not None:
            try:
                weights = tuple(float(w) for w in cached["weights"])
                if len(weights) == len(FEATURES):
                    return Model(weights, float(cached["threshold"]), tuple(cached["calibration"]))
            except (KeyError, TypeError, ValueError):
                pass
        model = self.train()
        cache.save_json(
            "model",
            key,
            {
                "weights": list(model.weights),
                "threshold": model.threshold,
                "calibration": list(model.calibration),
            },
        )
        return model

    def train(self) -> Model:
        """Learn the weights (logistic regression by Newton's method) and calibrate the threshold, from
        the examples scored as unseen messages (see the module docstring)."""
        n = len(self.examples)
        if n == 0:
            return Model(DEFAULT_WEIGHTS, DEFAULT_THRESHOLD)
        sample = self._training_sample()
        # The rows the fit reads, filled in place (a list of each view's rows stacked afterwards held them
        # twice, ~20 MB on the shipped knowledge base): at most two views per example (an out-of-scope one is
        # also read with its group held out), each at most ``training_owners`` owners and the right one.
        capacity = 2 * len(sample) * (min(self.config.training_owners, len(self.owner_names)) + 1)
        x = np.empty((capacity, len(FEATURES)), dtype=np.float64)  # (pages never written are never resident)
        y = np.empty(capacity, dtype=np.float64)
        count = 0
        # Calibration reads every training message's features over all owners once the weights are learnt.
        # They are kept (compactly, see _Held) when that is small; on a large knowledge base (at 50k examples
        # ~160 MB, during a /reload after an edit) they are computed again after the fit instead: the same
        # features, bit for bit, so the same model, for one more pass of CPU. (Always compacted: kept as they
        # are, they took ~5 MB more at the peak of a /reload after an edit on the shipped knowledge base, for
        # ~0.04 s less CPU.)
        keep = len(sample) * len(self.owner_names) * _HELD_BYTES_PER_OWNER <= HELD_FEATURES_BUDGET
        n_owners = len(self.owner_names)
        held = _Held(2 * len(sample) if keep else 0, n_owners, 2 * len(sample) * n_owners if keep else 0)
        held_count = 0
        self.ngrams.training_counts(True)
        if self.ngrams._dense_counts is None:  # (read through its postings: from ~10k examples)
            self._training_vectors = self._pinned_vectors(sample)
        for i in sample:
            for features, right in self._training_views(i):
                chosen = self._training_owners(features, right)
                end = count + len(chosen)
                x[count:end] = features.matrix[chosen]
                y[count:end] = chosen == right
                if keep:
                    held.add(features, right, chosen, count)
                count = end
                held_count += 1
        self._training_sums = None
        self.ngrams.training_counts(False)
        x, y = x[:count], y[:count]
        # Too few held-out predictions say little about how to combine the features: then the weights
        # are pulled towards DEFAULT_WEIGHTS instead of towards zero, the n-gram feature is left out
        # (its weight stays 0), and the threshold is the default.
        scarce = held_count < MIN_CALIBRATION
        ngrams_column = x[:, FEATURES.index("ngrams")].copy() if scarce and keep else None
        if scarce:
            x[:, FEATURES.index("ngrams")] = 0.0
        weights = _fit_logistic(x, y, self.config.l2, np.array(DEFAULT_WEIGHTS) if scarce else None)
        del y
        if keep:  # (the fit's rows are the held messages' other rows: kept until calibration has read them)
            if ngrams_column is not None:
                x[:, FEATURES.index("ngrams")] = ngrams_column
            del ngrams_column
        else:
            del x
        memory.trim()  # (the fit's temporaries given back before calibration reads the held features)
        self.model = Model(tuple(float(w) for w in weights), 0.5)
        views: Iterable[tuple[_Features, int]] = (
            held.views(self.is_oos, x)
            if keep
            else (view for i in sample for view in self._training_views(i))
        )
        threshold, accuracy, rejection = self._calibrate(views)
        del views, held
        self._training_sums = None  # (the last message's sums: ~1 MB at 50k examples, where views are computed again)
        self._training_vectors = None
        if scarce:
            threshold = DEFAULT_THRESHOLD
        return Model(self.model.weights, threshold, (accuracy, rejection, held_count))

    def _trains_whole(self) -> bool:
        """Whether training reads every example (see MatcherConfig.training_whole)."""
        n = len(self.examples)
        return n * n <= self.config.training_whole

    def _training_sample(self) -> list[int]:
        """The examples training reads (see :func:`stable_sample`): every one while ``training_whole``
        allows, else as many as ``training_work`` allows, and at least ``training_examples``."""
        n = len(self.examples)
        if self._trains_whole():
            return list(range(n))
        limit = max(self.config.training_examples, self.config.training_work // max(n, 1))
        return stable_sample(self.owners, self.examples, limit)

    def _pinned_vectors(self, sample: list[int]) -> dict[int, Vector]:
        """The n-gram vectors of the examples training reads (those with tokens), each with its owner's counts
        of its n-grams pinned (:meth:`NgramModel.pin_own_counts`); then the model's leave-one-out counts are
        let go when this matcher built the model (read back from the cache when needed): training's features
        are computed without them alive (5.4 MB at 50k examples, during a /reload after an edit). Each vector
        computed once, not once more for calibration."""
        vectors: dict[int, Vector] = {}
        for i in sample:
            tokens = self.token_lists[i]
            if tokens:
                normalized = normalize_example(self.examples[i])
                vectors[i] = self.ngrams.vector(self.analyzer.strip_incidental(normalized), tokens)
        self.ngrams.pin_own_counts((int(self.owner_of[i]), vector) for i, vector in vectors.items())
        restore = self.ngrams._restore
        if restore is not None and not isinstance(restore, _CountsFrom):  # (its own model, not shared yet)
            self.ngrams.release_counts(restore)
            memory.trim()
        return vectors

    def _training_views(self, i: int) -> list[tuple[_Features, int]]:
        """Example ``i`` as training messages: its features with it left out (and its owner the right
        answer) and, for an out-of-scope example, with its whole group held out (and "none of them" the
        right answer, -1); none for an example without tokens."""
        tokens = self.token_lists[i]
        if not tokens:
            return []
        own = int(self.owner_of[i])
        normalized = normalize_example(self.examples[i])
        # the example's n-gram vector, read once: as the message's, and as what is left out of the model
        pinned = self._training_vectors
        if pinned is not None and i % _TRIM_EVERY_VIEWS == 0:  # (a large model: its features' freed pages)
            memory.trim()
        vector = pinned.get(i) if pinned is not None else None
        if vector is None:
            vector = self.ngrams.vector(self.analyzer.strip_incidental(normalized), tokens)
        views = [(self.features(tokens, normalized, exclude=i, vector=vector, removed=(own, vector)), own)]
        if self.is_oos[own]:
            views.append((self.features(tokens, normalized, hold_out=own, vector=vector), -1))
        return views

    def _training_owners(self, features: _Features, right: int) -> np.ndarray:
        m = features.matrix
        prior = m[:, 0] + m[:, 2] + m[:, 3] + m[:, 4] + m[:, 11]
        prior = np.where(features.allowed, prior, -1.0)
        k = min(self.config.training_owners, len(prior))
        top = np.argpartition(-prior, k - 1)[:k] if k < len(prior) else np.arange(len(prior))
        top = top[features.allowed[top]]
        if right >= 0 and right not in top:
            top = np.append(top, right)
        return top

    def _calibrate(self, held: Iterable[tuple[_Features, int]]) -> tuple[float, float, float]:
        """The threshold chosen over the held-out predictions (see :func:`calibrate`), and its in-scope
        accuracy and out-of-scope rejection there; the predictions are kept in ``held_out``."""
        self.held_out = self._held_out(held)
        return calibrate(self.held_out)

    def _held_out(self, held: Iterable[tuple[_Features, int]]) -> HeldOut:
        """What the current weights predict for each held-out training message."""
        outcomes: list[tuple[bool, bool, float, float]] = []  # (in scope, right intent on top, p, p_oos)
        for features, right in held:
            p = self.probabilities(features)
            intents = np.where(self.is_oos, -1.0, p)
            best = int(intents.argmax())
            p_oos = float(np.where(self.is_oos, p, -1.0).max()) if self.is_oos.any() else -1.0
            in_scope = right >= 0 and not self.is_oos[right]
            outcomes.append((in_scope, best == right, float(p[best]), p_oos))
        return HeldOut(
            np.array([o[0] for o in outcomes], dtype=bool),
            np.array([o[1] for o in outcomes], dtype=bool),
            np.array([o[2] for o in outcomes], dtype=np.float64),
            np.array([o[3] for o in outcomes], dtype=np.float64),
        )


def stable_sample(owners: Sequence[str], examples: Sequence[str], limit: int) -> list[int]:
    """The positions of the examples training reads: every one, or beyond ``limit`` those whose digest (of
    owner and text) is smallest. A sample that is a property of each example, not of how many there are:
    adding or removing one example changes it by at most one (a random sample of positions drawn again
    for the new count changed all of it, and with it the threshold)."""
    n = len(examples)
    if n <= limit:
        return list(range(n))
    keys = [
        hashlib.blake2b(f"{owner}\t{text}".encode(), digest_size=8).digest()
        for owner, text in zip(owners, examples, strict=True)
    ]
    return sorted(heapq.nsmallest(limit, range(n), key=keys.__getitem__))


@dataclass(frozen=True)
class HeldOut:
    """The held-out predictions calibration reads, one entry per training message (an example left out, or
    an out-of-scope example with its whole group held out)."""

    in_scope: np.ndarray  # bool: the right answer is an intent (else: refusing is right)
    right: np.ndarray  # bool: the right intent is the likeliest intent
    best: np.ndarray  # the likeliest intent's probability
    oos: np.ndarray  # the likeliest out-of-scope group's probability (-1: none)

    def curve(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(in-scope accuracy, out-of-scope rejection) at each threshold of ``grid``, as decide() would
        answer: the right intent accepted, an out-of-scope message not accepted."""
        n_in, n_out = self.sizes()
        accepted = (self.best[None, :] >= grid[:, None]) & (self.oos < OUT_OF_SCOPE_ODDS * self.best)[None, :]
        answered_right = (accepted & (self.in_scope & self.right)[None, :]).sum(axis=1)
        refused = (~accepted & ~self.in_scope[None, :]).sum(axis=1)
        return answered_right / n_in, refused / n_out

    def sizes(self) -> tuple[int, int]:
        """How many held-out messages are in scope and how many out of scope (at least 1 each: the divisors of
        the rates)."""
        return int(self.in_scope.sum()) or 1, int((~self.in_scope).sum()) or 1


def calibrate(held: HeldOut) -> tuple[float, float, float]:
    """The threshold that maximises the *expected* in-scope accuracy + out-of-scope rejection over the
    held-out predictions when each probability is known only to within ``CALIBRATION_SPREAD`` (a logistic
    error of that scale in log-odds), with the accuracy and rejection it gives as counted.

    Counted exactly, the objective is a step function, flat over a wide range (about 0.4-0.78 on the
    shipped knowledge base): its best value, or the middle of the thresholds within a tolerance of it,
    jumped with every few examples added or removed (0.59-0.73 over 5 % of the examples dropped at
    random). Each held-out prediction that is right and clears the threshold by a margin counts almost
    1, one just at the threshold 1/2: the smoothed curve has one broad maximum, decided by all the
    predictions near it rather than by the last few steps, and moves little (0.62-0.66 over the same
    perturbations). The smoothing is a property of the scores (how far a probability learnt from
    leave-one-out predictions is to be trusted), set once, not tuned on any dataset."""
    grid = np.arange(CALIBRATION_GRID[0], CALIBRATION_GRID[1] + 1) / 100
    eligible = held.oos < OUT_OF_SCOPE_ODDS * held.best  # (else refused at any threshold)
    best = np.clip(held.best, 1e-6, 1 - 1e-6)
    # margin = (log-odds of best - log-odds of the threshold) / CALIBRATION_SPREAD, and
    # accepted = eligible / (1 + exp(-clip(margin, -30, 30))): the same operations, in place in one array of
    # thresholds x predictions (as new arrays, four such were alive at once: ~17 MB on the shipped knowledge
    # base's 7,694 predictions, at the peak of a /reload after an edit)
    accepted = np.log(best / (1 - best))[None, :] - np.log(grid / (1 - grid))[:, None]
    accepted /= CALIBRATION_SPREAD
    np.clip(accepted, -30.0, 30.0, out=accepted)
    np.negative(accepted, out=accepted)
    np.exp(accepted, out=accepted)
    accepted += 1.0
    np.divide(eligible[None, :], accepted, out=accepted)
    n_in, n_out = held.sizes()
    answered = accepted @ (held.in_scope & held.right)
    np.subtract(1, accepted, out=accepted)  # (1 - accepted)
    expected = answered / n_in + (accepted @ ~held.in_scope) / n_out
    del accepted
    threshold = float(grid[int(np.argmax(expected))])
    accuracy, rejection = held.curve(np.array([threshold]))
    return threshold, float(accuracy[0]), float(rejection[0])


#: How far a held-out probability is trusted when the threshold is calibrated (see calibrate): the scale
#: of a logistic error in its log-odds; 0.3 is a standard deviation of 0.54, a factor of ~1.7 in the odds.
CALIBRATION_SPREAD = 0.3
#: The thresholds calibration considers, in hundredths.
CALIBRATION_GRID = (5, 95)
#: What :class:`_Held` keeps per owner of a training message (8 float64, an int8, a bool).
_HELD_BYTES_PER_OWNER = 66
#: Above this (training messages x owners x bytes), calibration computes the training messages' features
#: again instead of keeping them (see Matcher.train): ~10 MB on the shipped knowledge base (every example
#: read), under 64 MB at 10k (900 read: kept), ~144 MB at 50k (900 read: computed again).
HELD_FEATURES_BUDGET = 64 * 2**20

#: The prior of the learnt weights (one per FEATURES entry): the weights learnt on the shipped knowledge
#: base before the n-gram feature (26 intents, ~900 examples, 1072 held-out predictions), rounded, and 0
#: for ``ngrams``: a small knowledge base is trained without that feature (a class-level model of a
#: dozen examples is no evidence). With it, the shipped one learns (0.6, 0.7, 2.9, 3.6, 0.3, 1.6, 3.0,
#: -1.3, -1.1, -1.4, -0.1, 5.2, -8.3). A knowledge base with fewer than
#: MIN_CALIBRATION held-out predictions is trained as a maximum a posteriori estimate under a Gaussian
#: prior centred here (strength ``MatcherConfig.l2``), so that a dozen examples, which say little about
#: how to combine the features, give a sensible scorer instead of a degenerate one; a larger one is
#: decided by its own data (ridge towards zero, as before).
DEFAULT_WEIGHTS = (1.1, 0.9, 4.1, 1.6, 1.9, 3.7, 2.7, 0.5, -2.2, -3.1, 0.4, 0.0, -7.2)
#: The threshold used when there are too few held-out predictions to calibrate one (see
#: MIN_CALIBRATION); calibrated on the shipped knowledge base it is 0.65 (0.18 before the n-gram feature).
DEFAULT_THRESHOLD = 0.2
#: Below this many held-out predictions: the prior above and DEFAULT_THRESHOLD.
MIN_CALIBRATION = 150


class _CountsFrom:
    """How an n-gram model gets its leave-one-out counts back: from any matcher alive that uses it (the
    cache, or the model built again; the same values), without keeping a matcher alive."""

    def __init__(self) -> None:
        self.matchers: weakref.WeakSet[Matcher] = weakref.WeakSet()

    def __call__(self) -> np.ndarray:
        for owner in list(self.matchers):
            return owner._ngram_counts()
        raise RuntimeError("the matchers of this n-gram model are gone")


def _lend_counts(model: NgramModel, matcher: Matcher) -> None:
    """``matcher`` uses ``model``: the model's counts can come back through it. A model only this matcher
    uses lets its counts go (read back when needed); a shared one keeps what it holds (another matcher may
    be reading them)."""
    source = model._restore
    if not isinstance(source, _CountsFrom):
        source = _CountsFrom()
    source.matchers.add(matcher)
    if len(source.matchers) == 1:
        model.release_counts(source)


#: The n-gram model of every matcher alive in this process, by its cache key (see Matcher._ngram_model): a
#: model is read-only once built (its leave-one-out counts come back the same from any of its matchers), so
#: a matcher of the same examples shares it; it lives as long as a matcher uses it.
_live_ngrams: weakref.WeakValueDictionary[str, NgramModel] = weakref.WeakValueDictionary()
_live_ngrams_lock = threading.Lock()


def _live(key: str, model: NgramModel) -> None:
    with _live_ngrams_lock:
        _live_ngrams[key] = model


#: How many examples :meth:`_Postings.mass` sums at a time.
_MASS_RUN = 4096
#: How many examples :meth:`_Postings.of_token_lists` reads at a time (its temporaries: ~1 MB).
_INDEX_RUN = 1024


class _Postings:
    """Every (example, key) pair of an inverted index (a key: a word, or a character), in compact arrays:
    example by example, each example's keys in sorted order (the order the matcher's sums run in), key ids
    in the order the keys are first seen. The index's dictionaries are built from it without a Python
    object per pair."""

    def __init__(
        self,
        keys: list[str],
        key_of: np.ndarray,
        example_of: np.ndarray,
        owner_of: np.ndarray,
        n_owners: int,
        runs: bool = True,
    ) -> None:
        """``runs``: keep the (key, owner) runs that :meth:`owners_by_key` and :meth:`used_by_owners` read;
        without them (the character index) only the number of owners per key is counted."""
        self.keys = keys
        self.key_of = key_of  # int32, per pair
        self.example_of = example_of  # int32, per pair
        self.owner_of = owner_of  # per example
        self.n_owners = n_owners
        # The pairs sorted by key (stable: each key's examples in increasing order), and each key's bounds.
        # (temporaries freed as soon as they are read: at 50k examples there are 500k character pairs, and
        # this runs while the engine that serves is still alive, during /reload)
        used = np.zeros(len(keys), dtype=np.intp)
        for a in range(0, len(key_of), _PAIR_RUN):  # (bincount reads int64: a run's copy, not all pairs')
            used += np.bincount(key_of[a : a + _PAIR_RUN], minlength=len(keys))
        self._examples_by_key = _by_key(key_of, example_of, used)
        if len(key_of) >= _TRIM_FROM_PAIRS:  # (the sort's temporaries given back before the owners are read)
            memory.trim()
        if not runs:
            # Each key's bounds from its number of pairs (every key has one at least), and its number of
            # owners as the runs of one owner within its bounds: without the keys in that order alive (2 MB
            # of the character index at 50k examples, at a /reload's peak).
            self._bounds = np.zeros(len(keys) + 1, dtype=np.intp)
            np.cumsum(used, out=self._bounds[1:])
            owners = owner_of[self._examples_by_key]
            change = np.ones(len(owners), dtype=bool)
            np.not_equal(owners[1:], owners[:-1], out=change[1:])
            del owners
            change[self._bounds[:-1][used > 0]] = True
            owners_per_key = (
                np.add.reduceat(change, self._bounds[:-1], dtype=np.intp)
                if len(change)
                else np.zeros(len(keys), dtype=np.intp)
            )
            del change, used
            if len(key_of) >= _TRIM_FROM_PAIRS:
                memory.trim()
        else:
            # (the keys in that order: each key repeated as often as it is used, the same as key_of[order]
            # without the order and the sorted keys alive together)
            key_sorted = np.repeat(np.arange(len(keys), dtype=key_of.dtype), used)
            del used
            self._bounds = np.searchsorted(key_sorted, np.arange(len(keys) + 1))
            # Runs of one (key, owner) in that order (the examples are grouped by owner, so each key's owners
            # come in increasing order): the owner, the key.
            owners = owner_of[self._examples_by_key]
            change = np.ones(len(owners), dtype=bool)
            change[1:] = (key_sorted[1:] != key_sorted[:-1]) | (owners[1:] != owners[:-1])
            starts = np.flatnonzero(change)
            del change
            self._run_owner = owners[starts].astype(np.int32)
            del owners
            self._run_key = key_sorted[starts]
            del key_sorted, starts
            self._run_bounds = np.searchsorted(self._run_key, np.arange(len(keys) + 1))
            owners_per_key = np.diff(self._run_bounds)
        total = n_owners or 1
        # IDF over owners (intents and out-of-scope groups), not examples: a word that every intent uses
        # says nothing about which intent is meant.
        self.idf = {
            k: math.log((1 + total) / (1 + c)) + 0.1 for k, c in zip(keys, owners_per_key.tolist(), strict=True)
        }

    @classmethod
    def of(
        cls, keys_per_example: Iterable[list[str]], owner_of: np.ndarray, n_owners: int, runs: bool = True
    ) -> _Postings:
        """The pairs of examples given as their (distinct) keys, one list per example (sorted here)."""
        ids: dict[str, int] = {}
        key_of = array("i")
        example_of = array("i")
        for i, keys in enumerate(keys_per_example):
            keys.sort()  # the same sums whatever the hash seed
            key_of.extend([ids.setdefault(k, len(ids)) for k in keys])
            example_of.extend(repeat(i, len(keys)))
        return cls(
            list(ids),
            np.frombuffer(key_of, dtype=np.int32) if key_of else np.zeros(0, dtype=np.int32),
            np.frombuffer(example_of, dtype=np.int32) if example_of else np.zeros(0, dtype=np.int32),
            owner_of,
            n_owners,
            runs,
        )

    @classmethod
    def of_token_lists(
        cls, token_lists: TokenLists, owner_of: np.ndarray, n_owners: int, characters: bool = False
    ) -> _Postings:
        """:meth:`of` the examples' distinct tokens (``characters``: the distinct characters of their tokens,
        spaces left out, and no runs), read from the compact lists' word ids with a few numpy calls a run of
        examples at a time instead of a sorted list and a dict look-up per token: the same keys, in the same
        order, and the same pairs (int32, as :meth:`of` gives them), with no array of every pair wider than
        those (at 50k examples ~500k character pairs, while a /reload builds beside the serving engine)."""
        words, raw_ids, raw_bounds = token_lists.parts()
        ids = np.frombuffer(raw_ids, dtype=np.int32) if len(raw_ids) else np.zeros(0, dtype=np.int32)
        bounds = np.frombuffer(raw_bounds, dtype=np.int64)
        n = len(bounds) - 1
        if characters:  # each word as its distinct characters (code point order), numbered in that order
            letters = [sorted(set(word) - {" "}) for word in words]
            names = sorted(set().union(*letters))
            number = {ch: k for k, ch in enumerate(names)}
            sizes = np.fromiter(map(len, letters), dtype=np.int64, count=len(letters))
            flat = np.fromiter((number[ch] for chars in letters for ch in chars), dtype=np.int32, count=int(sizes.sum()))
            del letters, number
            first_letter = np.cumsum(sizes) - sizes
        else:  # each word, numbered in sorted order
            names = sorted(words)
            rank = np.empty(len(words), dtype=np.int32)
            rank[sorted(range(len(words)), key=words.__getitem__)] = np.arange(len(words), dtype=np.int32)
        width = np.int64(max(len(names), 1))
        # (the pairs gathered as :meth:`of` gathers them, in arrays that grow: no second copy of every pair)
        keys, examples = array("i"), array("i")
        seen = np.zeros(len(names), dtype=bool)
        order: list[np.ndarray] = []  # the keys as first seen, run by run
        for lo in range(0, n, _INDEX_RUN):
            hi = min(n, lo + _INDEX_RUN)
            a, b = int(bounds[lo]), int(bounds[hi])
            run = ids[a:b]
            example = np.repeat(np.arange(lo, hi, dtype=np.int64), np.diff(bounds[lo : hi + 1]))
            if characters:
                per_word = sizes[run]
                at = np.repeat(first_letter[run] - (np.cumsum(per_word) - per_word), per_word)
                key = flat[at + np.arange(len(at))]
                example = np.repeat(example, per_word)
                del per_word, at
            else:
                key = rank[run]
            # the run's pairs in order of example, then key (as each example's keys are sorted), each once
            pairs = example * width + key
            del example, key
            pairs.sort()
            if len(pairs):
                pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
            run_examples, run_keys = np.divmod(pairs, width)
            del pairs
            run_keys = run_keys.astype(np.int32)
            # keys not seen in an earlier run, in the order this run first has them
            by_key = np.argsort(run_keys, kind="stable")
            first = np.ones(len(by_key), dtype=bool)
            np.not_equal(run_keys[by_key[1:]], run_keys[by_key[:-1]], out=first[1:])
            fresh = run_keys[np.sort(by_key[first])]
            del by_key, first
            fresh = fresh[~seen[fresh]]
            seen[fresh] = True
            order.append(fresh)
            keys.frombytes(run_keys.tobytes())
            examples.frombytes(run_examples.astype(np.int32).tobytes())
            del run_keys, run_examples
        seen_order = np.concatenate(order) if order else np.zeros(0, dtype=np.int32)
        new_id = np.zeros(len(names), dtype=np.int32)
        new_id[seen_order] = np.arange(len(seen_order), dtype=np.int32)
        key_of = np.frombuffer(keys, dtype=np.int32) if keys else np.zeros(0, dtype=np.int32)
        np.take(new_id, key_of, out=key_of)
        if len(key_of) >= _TRIM_FROM_PAIRS:  # (the runs' temporaries given back before the pairs are sorted)
            memory.trim()
        return cls(
            [names[k] for k in seen_order.tolist()],
            key_of,
            np.frombuffer(examples, dtype=np.int32) if examples else np.zeros(0, dtype=np.int32),
            owner_of,
            n_owners,
            runs=not characters,
        )

    def mass(self, weights: dict[str, float], n: int, out: np.ndarray | None = None) -> np.ndarray:
        """Per example, the summed weight of its keys, added in the order of its sorted keys; written into
        ``out`` (n float64) when given, and returned."""
        per_key = np.array([weights[k] for k in self.keys], dtype=np.float64)
        # A run of whole examples at a time (the pairs come example by example): each example's sum adds
        # the same numbers in the same order as over all pairs at once, without a float64 weight per pair
        # alive for all of them (8 MB at 50k examples, at the peak of a /reload).
        example_of, key_of = self.example_of, self.key_of
        if out is None:
            out = np.zeros(n, dtype=np.float64)
        else:
            out.fill(0.0)
        cuts = [0, *np.searchsorted(example_of, np.arange(_MASS_RUN, n, _MASS_RUN)).tolist(), len(example_of)]
        for a, b in pairwise(cuts):
            if a < b:
                out += np.bincount(example_of[a:b], weights=per_key[key_of[a:b]], minlength=n)
        return out

    def examples_by_key(self) -> dict[str, np.ndarray]:
        """key -> the examples using it (int32, increasing; views of one array)."""
        examples, bounds = self._examples_by_key, self._bounds.tolist()
        return {k: examples[bounds[i] : bounds[i + 1]] for i, k in enumerate(self.keys)}

    def owners_by_key(self) -> dict[str, np.ndarray]:
        """key -> the owners using it (int32, increasing; views of one array)."""
        owners, bounds = self._run_owner, self._run_bounds.tolist()
        return {k: owners[bounds[i] : bounds[i + 1]] for i, k in enumerate(self.keys)}

    def used_by_owners(self, at_least: int, among: np.ndarray) -> list[str]:
        """The keys that at least ``at_least`` of the owners marked in ``among`` use."""
        counted = np.bincount(self._run_key[among[self._run_owner]], minlength=len(self.keys))
        return [k for k, c in zip(self.keys, counted.tolist(), strict=True) if c >= at_least]


#: While training on a model read through its postings, the pages its features freed are given back at every
#: example whose position is a multiple of this (~1 in 64 of those read: ~0.5 ms each).
_TRIM_EVERY_VIEWS = 64
#: From this many pairs, building an index gives the pages of its steps' temporaries back between the steps
#: (about 100k pairs at 10k examples, 500k at 50k, where it runs beside a serving engine during a /reload).
_TRIM_FROM_PAIRS = 250_000
#: Pairs read at a time where a step over every pair of an index would otherwise make a full-size
#: temporary (the int64 copies bincount and a stable argsort make: 4 MB each for the character index at 50k).
_PAIR_RUN = 1 << 17


def _by_key(key_of: np.ndarray, values: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``values[np.argsort(key_of, kind="stable")]`` (each pair's value in order of key, pairs of one key in
    their order), ``used`` being each key's number of pairs: a counting sort, a run of pairs at a time (the
    run sorted stably by key, each of its pairs put at the next free place of its key), so that no int64
    order of every pair is made."""
    out = np.empty(len(values), dtype=values.dtype)
    free = np.zeros(len(used), dtype=np.intp)
    np.cumsum(used[:-1], out=free[1:])  # where each key's pairs begin
    for a in range(0, len(key_of), _PAIR_RUN):
        keys = key_of[a : a + _PAIR_RUN]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        counts = np.bincount(keys, minlength=len(used))
        first = np.cumsum(counts) - counts  # where each key's pairs begin in the sorted run
        out[free[sorted_keys] + (np.arange(len(keys)) - first[sorted_keys])] = values[a : a + _PAIR_RUN][order]
        free += counts
    return out


def _grouped_by_owner(
    owners: list[str], examples: list[str], token_lists: Sequence[list[str]]
) -> tuple[list[str], list[str], Sequence[list[str]]]:
    """The examples (their owners, texts and token lists) in a stable order by owner: the lists given when
    they are in that order already (from_kb), else reordered copies (compact token lists stay compact)."""
    if all(a <= b for a, b in pairwise(owners)):
        return owners, examples, token_lists
    order = sorted(range(len(owners)), key=owners.__getitem__)
    return (
        [owners[i] for i in order],
        [examples[i] for i in order],
        (
            TokenLists(token_lists[i] for i in order)
            if isinstance(token_lists, TokenLists)
            else [token_lists[i] for i in order]
        ),
    )


def _weighted(index: dict[str, np.ndarray], weights: dict[str, float]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """An inverted index with its key's weight beside every id (built once, read by :func:`_gather`). The
    weights are read-only views of one number with stride 0 (no memory per id: 8.5 MB less at 50k
    examples), what ``np.broadcast_to`` gives, made directly (a quarter of its cost: ~0.015 s of a first
    start at 7,500 keys); ``np.concatenate`` and ``np.bincount`` read them as the full arrays they stand for.
    Keys of one weight and one number of ids share one such view (read-only: words used by as many owners
    weigh the same; at 50k examples ~9,500 views become ~2,000, ~1 MB less per engine)."""
    f64 = np.float64
    views: dict[tuple[float, int], np.ndarray] = {}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for k, ids in index.items():
        weight = weights[k]
        view = views.get((weight, len(ids)))
        if view is None:
            view = views[weight, len(ids)] = np.ndarray((len(ids),), f64, f64(weight).tobytes(), 0, (0,))
        out[k] = (ids, view)
    return out


#: The n-gram model's leave-one-out counts' cache entry: their dtype, then their bytes (faq.cache.save_with_blobs).
_COUNTS_KIND = "ngram-counts-blob"
#: The n-gram model's cache entry: its state, then its arrays' bytes (faq.cache.save_with_blobs). An entry of
#: the earlier layout (the state with its bytes inside) under the same name is a miss, and the reverse too.
_NGRAM_KIND = "ngrams"


def _cached_counts(key: str, size: int) -> np.ndarray | None:
    """The n-gram model's leave-one-out counts stored under ``key`` (_COUNTS_KIND), when the entry is whole
    and holds ``size`` of them; None otherwise."""
    stored = cache.load_with_blobs(_COUNTS_KIND, key)
    if stored is None or not isinstance(stored[0], str) or len(stored[1]) != 1:
        return None
    try:
        counts = np.frombuffer(stored[1][0], dtype=np.dtype(stored[0]))
    except (TypeError, ValueError):
        return None
    return counts if len(counts) == size else None


@lru_cache(maxsize=8)
def _as_array(weights: tuple[float, ...]) -> np.ndarray:
    """A model's weights as the array the matrix product reads (built once per model, not per message)."""
    out = np.asarray(weights, dtype=np.float64)
    out.flags.writeable = False
    return out


def _gather(index: dict[str, tuple[np.ndarray, np.ndarray]], keys: list[str], n: int) -> np.ndarray:
    """Per example, the summed weight of the ``keys`` it contains (through the weighted inverted
    ``index``), in one ``bincount`` instead of one scatter per key. ``keys`` come sorted: the same sums in
    every process, whatever the hash seed."""
    found = [f for f in map(index.get, keys) if f is not None]
    if not found:
        return np.zeros(n, dtype=np.float64)
    if len(found) == 1:
        ids, w = found[0]
    else:
        id_parts, weight_parts = zip(*found, strict=True)
        ids = np.concatenate(id_parts)
        w = np.concatenate(weight_parts)
    return np.bincount(ids, weights=w, minlength=n)


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float, prior: np.ndarray | None = None, iterations: int = 30
) -> np.ndarray:
    """Logistic regression by Newton's method (IRLS) with a Gaussian prior: the weights are pulled
    towards ``prior`` with strength ``l2``; without a prior, towards zero (ridge), the bias (the last
    column) unpenalised."""
    centre = np.zeros(x.shape[1]) if prior is None else np.asarray(prior, dtype=np.float64)
    w = centre.copy()
    penalty = np.full(x.shape[1], l2)
    if prior is None:
        penalty[-1] = 0.0  # ridge: the bias (last column) is free, the data decides the base rate
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * (w - centre)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


class _Readings:
    """The rankings of one message's texts (the message, its parts, a reported clause), each computed once:
    the steps of Matcher.match read the same text more than once, or texts that differ only in the spaces
    around them ("网贷还不后果严重吗 " less its day count, and "网贷还不后果严重吗" up to its last question).
    A ranking reads a text only through its tokens, its keywords and its n-grams, none of which spaces at
    either end change (keywords and lender names are normalised: none begins or ends with a space), so that
    a text's tokens and its stripped text decide it."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.seen: dict[tuple[tuple[str, ...], str], tuple[Candidate, ...]] = {}
        #: the features of the texts read that depend on their tokens alone (see Matcher.features)
        self.by_tokens: dict[tuple[str, ...], np.ndarray] = {}

    def tokens_and_ranking(self, text: str) -> tuple[list[str], tuple[Candidate, ...]]:
        matcher = self.matcher
        stripped = matcher.analyzer.strip_incidental(text)
        tokens = matcher.analyzer.tokens_of_stripped(stripped)
        if not tokens or not matcher.examples:
            return tokens, ()
        key = (tuple(tokens), text.strip())
        ranking = self.seen.get(key)
        if ranking is None:
            features = matcher.features(tokens, text, stripped=stripped, by_tokens=self.by_tokens)
            ranking = self.seen[key] = matcher._ranking(features)
        return tokens, ranking

    def __call__(self, text: str) -> tuple[Candidate, ...]:
        """What :meth:`Matcher.rank` gives for ``text``."""
        return self.tokens_and_ranking(text)[1]


class _Remembered:
    """A function of a message's part, computed once per part (the steps of Matcher.match read the same
    parts)."""

    def __init__(self, function: Callable[[str], Match | None]) -> None:
        self.function = function
        self.seen: dict[str, Match | None] = {}

    def __call__(self, part: str) -> Match | None:
        if part not in self.seen:
            self.seen[part] = self.function(part)
        return self.seen[part]


#: A question clearly asked on its own decides a message with a story when the whole message ranks its intent
#: among this many likeliest intents (see Matcher._question_focus).
FOCUS_RANK = 2
FOCUS_FLOOR = 0.1
#: A whole message sure of its topic (at least ``confident``) gives way to one of its questions whose topic it
#: ranks below SURE_FOCUS_FLOOR only when that question, read alone, is near certain (SURE_FOCUS_PART): a short
#: closing question that only leans to another topic (a request to settle for less whose last words name the
#: penalty charges: still the negotiation the whole message asks about) does not overturn it; a plain question
#: after a story (how to complain about the agency just described) still does.
SURE_FOCUS_FLOOR = 0.2
SURE_FOCUS_PART = 0.95
#: A message of two questions that no bar accepts is answered by one of them when it clearly names one of the
#: whole message's this many likeliest intents (see Matcher.match).
SPLIT_RANK = 2

#: An intent over the threshold wins unless an out-of-scope group is this many times more probable: out of
#: scope wins only when nothing in scope is clearly asked.
OUT_OF_SCOPE_ODDS = 1.0


_NUMERAL = regexes.lazy(r"[\d零〇一二两三四五六七八九十百千万亿几半多]+")

#: The intent about threats and intimidation: a reported threat to sue or to call the police is about
#: being sued or arrested (see Matcher._reported).
THREATS_INTENT = "threats"

#: A reported threat to sue or to have the reader arrested asks whether that can happen: the legal topics
#: answer it. A reported threat of harm, exposure or a visit ("威胁说要找人上门打我") stays a threat.
LEGAL_ACTION_INTENTS = frozenset({"lawsuit", "jail"})

#: The credit-record topic, and the questions it answers when a message asks it too: whether the reader can still
#: borrow (a mortgage, a car loan) is what the record weighs on, and from when its years count is the record's own
#: period, not the courts' limitation period. Such a part is the credit question asked again in other words, no
#: second topic (see Matcher._pair).
CREDIT_INTENT = "credit_report"
ANSWERED_BY_CREDIT: dict[str, Callable[[str], bool]] = {
    "life_impact": questions.asks_borrowing_again,
    "statute_of_limitations": questions.asks_when_period_counts,
}


#: Words of owing a debt or of the courts that place a message in the domain as surely as a domain word (see
#: Matcher.has_context): the knowledge base's intents use each of them and its out-of-scope groups none
#: (checked on the shipped one), so a message with one is a borrower's, even in words jieba or the synonyms
#: leave outside DOMAIN_WORDS (Taiwanese and Cantonese messages often do). Loan context only lowers the bar
#: for answering: an out-of-scope group still wins when it clears the calibrated threshold (see decide).
DEBT_WORDS = frozenset({"欠款", "欠钱", "欠债", "债", "债务", "负债", "法院", "强制执行", "跑路"})
#: A token that holds this word is a collection word however jieba cut it ("暴力催收", "催收函").
COLLECTION_WORD = "催收"

#: A bare doubt about what was just told ("真的会吗", "是真的吗", "真会这样吗", "会吗"), normalised and without spaces.
_BARE_DOUBT = regexes.lazy(r"(?:那|这|他们|佢哋)?(?:是|係)?(?:真的|真系|真係|真)?(?:会|會|要|能|敢)?(?:这样|咁做)?[吗嗎么嘛咩呢啊吧]?[??]?")
#: A question closed by its final particle ("...会上征信吗", "...係咪真㗎?").
_CLOSED_QUESTION = regexes.lazy(r"[吗呢嘛?咩啊呀]\s*$")
#: A message that opens by asking how, where or to whom to do something ("怎么投诉...", "去哪里举报...", "找谁...").
_HOW_TO_OPENER = regexes.lazy(r"^(?:我|那我)?(?:要|该|应该|可以|能)?(?:怎么|怎样|如何|去哪里?|到哪里?|哪里|找谁|向谁|点样)\S{2,}")
#: With loan context, an intent at least this probable is offered ("did you mean") when none is accepted.
SUGGESTION_FLOOR = 0.02


def _accepted(p_intent: float, p_oos: float, threshold: float) -> bool:
    return p_intent >= threshold and p_oos < OUT_OF_SCOPE_ODDS * p_intent


def decide(ranking: tuple[Candidate, ...], config: MatcherConfig, context: bool = False) -> Match:
    """The rules that turn a ranking into a decision (pure, so `faq eval` can sweep the thresholds): the
    best intent wins when its probability clears the threshold (``context_threshold`` for a message with
    loan or collection context) and no out-of-scope group is more probable."""
    if not ranking:
        return Match(intent=None, confidence=0.0, ranking=())
    refuse_from = threshold = config.threshold if config.threshold >= 0 else 0.5
    top = ranking[0]
    intents = [c for c in ranking if not c.is_out_of_scope]
    best_intent = intents[0] if intents else None
    if context and config.context_threshold >= 0 and best_intent is not None and best_intent.words:
        # (a shared word, not a stray character such as the 五 an amount leaves behind)
        threshold = min(threshold, config.context_threshold)
    confidence = best_intent.score if best_intent else 0.0
    if best_intent is None or not _accepted(
        best_intent.score, top.score if top.is_out_of_scope else 0.0, threshold
    ):
        # Loan context lowers the bar for answering, never the bar for refusing: "逾期五天 我想问下" is not a
        # loan request because its 我想 resembles one a little.
        if top.is_out_of_scope and top.score >= refuse_from:
            return Match(None, confidence, ranking, out_of_scope=top.owner[len(OOS_PREFIX) :])
        if context and best_intent is not None and best_intent.score >= SUGGESTION_FLOOR:
            # Loan context but no clear question: "did you mean" with the likeliest intents, never a refusal.
            return Match(best_intent.owner, confidence, ranking, ambiguous=True)
        return Match(None, confidence, ranking)
    runner_up = intents[1] if len(intents) > 1 else None
    ambiguous = (
        runner_up is not None
        and best_intent.score - runner_up.score < config.ambiguity_margin
        and best_intent.score < config.confident
    )
    return Match(best_intent.owner, confidence, ranking, ambiguous=ambiguous)


def _rivals(match: Match, limit: int, floor: float) -> bool:
    """Whether an intent other than ``match``'s, among its ``limit`` likeliest intents (out-of-scope groups
    passed over), has at least ``floor``: the steps that let a part of the message change its topic to one the
    whole message ranks so (see Matcher._afterthought, Matcher._question_focus) read the part only then."""
    return any(c.owner != match.intent and c.score >= floor for c in match.intents_ranked(limit))


def _top_intent(ranking: tuple[Candidate, ...]) -> str | None:
    """The likeliest intent of a ranking (out-of-scope groups passed over), or None."""
    return next((c.owner for c in ranking if not c.is_out_of_scope), None)
