"""`faq bench`: per-message latency, cold start and peak memory, at the shipped size and at synthetic sizes.

Each scenario runs in fresh interpreters (`faq bench --child ...`) so that its cold start and peak RSS are
its own: the parent times a whole child up to its first reply (interpreter, imports, jieba, loading and
indexing the knowledge base, training the scorer) three times, in wall time and in CPU time (user +
system: on a busy machine wall time also counts waiting for a core):

* "first start": an empty cache directory, nothing computed before (a fresh checkout, install or
  container whose image did not build the cache): it reads the knowledge base and the files shipped
  beside it (``rate.yaml``, ``complaints.yaml``, ``crisis_model.json``, and ``intents.scorer.json``, the
  trained scorer, used only when it was trained on exactly this knowledge base, :mod:`faq.scorer_file`)
  and jieba's dictionary, and computes everything else;
* "after an edit": the knowledge base with one example added, with the cache the first start left: what
  depends on the knowledge base (analysed examples, n-gram model, trained weights) is computed again,
  what does not (the reduced jieba dictionary, the crisis layer's pattern screens) is read back, as at
  the first start after a maintainer edits ``intents.yaml``;
* "cached start": the same knowledge base again (every later start, and a container whose image built
  the cache).

The project's modules are byte-compiled first (as any installed package, or any start after the first
one that may write its bytecode, has them; ``PYTHONDONTWRITEBYTECODE`` would otherwise make every child
compile them again, ~0.1 s). The child then times a warm batch of messages one by one (wall time, and
the thread's CPU time, which a busy machine does not inflate as much), and builds a second engine while
the first is alive, as /reload does, for the peak RSS during a reload: first of the same file (everything
read back from the cache), then, that engine let go, of the file with an edit the cache has never seen (a
maintainer's /reload after changing ``intents.yaml``: the examples analysed, the indexes and the n-gram
model built and the scorer trained again, beside the engine that serves). The process's peak RSS only
grows, so the second figure is the peak up to the end of that reload.

The synthetic knowledge bases are written beside the shipped one (hidden files, removed afterwards), so that
every size loads the crisis model ``intents.yaml`` names, as a deployment of that size does (``--synthetic-in-tmp``:
in the temporary directory, without it, as the bench measured before 2026-11-27); the table says which.
"""

from __future__ import annotations

import compileall
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from faq import memory
from faq.engine import DEFAULT_KB_PATH, Engine

TARGETS = {
    "per_message_ms": 0.5,
    "per_message_10k_ms": 2.0,
    "per_message_50k_ms": 10.0,
    "cold_start_s": 1.0,
    "cold_start_10k_s": 3.0,
    "peak_rss_mb": 150.0,
    "reload_rss_mb": 200.0,
    "edit_reload_rss_mb": 200.0,
}


def batch_messages(engine: Engine, count: int, seed: int = 7) -> list[str]:
    """Messages like users send: the knowledge base's questions with a character dropped or swapped, a
    day count added, or mixed with noise, so that no message is an exact example."""
    rng = random.Random(seed)
    pool = [q for intent in engine.kb.intents for q in intent.questions]
    pool += [q for group in engine.kb.out_of_scope for q in group.questions]
    extras = ["逾期{}天了", "拖了{}天", "已经{}天没还", "", "😭", "在吗"]
    out: list[str] = []
    for _ in range(count):
        text = list(rng.choice(pool))
        if len(text) > 3:
            del text[rng.randrange(len(text))]
        extra = rng.choice(extras)
        out.append("".join(text) + extra.format(rng.randint(1, 90)))
    return out


def synthetic_kb(base: Path, examples: int, seed: int = 11, beside: bool = True) -> Path:
    """The shipped knowledge base plus synthetic intents up to ``examples`` example questions, made of
    the shipped vocabulary (so tokens, IDF and fuzzy scoring behave as at real scale). ``beside``: written
    beside ``base`` (a hidden file), so that the files it names (the crisis model) are found as a deployment
    of that size finds them; else in the temporary directory, where they are not (the crisis layer runs on
    its rules alone: 5-6 MB less at 10k and 50k examples as measured, and less CPU per message; the bench's figures before
    2026-11-27)."""
    rng = random.Random(seed)
    doc = yaml.safe_load(base.read_text(encoding="utf-8"))
    engine = Engine.load(base)
    words = sorted({t for q in engine.matcher.examples for t in engine.analyzer.tokens(q) if len(t) >= 2})
    have = sum(len(i["questions"]) for i in doc["intents"])
    n = 0
    seen: set[str] = set()
    while have < examples:
        questions: list[str] = []
        while len(questions) < 20:
            q = "".join(rng.sample(words, rng.randint(3, 6))) + rng.choice(["吗", "怎么办", "", "?"])
            if q not in seen:
                seen.add(q)
                questions.append(q)
        doc["intents"].append(
            {
                "id": f"synthetic_{n}",
                "title": f"合成{n}",
                "questions": questions,
                "answer": "合成答案",
                "sources": ["synthetic"],
            }
        )
        have += len(questions)
        n += 1
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", prefix=".bench-synthetic-", dir=base.parent if beside else None, delete=False,
        encoding="utf-8",
    ) as handle:
        yaml.safe_dump(doc, handle, allow_unicode=True, sort_keys=False)
    return Path(handle.name)


def child(scenario: str, kb: Path | None, messages: int) -> dict[str, Any]:
    """Runs in the child process: load, answer once, then time a warm batch."""
    engine = Engine.load(kb)
    engine.reply("逾期3天会怎样")
    batch = batch_messages(engine, messages)
    for text in batch[:50]:  # warm caches
        engine.reply(text)
    timings: list[float] = []
    cpu: list[float] = []  # this thread's CPU time: on a busy machine wall time also counts waiting for a core
    for text in batch:
        start, start_cpu = time.perf_counter(), time.thread_time()
        engine.reply(text)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    cpu.sort()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reloaded = Engine.load(kb)  # /reload: the new engine is built while the old one still serves
    reloaded.reply("逾期3天会怎样")
    reload_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del reloaded
    memory.release()
    edited = edited_kb(kb or DEFAULT_KB_PATH, "吧")  # (not "呢": the parent's start after an edit cached that one)
    try:
        rebuilt = Engine.load(edited)  # /reload after an edit: analysed, indexed, modelled, trained anew
        rebuilt.reply("逾期3天会怎样")
    finally:
        edited.unlink(missing_ok=True)
    return {
        "scenario": scenario,
        "examples": engine.kb.example_count,
        "crisis_model": engine.kb.crisis.model is not None,
        "p50_ms": timings[len(timings) // 2],
        "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        "p50_cpu_ms": cpu[len(cpu) // 2],
        "peak_rss_mb": peak,
        "reload_rss_mb": reload_rss,
        "edit_reload_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _cold_start(kb: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a fresh interpreter up to its first reply."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from faq.engine import Engine; Engine.load({str(kb)!r}).reply('逾期3天会怎样')",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def edited_kb(kb: Path, ending: str = "呢") -> Path:
    """A copy of ``kb`` beside it (so that files it names, such as the crisis model, are found the same way)
    with one example added to its first intent (its first example and ``ending``): a maintainer's edit."""
    doc = yaml.safe_load(kb.read_text(encoding="utf-8"))
    first = doc["intents"][0]
    first["questions"].append(first["questions"][0] + ending)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", prefix=".bench-edit-", dir=kb.parent, delete=False, encoding="utf-8"
    ) as handle:
        yaml.safe_dump(doc, handle, allow_unicode=True, sort_keys=False)
    return Path(handle.name)


def _run_child(scenario: str, kb: Path, messages: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="faq-bench-cache-") as cache_dir:
        env = {**os.environ, "FAQ_CACHE_DIR": cache_dir}
        first = _cold_start(kb, env)
        cached = _cold_start(kb, env)
        edited = edited_kb(kb)
        try:
            after_edit = _cold_start(edited, env)
        finally:
            edited.unlink(missing_ok=True)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "faq",
                "bench",
                "--child",
                scenario,
                "--kb",
                str(kb),
                "--messages",
                str(messages),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["first_start_s"], result["first_start_cpu_s"] = first
    result["edit_start_s"], result["edit_start_cpu_s"] = after_edit
    result["cold_start_s"], result["cold_start_cpu_s"] = cached
    return result


def run(kb: Path | None, messages: int, sizes: list[int], beside: bool = True) -> list[dict[str, Any]]:
    """``beside``: the synthetic knowledge bases are written beside ``kb`` (see :func:`synthetic_kb`)."""
    base = kb or DEFAULT_KB_PATH
    # byte-compiled once here, so that no child compiles the project's modules (see the module docstring)
    compileall.compile_dir(Path(__file__).resolve().parent, quiet=1)
    results = [_run_child("shipped", base, messages)]
    for size in sizes:
        path = synthetic_kb(base, size, beside=beside)
        try:
            results.append(_run_child(f"synthetic {size}", path, messages))
        finally:
            path.unlink(missing_ok=True)
    print(
        f"{'scenario':16} {'examples':>8} {'crisis model':>12} {'first start':>18} {'after an edit':>18} {'cached start':>18} "
        f"{'p50':>8} {'p50 cpu':>8} "
        f"{'p99':>8} {'peak RSS':>9} {'at reload':>9} {'at reload after an edit':>23}"
    )
    for r in results:
        print(
            f"{r['scenario']:16} {r['examples']:8d} {'loaded' if r['crisis_model'] else 'rules only':>12} "
            f"{r['first_start_s']:6.2f}s ({r['first_start_cpu_s']:5.2f}s cpu) "
            f"{r['edit_start_s']:6.2f}s ({r['edit_start_cpu_s']:5.2f}s cpu) "
            f"{r['cold_start_s']:6.2f}s ({r['cold_start_cpu_s']:5.2f}s cpu) {r['p50_ms']:6.2f}ms "
            f"{r['p50_cpu_ms']:6.2f}ms {r['p99_ms']:6.2f}ms {r['peak_rss_mb']:7.0f}MB {r['reload_rss_mb']:7.0f}MB "
            f"{r['edit_reload_rss_mb']:21.0f}MB"
        )
    t = TARGETS
    print(
        f"targets: <= {t['per_message_ms']} ms/message shipped, <= {t['per_message_10k_ms']} ms at 10k, "
        f"<= {t['per_message_50k_ms']} ms at 50k; cold start <= {t['cold_start_s']} s shipped, "
        f"<= {t['cold_start_10k_s']} s at 10k; peak RSS <= {t['peak_rss_mb']:.0f} MB, "
        f"<= {t['reload_rss_mb']:.0f} MB during /reload, <= {t['edit_reload_rss_mb']:.0f} MB during /reload after "
        "an edit"
    )
    return results
