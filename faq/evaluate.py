"""`faq eval`: measure the engine on a labelled dataset the matcher was not built from.

A dataset is YAML: ``questions: [{text, intent (id or null = out of scope), days?, platform?, stage?:
[min, max|null], style?}]`` (see ``tests/data/README.md``). The report gives top-1 intent accuracy on the
in-scope questions, the out-of-scope rejection rate, per-intent precision / recall / F1, confusion pairs,
every miss, day-count accuracy, a threshold sweep, leave-one-out over the knowledge base's own examples,
and the same figures for two baselines trained on the same examples: a TF-IDF character n-gram nearest
neighbour and the one to beat, a logistic regression over character + word n-gram TF-IDF (scikit-learn,
a test extra). ``label: any`` in a dataset means any in-scope answer is right.
"""

from __future__ import annotations

import json
import warnings
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
#: ``label: any``: the question is in scope and any intent's answer is acceptable.
ANY = "*any*"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str | None
    days: int | None = NOT_GIVEN  # NOT_GIVEN: the dataset says nothing about days
    platform: str | None = None
    stage: tuple[int, int | None] | None = None
    style: str = ""
    #: The intent of a second question the message clearly asks too (``also:``), if any.
    also: str | None = None

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
    #: Every intent answered, in the reply's order (two when the message asks two questions).
    intents: tuple[str, ...] = ()


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
    #: Messages labelled with a second question (``also``), and how many got both answers.
    two_questions: int = 0
    both_answered: int = 0

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
    #: The logistic-regression baseline (see :class:`LogisticBaseline`), None without scikit-learn.
    lr_baseline: BaselineFigures | None = None


@dataclass(frozen=True, slots=True)
class BaselineFigures:
    """A baseline classifier's figures on a dataset: at its own calibrated threshold, at its best
    threshold on the dataset itself (flattering it), and at the threshold that rejects at least as much
    out-of-scope as the engine with the best in-scope accuracy."""

    calibrated: tuple[float, float, float]  # (threshold, in-scope accuracy, rejection)
    best: tuple[float, float, float]
    at_engine_rejection: tuple[float, float, float] | None


#: How :func:`is_answered` scores a message that asks two questions (printed with the figures).
TWO_QUESTION_RULE = (
    "a message with `also` counts as right when its label is answered first, or second right after the `also` "
    "question"
)


def is_answered(example: Example, prediction: Prediction) -> bool:
    """Whether the engine answered ``example`` right. Strict but order-aware for two questions: the
    labelled intent must be answered first, or second right after the labelled second question
    (``also``); a reply that answers only the ``also`` question, or the two in another pairing, is wrong."""
    if example.intent is None or example.intent == ANY:
        return is_right(example.intent, prediction.intent)
    answered = prediction.intents or ((prediction.intent,) if prediction.intent else ())
    if not answered:
        return False
    if answered[0] == example.intent:
        return True
    return example.also is not None and answered[:2] == (example.also, example.intent)


def is_right(expected: str | None, got: str | None) -> bool:
    """Whether a predicted intent is right for an expected label (None = out of scope, ANY = any intent)."""
    if expected == ANY:
        return got is not None
    return expected == got


TEXT_KEYS = ("text", "question", "message", "input", "q")
INTENT_KEYS = ("intent", "expected_intent", "expected", "label")


def load_dataset(path: str | Path) -> list[Example]:
    """Read a dataset: YAML or JSON, a list of rows or ``{questions: [...]}``; the text under ``text``
    (or ``question`` / ``message``), the expected intent under ``intent`` (or ``expected`` / ``label``;
    null, "none" or "out_of_scope" = out of scope); JSON Lines (``.jsonl``) too."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
        if str(path).endswith(".jsonl"):
            doc: Any = [json.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            doc = yaml.safe_load(raw)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: not YAML or JSON Lines: {error}") from None
    if isinstance(doc, dict):
        doc = doc.get("questions") or doc.get("examples") or []
    if not isinstance(doc, list):
        raise ValueError(f"{path}: expected a list of rows (or questions: [...]), found {type(doc).__name__}")
    examples: list[Example] = []
    for row in doc:
        if not isinstance(row, dict):
            raise ValueError(f"{path}: a row that is not a mapping: {row!r}")
        text = next((row[k] for k in TEXT_KEYS if k in row), None)
        if text is None:
            raise ValueError(f"{path}: a row without text: {row!r}")
        intent = next((row[k] for k in INTENT_KEYS if k in row), None)
        if isinstance(intent, str) and intent.lower() in ("", "none", "null", "out_of_scope", "oos"):
            intent = None
        elif isinstance(intent, str) and intent.lower() == "any":
            intent = ANY
        stage = row.get("stage")
        examples.append(
            Example(
                text=str(text),
                intent=intent,
                days=row.get("days", NOT_GIVEN),
                platform=row.get("platform"),
                stage=(stage[0], stage[1]) if stage else None,
                style=str(row.get("style", "")),
                also=row.get("also") or None,
            )
        )
    return examples


def predict(engine: Engine, text: str) -> Prediction:
    reply = engine.reply(text)
    stage = (reply.stage.min_days, reply.stage.max_days) if reply.stage else None
    return Prediction(
        reply.intent, reply.confidence, reply.days, reply.platform, stage, reply.intents or ()
    )


def evaluate(
    engine: Engine,
    dataset: Sequence[Example],
    with_baseline: bool = True,
    lr: LogisticBaseline | None = None,
) -> EvalReport:
    """The engine's figures on ``dataset``; with the TF-IDF nearest-neighbour baseline when
    ``with_baseline``, and the logistic-regression baseline's when ``lr`` (trained once with
    :meth:`LogisticBaseline.train`) is given."""
    metrics = Metrics()
    report = EvalReport(metrics)
    predictions = [predict(engine, ex.text) for ex in dataset]
    styles: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ex, pred in zip(dataset, predictions, strict=True):
        ok = is_answered(ex, pred)
        if ex.also is not None:
            metrics.two_questions += 1
            metrics.both_answered += {ex.intent, ex.also} <= set(pred.intents)
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
            # A dataset that names the expected stage also names the platform id; one that does not (the
            # real queries) writes the lender as the user wrote it, so only the day count is compared.
            day_ok = pred.days == ex.days and (
                ex.stage is None or (pred.platform == ex.platform and pred.stage == ex.stage)
            )
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
    report.leave_one_out = leave_one_out(engine)  # the knowledge base's figure, the same for every set
    if with_baseline:
        report.baseline = tfidf_baseline(engine, dataset)
    if lr is not None:
        report.lr_baseline = lr.figures(dataset, engine_rejection=metrics.rejection)
    return report


def _per_intent(
    dataset: Sequence[Example], predictions: Sequence[Prediction]
) -> dict[str, tuple[float, float, float, int]]:
    labels = sorted(
        {ex.intent for ex in dataset if ex.intent and ex.intent != ANY}
        | {p.intent for p in predictions if p.intent}
    )
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
        if not is_answered(ex, p)
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
                    correct += is_right(ex.intent, chosen)
        rows.append(
            (
                config.threshold,
                correct / answered if answered else 0.0,
                answered / in_scope if in_scope else 0.0,
                rejected / oos if oos else 0.0,
            )
        )
    return rows


def leave_one_out(engine: Engine, rebuild: bool = False) -> float:
    """Top-1 accuracy over the knowledge base's own examples, each matched as an unseen message: taken
    out of the nearest-example search, out of its owner's vocabulary and out of the n-gram counts (the
    rows the combiner is trained on), in a few seconds. ``rebuild``: each matched by an index rebuilt
    without it (the IDF recomputed too), a few minutes; on the shipped knowledge base (1,990 examples)
    the two differ by 0.2 points (87.6 % rebuilt, 87.8 % not)."""
    matcher = engine.matcher
    total = correct = 0
    for i, (owner, text) in enumerate(zip(matcher.owners, matcher.examples, strict=True)):
        if rebuild:
            ranking = matcher.without(i).rank(normalize(text))
        else:
            ranking = matcher.rank(normalize(text), exclude=i, forget_words=True)
        if ranking:
            total += 1
            correct += ranking[0].owner == owner
    return correct / total if total else 0.0


MISPLACED_MARGIN = 0.2


def misplaced_examples(engine: Engine) -> list[tuple[str, str, str, float]]:
    """Examples that clearly match another intent better than their own: each example is matched with
    itself taken out of the nearest-example search (its intent keeps the words it brings), and reported
    when another intent or out-of-scope group is then probable (>= 0.5) and more probable than its own by
    MISPLACED_MARGIN: (own intent, example, better, its probability).
    A stricter test than a plain lookup (which always finds the example itself) and a milder one than
    leave-one-out (which also forgets the example's words, see :func:`leave_one_out`)."""
    matcher = engine.matcher
    out: list[tuple[str, str, str, float]] = []
    for i, (owner, text) in enumerate(zip(matcher.owners, matcher.examples, strict=True)):
        ranking = matcher.rank(normalize(text), exclude=i, forget_words=False)
        if ranking and ranking[0].owner != owner:
            own = next((c.score for c in ranking if c.owner == owner), 0.0)
            if ranking[0].score >= 0.5 and ranking[0].score > own + MISPLACED_MARGIN:
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
                correct += is_right(ex.intent, chosen)
        scores = (correct / in_scope if in_scope else 0.0, rejected / oos if oos else 0.0)
        if sum(scores) > sum(best):
            best = scores
    return best


class LogisticBaseline:
    """The baseline to beat: a logistic regression over TF-IDF character 1-3-grams and word 1-2-grams
    (jieba's plain segmentation, none of the analyser's repairs), trained on the same examples as the
    engine (intents and out-of-scope groups as classes). A message is rejected when an out-of-scope
    class wins or the top probability is below a threshold, calibrated like the engine's: the one that
    maximises in-scope accuracy + out-of-scope rejection over cross-validated predictions of the
    knowledge base's own examples."""

    FOLDS = 10

    def __init__(self, engine: Engine, model: Any, threshold: float, cross_validated_accuracy: float) -> None:
        self.engine = engine
        self.model = model
        self.threshold = threshold
        #: Top-1 accuracy over the knowledge base's own examples, each predicted without its fold.
        self.cross_validated_accuracy = cross_validated_accuracy

    @staticmethod
    def _pipeline(engine: Engine) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        tokenizer = engine.analyzer.tokenizer

        def words(text: str) -> list[str]:
            return [w for w in tokenizer.lcut(text, HMM=False) if w.strip()]

        features = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
            TfidfVectorizer(analyzer=words, sublinear_tf=True),
            TfidfVectorizer(
                tokenizer=words, token_pattern=None, lowercase=False, ngram_range=(2, 2), sublinear_tf=True
            ),
        )
        return make_pipeline(features, LogisticRegression(C=10.0, max_iter=2000))

    @classmethod
    def train(cls, engine: Engine) -> LogisticBaseline | None:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            return None
        texts, labels = cls.examples(engine)
        model = cls._pipeline(engine).fit(texts, labels)
        predicted = cls.cross_validated(engine)
        threshold = max(
            (step / 100 for step in range(0, 100, 2)),
            key=lambda t: sum(_figures(labels, predicted, t)),
        )
        accuracy = sum(label == got for label, (got, _) in zip(labels, predicted, strict=True)) / max(
            1, len(labels)
        )
        return cls(engine, model, threshold, accuracy)

    @staticmethod
    def examples(engine: Engine) -> tuple[list[str], list[str]]:
        matcher = engine.matcher
        return [normalize(t) for t in matcher.examples], list(matcher.owners)

    @classmethod
    def cross_validated(cls, engine: Engine) -> list[tuple[str, float]]:
        """(predicted class, its probability) for every example, from a model trained without its fold
        (stratified, FOLDS folds; full leave-one-out would fit one model per example)."""
        import numpy as np
        from sklearn.model_selection import StratifiedKFold

        texts, labels = cls.examples(engine)
        out: list[tuple[str, float]] = [("", 0.0)] * len(texts)
        folds = StratifiedKFold(n_splits=cls.FOLDS, shuffle=True, random_state=0)
        x = np.array(texts, dtype=object)
        y = np.array(labels, dtype=object)
        with warnings.catch_warnings():  # classes with fewer examples than folds are fine
            warnings.simplefilter("ignore", UserWarning)
            splits = list(folds.split(x, y))
        for train_ids, test_ids in splits:
            model = cls._pipeline(engine).fit(list(x[train_ids]), list(y[train_ids]))
            proba = model.predict_proba(list(x[test_ids]))
            for i, row in zip(test_ids, proba, strict=True):
                k = int(row.argmax())
                out[int(i)] = (str(model.classes_[k]), float(row[k]))
        return out

    def predict(self, texts: Sequence[str], threshold: float | None = None) -> list[tuple[str, float]]:
        proba = self.model.predict_proba([normalize(t) for t in texts])
        classes = self.model.classes_
        return [(str(classes[int(row.argmax())]), float(row.max())) for row in proba]

    def figures(self, dataset: Sequence[Example], engine_rejection: float) -> BaselineFigures:
        predicted = self.predict([ex.text for ex in dataset])
        expected = [ex.intent if ex.intent is not None else "oos:" for ex in dataset]
        rows = [(t / 100, *_figures(expected, predicted, t / 100)) for t in range(0, 100, 2)]
        best = max(rows, key=lambda r: r[1] + r[2])
        fair = [r for r in rows if r[2] >= engine_rejection - 1e-9]
        return BaselineFigures(
            calibrated=(self.threshold, *_figures(expected, predicted, self.threshold)),
            best=best,
            at_engine_rejection=max(fair, key=lambda r: (r[1], r[2])) if fair else None,
        )


def _figures(
    expected: Sequence[str], predicted: Sequence[tuple[str, float]], threshold: float
) -> tuple[float, float]:
    """(in-scope accuracy, out-of-scope rejection) of (class, probability) predictions at a threshold;
    expected labels starting with "oos:" are out of scope."""
    correct = in_scope = rejected = oos = 0
    for label, (got, p) in zip(expected, predicted, strict=True):
        chosen = None if got.startswith("oos:") or p < threshold else got
        if label.startswith("oos:"):
            oos += 1
            rejected += chosen is None
        else:
            in_scope += 1
            correct += is_right(label, chosen)
    return (correct / in_scope if in_scope else 0.0, rejected / oos if oos else 0.0)


def default_datasets() -> list[Path]:
    """The project's dev sets and the real borrower queries (``../shared/data/real_queries_dev.yaml``
    beside the checkout, or ``FAQ_REAL_QUERIES``) when present."""
    import os

    root = Path(__file__).resolve().parent.parent
    paths = sorted((root / "tests" / "data").glob("dev*.yaml"))
    candidates = [os.environ.get("FAQ_REAL_QUERIES", "")]
    candidates += [str(parent / "shared" / "data" / "real_queries_dev.yaml") for parent in root.parents]
    real = next((Path(c) for c in candidates if c and Path(c).is_file()), None)
    return [*paths, *([real] if real else [])]


def format_summary(
    engine: Engine,
    reports: Sequence[tuple[Path, EvalReport]],
    lr: LogisticBaseline | None = None,
    show: Callable[[str], None] = print,
) -> None:
    """One line per dataset: the engine's figures beside the logistic-regression baseline's, then
    leave-one-out over the knowledge base for both."""
    show(
        f"{'dataset':28} {'n':>4} {'engine in-scope':>15} {'rejection':>9} {'LR in-scope':>11} {'rejection':>9} {'LR @ engine rej.':>16}"
    )
    for path, report in reports:
        m = report.metrics
        figures = report.lr_baseline
        cal = (
            f"{figures.calibrated[1]:11.1%} {figures.calibrated[2]:9.1%}"
            if figures
            else f"{'-':>11} {'-':>9}"
        )
        fair = figures.at_engine_rejection if figures else None
        at = f"{fair[1]:7.1%}/{fair[2]:7.1%}" if fair else f"{'-':>16}"
        show(
            f"{path.name:28} {m.in_scope + m.out_of_scope:4d} {m.accuracy:15.1%} {m.rejection:9.1%} {cal} {at:>16}"
        )
    pairs = sum(r.metrics.two_questions for _, r in reports)
    if pairs:
        both = sum(r.metrics.both_answered for _, r in reports)
        show(
            f"two questions: {both} of {pairs} labelled pairs got both answers; {TWO_QUESTION_RULE}"
        )
    loo = reports[0][1].leave_one_out if reports else leave_one_out(engine)
    show(f"leave-one-out over the knowledge base's examples: engine {loo:.1%}")
    model = engine.matcher.model
    accepted, rejected, held = model.calibration
    show(
        f"engine threshold {engine.matcher.threshold:.2f}, calibrated on {int(held)} held-out predictions of the "
        f"knowledge base (each example left out, each out-of-scope group held out whole): "
        f"{accepted:.1%} of in-scope examples answered right, {rejected:.1%} of out-of-scope ones refused"
    )
    if lr is not None:
        show(
            f"LR baseline over the same examples, {LogisticBaseline.FOLDS}-fold cross-validated: "
            f"{lr.cross_validated_accuracy:.1%} (threshold {lr.threshold:.2f}, calibrated on those predictions)"
        )


def format_report(report: EvalReport, show: Callable[[str], None] = print) -> None:
    m = report.metrics
    show(f"in-scope top-1 accuracy   {m.accuracy:7.1%}  ({m.correct}/{m.in_scope})")
    show(f"out-of-scope rejection    {m.rejection:7.1%}  ({m.rejected}/{m.out_of_scope})")
    show(f"day count+platform+stage  {m.day_accuracy:7.1%}  ({m.day_correct}/{m.day_messages})")
    show(f"false day counts          {m.false_day_counts:7d}  (of {m.no_day_messages} messages without one)")
    if m.two_questions:
        show(
            f"two questions             {m.both_answered:7d}  of {m.two_questions} got both answers "
            f"({TWO_QUESTION_RULE})"
        )
    show(f"leave-one-out (kb)        {report.leave_one_out:7.1%}")
    if report.baseline:
        acc, rej = report.baseline
        show(f"TF-IDF char baseline      {acc:7.1%} accuracy, {rej:.1%} rejection (best threshold)")
    if report.lr_baseline:
        lr = report.lr_baseline
        for name, row in (
            ("calibrated", lr.calibrated),
            ("best on this set", lr.best),
            ("at >= engine's rejection", lr.at_engine_rejection),
        ):
            if row is not None:
                show(
                    f"LR baseline, {name:24} {row[1]:6.1%} accuracy, {row[2]:.1%} rejection (threshold {row[0]:.2f})"
                )
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
