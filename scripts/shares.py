"""Where a reply's CPU time goes: named steps timed inside the real pipeline, over the bench's warm batch.

    python scripts/shares.py                      # the shipped knowledge base, the default steps
    python scripts/shares.py --kb FILE            # another one (its messages drawn from it as the bench does)
    python scripts/shares.py faq.analyze:Analyzer.tokens_of_stripped faq.matcher:_gather ...

cProfile charges every Python call it sees (a message's few thousand calls cost it ~40 % more than they
take), and a hot loop over one function runs it with warm caches (a step often costs half what it costs
between the other steps of a reply). Here each step named ``module:Class.method`` (or ``module:function``)
is wrapped where it is defined and timed in this thread's CPU time, inclusive of what it calls, while the
engine answers the batch once, as the bench does (after the same 50 warm-up messages, so that per-character
and per-window caches are as cold as in the bench). A step called inside another is counted in both. The
wrappers cost ~0.5 us a call. A function imported by name into another module (``from x import f``) is not
seen through that name: name the method or the module that calls it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STEPS = (
    "faq.engine:Engine.understand",
    "faq.crisis:CrisisDetector.detect",
    "faq.crisis_model:CrisisModel.scores",
    "faq.matcher:Matcher.match",
    "faq.matcher:Matcher.features",
    "faq.ngrams:NgramModel.vector",
    "faq.ngrams:NgramModel.posterior",
    "faq.matcher:_gather",
    "faq.matcher:Matcher._ranking",
    "faq.analyze:Analyzer.tokens_of_stripped",
    "faq.analyze:Analyzer._repair_homophones",
    "faq.engine:Engine._deliver",
)


def _wrap(spec: str, spent: dict[str, float], calls: dict[str, int]) -> None:
    """Replace the step ``spec`` where it is defined by a wrapper that adds its CPU time to ``spent`` and counts
    its calls in ``calls``."""
    module_name, _, path = spec.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    inner: Callable[..., Any] = getattr(owner, name)
    spent[spec] = 0.0
    calls[spec] = 0

    def timed(*args: Any, **kwargs: Any) -> Any:
        calls[spec] += 1
        start = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[spec] += time.thread_time() - start

    setattr(owner, name, timed)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("steps", nargs="*", help="module:Class.method or module:function (default: the main steps)")
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from faq import bench
    from faq.engine import Engine

    engine = Engine.load(args.kb)
    engine.reply("逾期3天会怎样")
    texts = bench.batch_messages(engine, args.messages)
    for text in texts[:50]:  # warm, as the bench does
        engine.reply(text)
    spent: dict[str, float] = {}
    calls: dict[str, int] = {}
    for spec in args.steps or STEPS:
        _wrap(spec, spent, calls)
    start = time.thread_time()
    for text in texts:
        engine.reply(text)
    total = time.thread_time() - start
    print(
        f"{len(engine.matcher.examples)} examples, {len(texts)} messages: "
        f"{total / len(texts) * 1e6:.0f} us per reply (with the wrappers)"
    )
    for spec, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(
            f"{spec:55s} {seconds / len(texts) * 1e6:8.1f} us per message {seconds / total * 100:6.1f} %"
            f" {calls[spec] / len(texts):6.2f} calls"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
