"""Day counts per dev set: how many labelled counts the engine reads right, how many false counts it reads
(a count where the label is null or absent), and every miss of both kinds.

    .venv/bin/python scripts/day_misses.py                 # every dev set and the real queries
    .venv/bin/python scripts/day_misses.py --quiet         # the figures only
    .venv/bin/python scripts/day_misses.py --parse-only    # days.parse_days alone, without the engine (seconds)
    .venv/bin/python scripts/day_misses.py tests/data/everyday_holdout15c.yaml

Only the day count is compared (``faq eval`` also compares the platform and the stage). A false count makes
the bot give a stage reply to a reader who is not overdue. ``days.parse_days`` of the whole message is shown
beside the engine's figure: when they differ, the engine read the count from a part of the message.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from faq.days import parse_days
from faq.engine import Engine
from faq.evaluate import NOT_GIVEN, Example, default_datasets, load_dataset, predict

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class DayFigures:
    labelled: int = 0
    right: int = 0
    unlabelled: int = 0
    false_counts: int = 0
    misses: list[str] = field(default_factory=list)


def every_dev_set() -> list[Path]:
    data = ROOT / "tests" / "data"
    sets = [data / "dev.yaml", data / "dev2.yaml"]
    sets += sorted(p for p in data.glob("*holdout*.yaml") if not p.name.startswith("crisis"))
    real = [p for p in default_datasets() if not p.name.startswith("dev")]
    return sets + real


def measure(engine: Engine | None, dataset: list[Example]) -> DayFigures:
    """The figures of one dataset: the engine's reply's day count, or ``parse_days`` alone when ``engine`` is None."""
    figures = DayFigures()
    # A set whose rows never carry a day label (search_holdout2/3) says nothing about day counts either way.
    labelled_set = any(ex.days is not NOT_GIVEN for ex in dataset)
    for ex in dataset:
        parsed = parse_days(ex.text)
        raw = None if parsed is None else parsed.days
        got = predict(engine, ex.text).days if engine is not None else raw
        label = None if ex.days is NOT_GIVEN else ex.days
        shown = ex.text.replace("\n", " / ")
        if label is None:
            if not labelled_set and ex.days is NOT_GIVEN:
                continue
            figures.unlabelled += 1
            if got is not None:
                figures.false_counts += 1
                figures.misses.append(f"  FALSE  got {got} (parse {raw}): {shown}")
        else:
            figures.labelled += 1
            if got == label:
                figures.right += 1
            else:
                figures.misses.append(f"  MISS   want {label} got {got} (parse {raw}): {shown}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path)
    parser.add_argument("--quiet", action="store_true", help="the figures only, no misses")
    parser.add_argument("--parse-only", action="store_true", help="days.parse_days of the whole message (fast)")
    args = parser.parse_args(argv)
    engine = None if args.parse_only else Engine.load()
    total = DayFigures()
    for path in args.datasets or every_dev_set():
        figures = measure(engine, load_dataset(path))
        total.labelled += figures.labelled
        total.right += figures.right
        total.unlabelled += figures.unlabelled
        total.false_counts += figures.false_counts
        print(
            f"{path.name:28} day counts right {figures.right:3d}/{figures.labelled:<3d} "
            f"false day counts {figures.false_counts:2d}/{figures.unlabelled}"
        )
        if not args.quiet:
            for line in figures.misses:
                print(line)
    print(
        f"{'all':28} day counts right {total.right:3d}/{total.labelled:<3d} "
        f"false day counts {total.false_counts:2d}/{total.unlabelled}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
