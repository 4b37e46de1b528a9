"""`faq eval`: measure the engine on a labelled dataset the matcher was not built from.

A dataset is YAML: ``questions: [{text, intent (id or null = out of scope), days?, platform?, stage?:
[min, max|null], style?}]`` (see ``tests/data/README.md``). The report gives top-1 intent accuracy on the
in-scope questions, the out-of-scope rejection rate, per-intent precision / recall / F1, confusion pairs,
every miss, day-count accuracy, a threshold sweep, leave-one-out over the knowledge base's own examples,
and the same accuracy for a TF-IDF character n-gram baseline over the same examples.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from faq.engine import Engine
from faq.matcher import decide
from faq.normalize import normalize

NOT_GIVEN: Any = object()


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str | None
    days: int | None = NOT_GIVEN  # NOT_GIVEN: the dataset says nothing about days
    platform: str | None = None
    stage: tuple[int, int | None] | None = None
    style: str = ""

    @property
    def has_day_label(self) -> bool:
        return self.days is not NOT_GIVEN and self.days is not None


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str | None
    confidence: float
    days: int | None
    platform: str | None
    stage: tuple[int, int | None] | None


@dataclass
class Metrics:
    in_scope: int = 0
    correct: int = 0
    out_of_scope: int = 0
    rejected: int = 0
    day_messages: int = 0
    day_correct: int = 0
    false_day_counts: int = 0
    no_day_messages: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def rejection(self) -> float:
        return self.rejected / self.out_of_scope if self.out_of_scope else 0.0

    @property
    def day_accuracy(self) -> float:
        return self.day_correct / self.day_messages if self.day_messages else 0.0


@dataclass
class EvalReport:
    metrics: Metrics
    misses: list[tuple[Example, Prediction]] = field(default_factory=list)
    day_misses: list[tuple[Example, Prediction]] = field(default_factory=list)
    per_intent: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    confusion: list[tuple[str, str, int]] = field(default_factory=list)
    by_style: dict[str, tuple[int, int]] = field(default_factory=dict)
    sweep: list[tuple[float, float, float, float]] = field(default_factory=list)
    leave_one_out: float = 0.0
    baseline: tuple[float, float] | None = None


TEXT_KEYS = ("text", "question", "message", "input", "q")
INTENT_KEYS = ("intent", "expected_intent", "expected", "label")


def load_dataset(path: str | Path) -> list[Example]:
    """Read a dataset: YAML or JSON, a list of rows or ``{questions: [...]}``; the text under ``text``
    (or ``question`` / ``message``), the expected intent under ``intent`` (or ``expected`` / ``label``;
    null, "none" or "out_of_scope" = out of scope); JSON Lines (``.jsonl``) too."""
    raw = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".jsonl"):
        doc: Any = [json.loads(line) for line in raw.splitlines() if line.strip()]
    else:
        doc = yaml.safe_load(raw)
    if isinstance(doc, dict):
        doc = doc.get("questions") or doc.get("examples") or []
    examples: list[Example] = []
    for row in doc:
        text = next((row[k] for k in TEXT_KEYS if k in row), None)
        if text is None:
            raise ValueError(f"{path}: a row without text: {row!r}")
        intent = next((row[k] for k in INTENT_KEYS if k in row), None)
        if isinstance(intent, str) and intent.lower() in ("", "none", "null", "out_of_scope", "oos"):
            intent = None
        stage = row.get("stage")
        examples.append(
            Example(
                text=str(text),
                intent=intent,
                days=row.get("days", NOT_GIVEN),
                platform=row.get("platform"),
                stage=(stage[0], stage[1]) if stage else None,
                style=str(row.get("style", "")),
            )
        )
    return examples


def predict(engine: Engine, text: str) -> Prediction:
    reply = engine.reply(text)
    stage = (reply.stage.min_days, reply.stage.max_days) if reply.stage else None
    return Prediction(reply.intent, reply.confidence, reply.days, reply.platform, stage)


def evaluate(engine: Engine, dataset: Sequence[Example], with_baseline: bool = True) -> EvalReport:
    metrics = Metrics()
    report = EvalReport(metrics)
    predictions = [predict(engine, ex.text) for ex in dataset]
    styles: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ex, pred in zip(dataset, predictions, strict=True):
        ok = pred.intent == ex.intent
        if ex.intent is None:
            metrics.out_of_scope += 1
            metrics.rejected += ok
        else:
            metrics.in_scope += 1
            metrics.correct += ok
        if not ok:
            report.misses.append((ex, pred))
        styles[ex.style or "-"][0] += 1
        styles[ex.style or "-"][1] += ok
        if ex.has_day_label:
            metrics.day_messages += 1
            day_ok = pred.days == ex.days and pred.platform == ex.platform and pred.stage == ex.stage
            metrics.day_correct += day_ok
            if not day_ok:
                report.day_misses.append((ex, pred))
        elif ex.days is NOT_GIVEN or ex.days is None:
            metrics.no_day_messages += 1
            if pred.days is not None:
                metrics.false_day_counts += 1
                report.day_misses.append((ex, pred))
    report.by_style = {k: (v[0], v[1]) for k, v in sorted(styles.items())}
    report.per_intent = _per_intent(dataset, predictions)
    report.confusion = _confusion(dataset, predictions)
    report.sweep = threshold_sweep(engine, dataset)
    report.leave_one_out = leave_one_out(engine)
    if with_baseline:
        report.baseline = tfidf_baseline(engine, dataset)
    return report


def _per_intent(
    dataset: Sequence[Example], predictions: Sequence[Prediction]
) -> dict[str, tuple[float, float, float, int]]:
    labels = sorted({ex.intent for ex in dataset if ex.intent} | {p.intent for p in predictions if p.intent})
    out: dict[str, tuple[float, float, float, int]] = {}
    for label in labels:
        tp = sum(
            1 for ex, p in zip(dataset, predictions, strict=True) if ex.intent == label and p.intent == label
        )
        fp = sum(
            1 for ex, p in zip(dataset, predictions, strict=True) if ex.intent != label and p.intent == label
        )
        fn = sum(
            1 for ex, p in zip(dataset, predictions, strict=True) if ex.intent == label and p.intent != label
        )
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = (precision, recall, f1, tp + fn)
    return out


def _confusion(dataset: Sequence[Example], predictions: Sequence[Prediction]) -> list[tuple[str, str, int]]:
    pairs = Counter(
        (ex.intent or "(out of scope)", p.intent or "(rejected)")
        for ex, p in zip(dataset, predictions, strict=True)
        if ex.intent != p.intent
    )
    return [(a, b, n) for (a, b), n in pairs.most_common()]


def threshold_sweep(engine: Engine, dataset: Sequence[Example]) -> list[tuple[float, float, float, float]]:
    """For each threshold: (threshold, accuracy of answered in-scope questions, answer rate of in-scope
    questions, out-of-scope rejection). Day counts are left out: only the matcher's decision is swept."""
    rankings = [engine.matcher.rank(normalize(ex.text)) for ex in dataset]
    rows: list[tuple[float, float, float, float]] = []
    base = engine.matcher.config
    for step in range(5, 80, 5):
        config = replace(base, threshold=step / 100)
        answered = correct = in_scope = oos = rejected = 0
        for ex, ranking in zip(dataset, rankings, strict=True):
            match = decide(ranking, config)
            chosen = None if match.ambiguous else match.intent
            if ex.intent is None:
                oos += 1
                rejected += chosen is None
            else:
                in_scope += 1
                if chosen is not None:
                    answered += 1
                    correct += chosen == ex.intent
        rows.append(
            (
                config.threshold,
                correct / answered if answered else 0.0,
                answered / in_scope if in_scope else 0.0,
                rejected / oos if oos else 0.0,
            )
        )
    return rows


def leave_one_out(engine: Engine) -> float:
    """Top-1 accuracy over the knowledge base's own examples, each matched by an index rebuilt without it
    (its words, IDF and vocabulary forgotten too; the analyser stays), so a run costs seconds."""
    matcher = engine.matcher
    total = correct = 0
    for i, (owner, text) in enumerate(zip(matcher.owners, matcher.examples, strict=True)):
        ranking = matcher.without(i).rank(normalize(text))
        if ranking:
            total += 1
            correct += ranking[0].owner == owner
    return correct / total if total else 0.0


def misplaced_examples(engine: Engine) -> list[tuple[str, str, str, float]]:
    """Examples that match another intent better than their own: each example is matched with itself
    taken out of the nearest-example search (its intent keeps the words it brings), and reported when
    another intent or out-of-scope group then scores higher: (own intent, example, better, its score).
    A stricter test than a plain lookup (which always finds the example itself) and a milder one than
    leave-one-out (which also forgets the example's words, see :func:`leave_one_out`)."""
    matcher = engine.matcher
    out: list[tuple[str, str, str, float]] = []
    for i, (owner, text) in enumerate(zip(matcher.owners, matcher.examples, strict=True)):
        ranking = matcher.rank(normalize(text), exclude=i)
        if ranking and ranking[0].owner != owner:
            own = next((c.score for c in ranking if c.owner == owner), 0.0)
            if ranking[0].score > own:
                out.append((owner, text, ranking[0].owner, ranking[0].score))
    return out


def tfidf_baseline(engine: Engine, dataset: Sequence[Example]) -> tuple[float, float] | None:
    """A TF-IDF character 1-3-gram nearest-neighbour classifier over the same examples (intents and
    out-of-scope groups): (in-scope accuracy, out-of-scope rejection) at its best single threshold.
    Needs scikit-learn (a test extra); None without it."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        return None
    matcher = engine.matcher
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    train = vectorizer.fit_transform([normalize(t) for t in matcher.examples])
    test = vectorizer.transform([normalize(ex.text) for ex in dataset])
    similarity = (test @ train.T).toarray()
    nearest = similarity.argmax(axis=1)
    best: tuple[float, float] = (0.0, 0.0)
    for step in range(0, 100, 2):
        threshold = step / 100
        correct = in_scope = rejected = oos = 0
        for ex, row, j in zip(dataset, similarity, nearest, strict=True):
            owner = matcher.owners[j]
            chosen = None if owner.startswith("oos:") or row[j] < threshold else owner
            if ex.intent is None:
                oos += 1
                rejected += chosen is None
            else:
                in_scope += 1
                correct += chosen == ex.intent
        scores = (correct / in_scope if in_scope else 0.0, rejected / oos if oos else 0.0)
        if sum(scores) > sum(best):
            best = scores
    return best


def format_report(report: EvalReport, show: Callable[[str], None] = print) -> None:
    m = report.metrics
    show(f"in-scope top-1 accuracy   {m.accuracy:7.1%}  ({m.correct}/{m.in_scope})")
    show(f"out-of-scope rejection    {m.rejection:7.1%}  ({m.rejected}/{m.out_of_scope})")
    show(f"day count+platform+stage  {m.day_accuracy:7.1%}  ({m.day_correct}/{m.day_messages})")
    show(f"false day counts          {m.false_day_counts:7d}  (of {m.no_day_messages} messages without one)")
    show(f"leave-one-out (kb)        {report.leave_one_out:7.1%}")
    if report.baseline:
        acc, rej = report.baseline
        show(f"TF-IDF char baseline      {acc:7.1%} accuracy, {rej:.1%} rejection (best threshold)")
    show("")
    show("by style: " + ", ".join(f"{k} {ok}/{n}" for k, (n, ok) in report.by_style.items()))
    show("")
    show(f"{'intent':28} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}")
    for label, (precision, recall, f1, n) in report.per_intent.items():
        show(f"{label:28} {precision:6.2f} {recall:6.2f} {f1:6.2f} {n:4d}")
    show("")
    show("threshold sweep (answered accuracy / in-scope answer rate / out-of-scope rejection):")
    for t, acc, rate, rej in report.sweep:
        show(f"  {t:4.2f}  {acc:6.1%}  {rate:6.1%}  {rej:6.1%}")
    if report.confusion:
        show("")
        show("confusions (expected -> got):")
        for a, b, n in report.confusion:
            show(f"  {n:3d}  {a} -> {b}")
    if report.misses:
        show("")
        show(f"misses ({len(report.misses)}):")
        for ex, p in report.misses:
            show(f"  [{ex.intent or '-'} -> {p.intent or '-'} {p.confidence:.2f}] {ex.text}")
    if report.day_misses:
        show("")
        show(f"day-count misses ({len(report.day_misses)}):")
        for ex, p in report.day_misses:
            expected = f"{ex.days if ex.days is not NOT_GIVEN else None}/{ex.platform}/{ex.stage}"
            show(f"  [want {expected} got {p.days}/{p.platform}/{p.stage}] {ex.text}")
