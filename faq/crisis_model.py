"""A second opinion on despair: a small logistic regression over character n-grams.

The rules of :mod:`faq.crisis` recognise the phrasings someone wrote down; people find others. This model,
trained on the labelled messages of ``tests/data/crisis_dev.yaml`` (crisis = 1; distress, hyperbole,
threats by others and the knowledge base's own questions = 0), scores what the rules did not recognise:

* probability >= ``crisis_at``: crisis help;
* probability >= ``distress_at``: the distress sentence with the help line, then the answer.

Each clause of a message is scored on its own (a long message cannot add up to despair from many small
weights) and the highest score counts. Features are the 1-3 character n-grams of the normalised text
(Simplified, no spaces, present or not). Training is plain full-batch gradient descent in numpy with L2
and despair weighted 3:1, deterministic, run by ``python -m faq.crisis train`` which writes the weights beside
``intents.yaml`` (``crisis_model.json``); the running bot only adds up weights.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NGRAM_SIZES = (1, 2, 3)
#: A clause longer than this is scored in pieces of this many characters (overlapping by half).
CLAUSE_CHARS = 60
#: Weights smaller than this are dropped from the saved model (they change no decision).
MIN_WEIGHT = 0.02
_CLAUSE_BREAK = re.compile(r"[ |]+")


def ngrams(text: str) -> set[str]:
    """The character n-grams of ``text`` (already normalised, without spaces)."""
    return {text[i : i + n] for n in NGRAM_SIZES for i in range(len(text) - n + 1)}


def clauses(text: str) -> list[str]:
    """The pieces a message is scored in: its clauses (split at spaces, i.e. punctuation, and at '|'),
    long ones cut into overlapping windows."""
    pieces: list[str] = []
    for clause in _CLAUSE_BREAK.split(text):
        if len(clause) <= CLAUSE_CHARS:
            if clause:
                pieces.append(clause)
            continue
        step = CLAUSE_CHARS // 2
        pieces += [clause[i : i + CLAUSE_CHARS] for i in range(0, len(clause) - step, step)]
    return pieces


@dataclass(frozen=True)
class CrisisModel:
    bias: float
    weights: Mapping[str, float]
    crisis_at: float = 0.8
    distress_at: float = 0.7

    def probability(self, text: str) -> float:
        """The highest probability of despair over the clauses of ``text`` (normalised: Simplified, lower
        case, punctuation as spaces; '|' marks blanked-out hyperbole)."""
        best = -math.inf
        for clause in clauses(text):
            best = max(best, self.bias + sum(self.weights.get(g, 0.0) for g in ngrams(clause)))
        if best == -math.inf:
            return 0.0
        return 1.0 / (1.0 + math.exp(-max(min(best, 50.0), -50.0)))

    # ------------------------------------------------------------------------------------------- files

    def to_json(self) -> dict[str, object]:
        return {
            "about": "faq/crisis_model.py: logistic regression over character 1-3-grams; retrain with "
            "`python -m faq.crisis train`",
            "crisis_at": self.crisis_at,
            "distress_at": self.distress_at,
            "bias": round(self.bias, 4),
            "weights": {g: round(w, 4) for g, w in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CrisisModel:
        weights = data.get("weights")
        bias = data.get("bias")
        if not isinstance(weights, dict) or not isinstance(bias, int | float):
            raise ValueError("a crisis model needs 'bias' and 'weights'")
        crisis_at = data.get("crisis_at", 0.8)
        distress_at = data.get("distress_at", 0.7)
        if not isinstance(crisis_at, int | float) or not isinstance(distress_at, int | float):
            raise ValueError("'crisis_at' and 'distress_at' must be numbers")
        return cls(
            bias=float(bias),
            weights={str(g): float(w) for g, w in weights.items()},
            crisis_at=float(crisis_at),
            distress_at=float(distress_at),
        )

    @classmethod
    def load(cls, path: str | Path) -> CrisisModel:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def train(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    l2: float = 0.01,
    positive_weight: float = 3.0,
    iterations: int = 400,
    rate: float = 1.0,
    crisis_at: float = 0.8,
    distress_at: float = 0.7,
) -> CrisisModel:
    """Fit the model on normalised ``texts`` (no spaces) with labels 1 (despair) and 0."""
    if len(texts) != len(labels) or not texts:
        raise ValueError("texts and labels must be non-empty and of the same length")
    vocabulary: dict[str, int] = {}
    rows: list[np.ndarray] = []
    for text in texts:
        grams = sorted(ngrams(text))
        rows.append(np.array([vocabulary.setdefault(g, len(vocabulary)) for g in grams], dtype=np.int64))
    y = np.asarray(labels, dtype=np.float64)
    # A fixed weight (not balanced by counts): the model does not drift when the knowledge base grows.
    sample_weight = np.where(y > 0, positive_weight, 1.0)
    lengths = np.array([len(r) for r in rows])
    flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(rows)), lengths)
    w = np.zeros(len(vocabulary))
    b = 0.0
    n = len(y)
    for _ in range(iterations):
        z = np.bincount(owner, weights=w[flat], minlength=n) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        err = (p - y) * sample_weight
        grad = np.bincount(flat, weights=err[owner], minlength=len(w)) / n + l2 * w
        w -= rate * grad
        b -= rate * float(err.mean())
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    weights = {g: float(w[i]) for i, g in enumerate(names) if abs(w[i]) >= MIN_WEIGHT}
    return CrisisModel(bias=b, weights=weights, crisis_at=crisis_at, distress_at=distress_at)
