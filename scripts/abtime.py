"""Compare the CPU per reply of two versions of the engine in one process, on the same messages, paired.

    python scripts/abtime.py BASE_COMMIT [--messages 2000] [--passes 2] [--kb FILE]

On a machine other processes load, two timings taken one after the other differ by 10 % or more (the load
changes, and so do the caches it leaves), which hides any change smaller than that. Here the engine of
``BASE_COMMIT`` (exported with ``git archive`` to a temporary directory and imported under another package
name) and the engine of the working tree answer the same fixed list of messages (the bench's warm batch) in
blocks of 50, each block by one engine then the other, the order swapped from block to block; each reply is
timed in this thread's CPU time. Printed per pass: each engine's median and mean, and the median of the
per-message ratios (working tree / base), which a slow minute of the machine moves for both alike.

Both engines load their knowledge base as ``Engine.load()`` does (the base's own ``intents.yaml`` and crisis
model), or both the same ``--kb`` file (a larger knowledge base, its messages drawn from it as the bench draws
them); their caches are separate (module-level caches are per package), so neither reads what the other
computed. Nothing is written to the working tree.
"""

from __future__ import annotations

import argparse
import importlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 50


def _base_package(commit: str, into: Path) -> str:
    """Export ``commit`` into ``into`` and copy its ``faq`` package as ``faqbase`` (imports rewritten)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    source, target = into / "faq", into / "faqbase"
    target.mkdir()
    for path in source.rglob("*"):
        out = target / path.relative_to(source)
        if path.is_dir():
            out.mkdir(exist_ok=True)
        elif path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            text = re.sub(r"\bfrom faq\b", "from faqbase", text)
            text = re.sub(r"\bimport faq\b", "import faqbase", text)
            out.write_text(re.sub(r"\bfaq\.([a-z_]+)", r"faqbase.\1", text), encoding="utf-8")
        else:
            out.write_bytes(path.read_bytes())
    return "faqbase"


def _timed(engine: Any, texts: list[str], out: list[float]) -> None:
    for text in texts:
        start = time.thread_time()
        engine.reply(text)
        out.append(time.thread_time() - start)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the commit to compare the working tree with")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--kb", type=Path, default=None, help="a knowledge base both engines load")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from faq import bench
    from faq.engine import Engine

    with tempfile.TemporaryDirectory(prefix="abtime-") as tmp:
        package = _base_package(args.base, Path(tmp))
        sys.path.insert(0, tmp)
        base = importlib.import_module(f"{package}.engine").Engine.load(args.kb)
        new = Engine.load(args.kb)
        texts = bench.batch_messages(new, args.messages)
        for engine in (base, new):  # warm both, as the bench does
            _timed(engine, texts[:BLOCK], [])
        for number in range(args.passes):
            a: list[float] = []
            b: list[float] = []
            for k in range(0, len(texts), BLOCK):
                block = texts[k : k + BLOCK]
                order = ((base, a), (new, b)) if (k // BLOCK) % 2 == 0 else ((new, b), (base, a))
                for engine, out in order:
                    _timed(engine, block, out)
            ratio = statistics.median(y / x for x, y in zip(a, b, strict=True) if x > 0)
            print(
                f"pass {number}: base median {statistics.median(a) * 1e3:.3f} ms (mean {statistics.mean(a) * 1e3:.3f}), "
                f"working tree median {statistics.median(b) * 1e3:.3f} ms (mean {statistics.mean(b) * 1e3:.3f}); "
                f"median per-message ratio {ratio:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
