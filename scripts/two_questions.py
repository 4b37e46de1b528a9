"""Two questions in one message, measured per dataset: how many labelled pairs get both answers, and how many
messages that ask ONE question get a second answer all the same (a spurious second topic).

    .venv/bin/python scripts/two_questions.py                 # every dev set (tests/data, ../shared)
    .venv/bin/python scripts/two_questions.py path/to/set.yaml  # any set in `faq eval`'s format
    .venv/bin/python scripts/two_questions.py --misses         # also list what went wrong, message by message

A dataset marks a message's second question with ``also`` (the label is the first question). Per dataset:

- ``pairs``: messages with ``also``; ``both``: the reply answers both intents (in either order); ``order``:
  both, the label's first (or the ``also`` first, right before the label: the order `faq eval` accepts);
- ``single``: in-scope messages without ``also``; ``spurious``: of those, replies that add a second answer;
  ``oos 2nd``: out-of-scope messages given two answers;
- ``first``: `faq eval`'s in-scope figure (the label answered, see faq.evaluate.is_answered), ``rej.``: its
  out-of-scope rejection, so that a change for pairs can be seen not to cost single questions;
- ``chars``: the median length of the reply's text for the replies with two answers (what the reader sees
  first, before "详细说明").

Crisis files are left out (a crisis reply is support only). Prints no message text unless ``--misses``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faq.engine import Engine  # noqa: E402
from faq.evaluate import ANY, Example, Prediction, is_answered, load_dataset  # noqa: E402
from faq.reply import Reply  # noqa: E402


@dataclass
class Figures:
    pairs: int = 0
    both: int = 0
    ordered: int = 0
    single: int = 0
    spurious: int = 0
    oos: int = 0
    oos_second: int = 0
    in_scope: int = 0
    first_right: int = 0
    rejected: int = 0
    lengths: list[int] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("pairs", "both", "ordered", "single", "spurious", "oos", "oos_second", "in_scope"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.first_right += other.first_right
        self.rejected += other.rejected
        self.lengths += other.lengths


def dev_sets() -> list[Path]:
    """Every dev set: tests/data/*.yaml but the crisis files, and ../shared/data/real_queries_dev.yaml."""
    paths = sorted(p for p in (ROOT / "tests" / "data").glob("*.yaml") if not p.name.startswith("crisis"))
    real = (parent / "shared" / "data" / "real_queries_dev.yaml" for parent in ROOT.parents)
    return paths + [p for p in real if p.is_file()][:1]


def answered(reply: Reply) -> tuple[str, ...]:
    return reply.intents or ((reply.intent,) if reply.intent else ())


def measure(engine: Engine, dataset: Sequence[Example]) -> Figures:
    f = Figures()
    for ex in dataset:
        reply = engine.reply(ex.text)
        got = answered(reply)
        pred = Prediction(reply.intent, reply.confidence, reply.days, reply.platform, None, got)
        if len(got) >= 2:
            f.lengths.append(len(reply.text))
        if ex.intent is None:
            f.oos += 1
            f.rejected += is_answered(ex, pred)
            f.oos_second += len(got) >= 2
            continue
        f.in_scope += 1
        f.first_right += is_answered(ex, pred)
        if ex.also is not None:
            f.pairs += 1
            both = {ex.intent, ex.also} <= set(got)
            f.both += both
            f.ordered += both and is_answered(ex, pred)
            if not both:
                f.misses.append(f"pair   want {ex.intent}+{ex.also}  got {'+'.join(got) or '-'}  {ex.text}")
        elif ex.intent != ANY:
            f.single += 1
            if len(got) >= 2:
                f.spurious += 1
                f.misses.append(f"single want {ex.intent}  got {'+'.join(got)}  {ex.text}")
    return f


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "    -"


def row(name: str, f: Figures) -> str:
    chars = f"{statistics.median(f.lengths):5.0f}" if f.lengths else "    -"
    return (
        f"{name:26} {f.both:4d}/{f.pairs:<4d} {f.ordered:5d} {f.spurious:4d}/{f.single:<4d} {f.oos_second:4d}/{f.oos:<3d}"
        f" {_pct(f.first_right, f.in_scope)} {_pct(f.rejected, f.oos)} {chars}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="*", type=Path, help="datasets (default: every dev set)")
    parser.add_argument("--misses", action="store_true", help="list pairs not both answered and spurious seconds")
    args = parser.parse_args(argv)
    engine = Engine.load()
    paths = args.datasets or dev_sets()
    print(f"{'dataset':26} {'both/pairs':>9} {'order':>5} {'spurious/single':>15} {'oos 2nd':>8} {'first':>6} {'rej.':>6} {'chars':>5}")
    total = Figures()
    for path in paths:
        f = measure(engine, load_dataset(path))
        total.add(f)
        print(row(path.stem, f))
        if args.misses:
            for line in f.misses:
                print("    " + line)
    print(row("all", total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
