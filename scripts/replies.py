"""Prove that a change leaves every reply as it was: dump the engine's replies, change the code, dump again, diff.

    PYTHONHASHSEED=0 FAQ_CACHE_DIR=off python scripts/replies.py dump /tmp/before.jsonl
    ... change the code ...
    PYTHONHASHSEED=0 FAQ_CACHE_DIR=off python scripts/replies.py dump /tmp/after.jsonl
    python scripts/replies.py diff /tmp/before.jsonl /tmp/after.jsonl

Messages: every text of the dev sets (tests/data/dev.yaml, dev2.yaml, everyday_holdout.yaml,
search_holdout.yaml, ../shared/data/real_queries_dev.yaml when present), of every crisis file
(tests/data/crisis_*.yaml) and 2,000 messages of `faq bench`'s warm batch; each is answered alone (the reply's
JSON, as `faq ask --json` prints it, and the top five of the matcher's ranking to 1e-6), then the first 3,000
once more as one conversation (context, follow-ups, the crisis footer). Never the new held-out set.

PYTHONHASHSEED=0 is no longer needed (the matcher sums over sets in sorted order since 2026-11-26, so that
replies are the same in every process), but harmless. The later held-out sets (everyday_holdout2/3,
search_holdout2/3, forum_holdout3) are left out too, as they were while they were held out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's faq, not the installed one

from faq import bench
from faq.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
DEV_SETS = ("dev.yaml", "dev2.yaml", "everyday_holdout.yaml", "search_holdout.yaml")
NOT_TEXT = {"intent", "label", "style", "platform", "days", "stage", "region", "note", "why"}


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
    elif isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node["text"]
            return
        for key, value in node.items():
            if key not in NOT_TEXT:
                yield from _texts(value)


def messages(engine: Engine) -> list[str]:
    files = [ROOT / "tests" / "data" / name for name in DEV_SETS]
    real = (parent / "shared" / "data" / "real_queries_dev.yaml" for parent in ROOT.parents)
    files += [path for path in real if path.is_file()][:1]  # the nearest ../shared, as `faq eval` finds it
    files += sorted((ROOT / "tests" / "data").glob("crisis_*.yaml"))
    out: list[str] = []
    for path in files:
        if path.is_file():
            out += _texts(yaml.safe_load(path.read_text(encoding="utf-8")))
    return out + bench.batch_messages(engine, 2000)


def dump(target: Path) -> int:
    engine = Engine.load()
    texts = messages(engine)
    with target.open("w", encoding="utf-8") as out:
        for text in texts:
            reply = engine.reply(text)
            ranking = engine.understand(text).match.ranking[:5]
            line = {"m": text, "r": reply.to_json(), "rank": [(c.owner, round(c.score, 6)) for c in ranking]}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        context, now = None, 1_000_000.0
        for text in texts[:3000]:
            reply, context = engine.converse(text, context, now=now)
            now += 30
            out.write(json.dumps({"conv": text, "r": reply.to_json()}, ensure_ascii=False) + "\n")
    print(f"{len(texts)} messages -> {target}")
    return 0


def diff(before: Path, after: Path) -> int:
    a = before.read_text(encoding="utf-8").splitlines()
    b = after.read_text(encoding="utf-8").splitlines()
    if len(a) != len(b):
        print(f"{len(a)} vs {len(b)} lines: not the same messages")
        return 1
    changed = [(x, y) for x, y in zip(a, b, strict=True) if json.loads(x) != json.loads(y)]
    for x, y in changed[:5]:
        print(f"- {x[:300]}\n+ {y[:300]}")
    print(f"{len(a)} replies, {len(changed)} differences")
    return 1 if changed else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "dump":
        return dump(Path(argv[1]))
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
