"""How steady the matcher's calibration is: retrain on perturbed copies of the knowledge base.

    PYTHONHASHSEED=0 FAQ_CACHE_DIR=off .venv/bin/python scripts/calibration.py [--runs 8] [--drop 0.05]
        [--eval] [--datasets ...]

Each run drops a random share (``--drop``) of every intent's and out-of-scope group's examples (a
different random choice per run, at least two kept per owner), builds an engine on what is left (the
scorer trained, never read from a file or a cache) and prints the calibrated threshold, the calibration
figures and how far the weights moved from the full knowledge base's. Run 0 is the full knowledge base.
With ``--eval`` each run is also measured on the dev sets (the engine's in-scope accuracy and rejection,
and on every set the logistic-regression baseline, trained once on the full knowledge base, at the
engine's rejection). The spread (min-max, standard deviation) of each figure follows. Only the knowledge
base's own examples are perturbed; nothing is tuned here.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faq.engine import DEFAULT_KB_PATH, Engine  # noqa: E402
from faq.evaluate import LogisticBaseline, default_datasets, evaluate, load_dataset  # noqa: E402
from faq.kb import KnowledgeBase, load_knowledge_base  # noqa: E402


def perturbed(kb: KnowledgeBase, seed: int, drop: float) -> KnowledgeBase:
    """``kb`` less a random ``drop`` share of each owner's examples (at least two kept per owner)."""
    rng = random.Random(seed)

    def keep(questions: tuple[str, ...]) -> tuple[str, ...]:
        kept = tuple(q for q in questions if rng.random() >= drop)
        return kept if len(kept) >= 2 else questions[:2]

    intents = tuple(dataclasses.replace(i, questions=keep(i.questions)) for i in kb.intents)
    groups = tuple(dataclasses.replace(g, questions=keep(g.questions)) for g in kb.out_of_scope)
    return dataclasses.replace(kb, intents=intents, out_of_scope=groups, _by_id={})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=8, help="perturbed runs besides the full knowledge base")
    parser.add_argument("--drop", type=float, default=0.05)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--eval", action="store_true", help="measure every run on the dev sets")
    parser.add_argument("--datasets", type=Path, nargs="*", default=None)
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB_PATH)
    args = parser.parse_args()
    if os.environ.get("FAQ_CACHE_DIR") != "off":
        print("run with FAQ_CACHE_DIR=off (a perturbed knowledge base must be trained)", file=sys.stderr)
        return 2
    kb = load_knowledge_base(args.kb)
    paths = args.datasets if args.datasets is not None else default_datasets()
    datasets = [(p.name, load_dataset(p)) for p in paths] if args.eval else []
    lr = None
    rows: list[dict[str, float]] = []
    reference: np.ndarray | None = None
    seeds = [0, *range(args.first_seed, args.first_seed + args.runs)]
    for seed in seeds:
        started = time.process_time()
        engine = Engine(kb if seed == 0 else perturbed(kb, seed, args.drop))
        if seed == 0 and args.eval:
            lr = LogisticBaseline.train(engine)
        model = engine.matcher.model
        weights = np.array(model.weights)
        if reference is None:
            reference = weights
        accuracy, rejection, held = model.calibration
        row = {
            "threshold": model.threshold,
            "cal. acc": accuracy,
            "cal. rej": rejection,
            "held": held,
            "|dw|": float(np.abs(weights - reference).max()),
        }
        for name, dataset in datasets:
            report = evaluate(engine, dataset, with_baseline=False, lr=None)
            m = report.metrics
            short = name.removesuffix(".yaml")
            row[f"{short} in"] = m.accuracy
            row[f"{short} rej"] = m.rejection
            if lr is not None and m.out_of_scope:
                fair = lr.figures(dataset, engine_rejection=m.rejection).at_engine_rejection
                row[f"{short} lead"] = m.accuracy - fair[1] if fair else float("nan")
        row["cpu s"] = time.process_time() - started
        rows.append(row)
        print(f"run {seed:2d}: " + "  ".join(f"{k} {_show(k, v)}" for k, v in row.items()), flush=True)
    if len(rows) > 2:
        print("spread over the perturbed runs (min .. max, sd):")
        for key in rows[0]:
            values = [r[key] for r in rows[1:] if key in r]
            print(
                f"  {key:28} {_show(key, min(values))} .. {_show(key, max(values))}  "
                f"sd {statistics.pstdev(values):.4f}  (full: {_show(key, rows[0][key])})"
            )
    return 0


def _show(key: str, value: float) -> str:
    if key in ("held",):
        return f"{int(value)}"
    if key in ("threshold", "|dw|", "cpu s"):
        return f"{value:.3f}"
    return f"{value:.1%}"


if __name__ == "__main__":
    raise SystemExit(main())
