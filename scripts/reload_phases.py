"""Where the memory of a /reload after an edit goes, step by step (Linux only).

    python scripts/reload_phases.py [--examples 50000] [--messages 2000]

As `faq bench` does for its "/reload after an edit": an engine serves (a synthetic knowledge base of
``--examples`` examples, written with the crisis model into a temporary folder, its cache filled by a first
start), answers the bench's warm batch, is reloaded once from the cache, then a second engine is built beside
it from a copy with one example added (nothing cached). Each step of that build prints its RSS on entry, its
peak and its RSS on exit (MB), and its CPU time. The peaks are exact, not sampled: at every step's entry and
exit the kernel's high-water mark is read (``VmHWM``) and reset (``/proc/self/clear_refs``), so a step's peak
is the highest RSS reached while it ran, its inner steps included. Steps are indented under the step that
calls them, listed in the order they end. Nothing is written to the working tree.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's faq, not the installed one

from faq import analyze, bench, engine, matcher, memory, ngrams
from faq.engine import DEFAULT_KB_PATH, Engine


def _status(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


class Phases:
    def __init__(self) -> None:
        self.active = False
        self.open: list[list[Any]] = []  # [name, RSS at entry, peak]
        self.rows: list[tuple[int, str, float, float, float, float]] = []

    def _boundary(self) -> None:
        high = _status("VmHWM")
        for frame in self.open:
            frame[2] = max(frame[2], high)
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")  # resets VmHWM to the current RSS

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        raw = owner.__dict__[attribute]
        kind = type(raw) if isinstance(raw, (classmethod, staticmethod)) else None
        function: Callable[..., Any] = raw.__func__ if kind else raw

        @functools.wraps(function)
        def measured(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return function(*args, **kwargs)
            self._boundary()
            frame = [name, _status("VmRSS"), 0.0]
            self.open.append(frame)
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._boundary()
                self.open.pop()
                self.rows.append((len(self.open), name, frame[1], frame[2], _status("VmRSS"), time.process_time() - started))

        setattr(owner, attribute, kind(measured) if kind else measured)

    def start(self) -> None:
        self.active = True
        self._boundary()

    def print(self) -> None:
        print(f"{'step':40} {'entry':>7} {'peak':>7} {'exit':>7} {'cpu':>7}")
        for depth, name, entry, peak, out, cpu in self.rows:
            print(f"{'  ' * depth + name:40} {entry:7.1f} {peak:7.1f} {out:7.1f} {cpu:6.2f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    phases = Phases()
    for owner, attribute in [
        (engine, "load_knowledge_base"),
        (engine.Engine, "__init__"),
        (analyze.Analyzer, "__init__"),
        (analyze.Analyzer, "tokens_of_all"),
        (matcher.Matcher, "from_kb"),
        (matcher.Matcher, "__init__"),
        (matcher.Matcher, "_ngram_model"),
        (matcher.Matcher, "_trained_model"),
        (matcher._Postings, "of"),
        (ngrams.NgramModel, "__init__"),
        (ngrams, "_counted"),
        (ngrams.NgramModel, "_postings"),
        (memory, "release"),
    ]:
        phases.wrap(owner, attribute, getattr(owner, "__name__", type(owner).__name__).rsplit(".", 1)[-1] + "." + attribute)
    with tempfile.TemporaryDirectory(prefix="reload-phases-") as cache_dir:
        os.environ["FAQ_CACHE_DIR"] = cache_dir
        doc = yaml.safe_load(DEFAULT_KB_PATH.read_text(encoding="utf-8"))
        with bench.workspace(DEFAULT_KB_PATH, bench.read_beside(doc)) as folder:
            del doc
            kb = bench.synthetic_kb(DEFAULT_KB_PATH, args.examples, folder)
            memory.release()
            serving = Engine.load(kb)  # (the cache filled: the serving engine's start is a cached one after this)
            del serving
            memory.release()
            serving = Engine.load(kb)
            serving.reply("逾期3天会怎样")
            for text in bench.batch_messages(serving, args.messages):
                serving.reply(text)
            reloaded = Engine.load(kb)
            reloaded.reply("逾期3天会怎样")
            del reloaded
            memory.release()
            edited = bench.edited_kb(kb, folder, "吧")
            print(f"serving {serving.kb.example_count} examples: {_status('VmRSS'):.1f} MB before the /reload after an edit")
            phases.start()
            rebuilt = Engine.load(edited)
            rebuilt.reply("逾期3天会怎样")
            phases.active = False
    phases.print()
    print(f"both engines alive: {_status('VmRSS'):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
