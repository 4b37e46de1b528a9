"""The matcher's trained scorer, shipped beside the knowledge base so that a fresh checkout need not train it.

Training the scorer (:meth:`faq.matcher.Matcher.train`: ~2,940 held-out examples scored as messages, a
logistic regression, the threshold's calibration) costs more than the rest of a first start at the shipped
size (~1.2 s of CPU; ~0.35 s when it read a sample of 900 examples). What it produces is 13 weights, a threshold and three calibration figures: that is kept in
``<knowledge base>.scorer.json`` (``intents.scorer.json`` beside ``intents.yaml``), written by
``python -m faq train``, with the key of everything training read (:meth:`Matcher.scorer_key`: the model's
version and settings, each example's owner, tokens and n-gram text, the keywords, the domain words).

A start uses the file only when its key is the key of the knowledge base being loaded; otherwise (a
maintainer's edit, a new analyser, another knowledge base) the scorer is trained as before (and kept in the
on-disk cache, :mod:`faq.cache`). A missing, unreadable or foreign file is the same as a stale one: never an
error. ``tests/test_scorer_file.py`` checks that the shipped file matches ``intents.yaml`` and that training
again gives the same weights and threshold; ``python -m faq check`` warns when it is stale.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

#: The file's format (part of what it must say to be read).
FORMAT = "loan-faq-bot scorer 1"


def path_for(kb_path: str | Path) -> Path:
    """Where the scorer of the knowledge base at ``kb_path`` is shipped: ``intents.yaml`` ->
    ``intents.scorer.json`` in the same folder."""
    kb_path = Path(kb_path)
    return kb_path.with_name(f"{kb_path.stem}.scorer.json")


def read(path: Path | None, key: str, features: int) -> tuple[tuple[float, ...], float, tuple[float, float, int]] | None:
    """(weights, threshold, calibration) kept in ``path`` for ``key``, or None: no file, another key, or
    anything unexpected in it (then the caller trains)."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
        return None
    try:
        weights = tuple(float(w) for w in data["weights"])
        threshold = float(data["threshold"])
        accuracy, rejection, count = data["calibration"]
        calibration = (float(accuracy), float(rejection), int(count))
    except (KeyError, TypeError, ValueError):
        return None
    if len(weights) != features or not all(math.isfinite(w) for w in (*weights, threshold)):
        return None
    return weights, threshold, calibration


def write(
    path: Path, key: str, weights: tuple[float, ...], threshold: float, calibration: tuple[float, float, int]
) -> None:
    """Save a trained scorer (floats as JSON writes them: read back bit for bit)."""
    data: dict[str, Any] = {
        "about": "faq/scorer_file.py: the matcher's trained scorer for the knowledge base beside it; "
        "used only while 'key' is that knowledge base's (else trained at start); rebuild with "
        "`python -m faq train`",
        "format": FORMAT,
        "key": key,
        "weights": list(weights),
        "threshold": threshold,
        "calibration": list(calibration),
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
