"""`faq bench`: per-message latency, cold start and peak memory, at the shipped size and at synthetic sizes.

Each scenario runs in fresh interpreters (`faq bench --child ...`) so that its cold start and peak RSS are
its own: the parent times a whole child up to its first reply (interpreter, imports, jieba, loading and
indexing the knowledge base, training the scorer) three times, in wall time and in CPU time (user +
system: on a busy machine wall time also counts waiting for a core):

* "first start": an empty cache directory, nothing computed before (a fresh checkout, install or
  container whose image did not build the cache): it reads the knowledge base and the files shipped
  beside it (``rate.yaml``, ``complaints.yaml``, ``crisis_model.json``, ``intents.scorer.json``, the
  trained scorer, used only when it was trained on exactly this knowledge base, :mod:`faq.scorer_file`, and
  ``intents.analysis.pack``, the analysed examples and n-gram model, used only when they were computed
  from exactly this knowledge base by this code, :mod:`faq.analysis_file`) and jieba's dictionary, and
  computes everything else;
* "after an edit": the knowledge base with one example added, with the cache the first start left: what
  depends on the knowledge base (analysed examples, n-gram model, trained weights) is computed again,
  what does not (the reduced jieba dictionary, the crisis layer's pattern screens) is read back, as at
  the first start after a maintainer edits ``intents.yaml``;
* "cached start": the same knowledge base again (every later start, and a container whose image built
  the cache).

Every module a start imports is byte-compiled first (as any installed package, or any start after the
first one that may write its bytecode, has them; ``PYTHONDONTWRITEBYTECODE`` would otherwise make every
child compile the project's modules again, ~0.1 s): by one start whose bytecode goes to a temporary folder
that every child then reads (``PYTHONPYCACHEPREFIX``), not into the package's folder. The child then times
a warm batch of messages one by one (wall time, and the thread's CPU time, which a busy machine does not
inflate as much), and builds a second engine while the first is alive, as /reload does, for the peak RSS
during a reload: first of the same file (everything read back from the cache), then, that engine let go,
of the file with an edit the cache has never seen (a maintainer's /reload after changing ``intents.yaml``:
the examples analysed, the indexes and the n-gram model built and the scorer trained again, beside the
engine that serves). The process's peak RSS only grows, so the second figure is the peak up to the end of
that reload. Each figure is the child's own high-water mark (:func:`peak_rss_mb`), not its parent's. The edited file is written by the parent before the child starts, as a maintainer edits the
file outside the bot (until 2026-11-27 the child wrote it itself, between the two reloads: at 50k examples
parsing and dumping that YAML peaked ~60 MB above the serving engine, higher than the /reload it preceded,
and the figure was that peak).

The bench writes nothing beside the knowledge base it measures (an install folder may be read-only): every
knowledge base it makes (the synthetic sizes, the edited copies) is written into a temporary folder of its
own that links the files the knowledge base reads beside it (the crisis model ``intents.yaml`` names,
``rate.yaml``, ``complaints.yaml``; :func:`workspace`), so that every size loads the crisis model as a
deployment of that size does (``--crisis-rules-only``: without it, the crisis layer on its rules alone, as
the bench measured at 10k and 50k before 2026-11-27); the table says which.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from faq import apr, complaint, memory
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


def read_beside(doc: dict[str, Any], crisis_model: bool = True) -> tuple[str, ...]:
    """The names of the files a knowledge base (``doc``, as parsed) reads from its own folder: the tools'
    texts and, unless ``crisis_model`` is false, the crisis model it names."""
    names = [apr.DEFAULT_RATE_PATH.name, complaint.DEFAULT_COMPLAINTS_PATH.name]
    crisis = doc.get("crisis")
    model = crisis.get("model") if isinstance(crisis, dict) else None
    if crisis_model and isinstance(model, str) and model:
        names.append(model)
    return tuple(names)


@contextlib.contextmanager
def workspace(kb: Path, names: tuple[str, ...]) -> Iterator[Path]:
    """A temporary folder (removed on exit) for the knowledge bases the bench writes, holding a link to
    each file ``names`` that sits beside ``kb`` (a copy where links cannot be made), so that a knowledge
    base written there reads the same files as ``kb`` (the crisis model is then found, and shared by a
    /reload as a deployment shares it, :meth:`faq.crisis_model.CrisisModel.load`), while nothing is written
    beside ``kb``."""
    with tempfile.TemporaryDirectory(prefix="faq-bench-kb-") as folder:
        for name in names:
            source = kb.parent / name
            if not source.is_file() or Path(name).name != name:  # (a name with a folder: not beside kb)
                continue
            target = Path(folder) / name
            try:
                target.symlink_to(source.resolve())
            except OSError:
                shutil.copyfile(source, target)
        yield Path(folder)


def _write_kb(doc: dict[str, Any], folder: Path, prefix: str) -> Path:
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", prefix=prefix, dir=folder, delete=False, encoding="utf-8"
    ) as handle:
        yaml.safe_dump(doc, handle, allow_unicode=True, sort_keys=False)
    return Path(handle.name)


def synthetic_kb(base: Path, examples: int, folder: Path, seed: int = 11) -> Path:
    """The shipped knowledge base plus synthetic intents up to ``examples`` example questions, made of
    the shipped vocabulary (so tokens, IDF and fuzzy scoring behave as at real scale), written into
    ``folder`` (a :func:`workspace` of ``base``: it reads the files ``base`` reads beside it)."""
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
    return _write_kb(doc, folder, ".bench-synthetic-")


def child(scenario: str, kb: Path | None, messages: int, folder: Path, edited: Path | None = None) -> dict[str, Any]:
    """Runs in the child process: load, answer once, then time a warm batch. ``folder``: a :func:`workspace`
    of ``kb``; ``edited``: the copy of ``kb`` with an edit the cache has never seen, made by the parent (else
    written into ``folder`` here, and the peak RSS after an edit then counts that writing too: parsing and
    dumping the YAML of 50k examples, ~60 MB above the serving engine, more than the /reload itself)."""
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
    peak = peak_rss_mb()
    reloaded = Engine.load(kb)  # /reload: the new engine is built while the old one still serves
    reloaded.reply("逾期3天会怎样")
    reload_rss = peak_rss_mb()
    del reloaded
    memory.release()
    made_here = edited is None
    if edited is None:
        edited = edited_kb(kb or DEFAULT_KB_PATH, folder, "吧")  # (not "呢": the parent's start after an edit cached that one)
    try:
        rebuilt = Engine.load(edited)  # /reload after an edit: analysed, indexed, modelled, trained anew
        rebuilt.reply("逾期3天会怎样")
    finally:
        if made_here:
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
        "edit_reload_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB: the kernel's high-water mark of its own memory
    (``VmHWM`` in ``/proc/self/status``, Linux), else ``getrusage``'s ``ru_maxrss``. Not ``ru_maxrss`` where
    ``VmHWM`` can be read: Linux keeps ``ru_maxrss`` across ``exec``, and a child that ``subprocess`` starts
    (vfork, then exec) begins with its parent's high-water mark, so until 2026-11-27 a child of a bench that
    had built a synthetic knowledge base of 50k examples reported the parent's peak (~159 MB) as its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cold_start(kb: Path, env: dict[str, str], before_load: str = "") -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a fresh interpreter up to its first reply."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"{before_load}from faq.engine import Engine; Engine.load({str(kb)!r}).reply('逾期3天会怎样')",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def edited_kb(kb: Path, folder: Path, ending: str = "呢") -> Path:
    """A copy of ``kb`` in ``folder`` (a :func:`workspace` of ``kb``, so that the files it names, such as
    the crisis model, are found the same way) with one example added to its first intent (its first example
    and ``ending``): a maintainer's edit."""
    doc = yaml.safe_load(kb.read_text(encoding="utf-8"))
    first = doc["intents"][0]
    first["questions"].append(first["questions"][0] + ending)
    return _write_kb(doc, folder, ".bench-edit-")


def _run_child(scenario: str, kb: Path, messages: int, folder: Path, bytecode: Path) -> dict[str, Any]:
    """``folder``: a :func:`workspace` of ``kb``, for the edited copies; ``bytecode``: the folder of
    :func:`_byte_compile`."""
    with tempfile.TemporaryDirectory(prefix="faq-bench-cache-") as cache_dir:
        env = {**os.environ, "FAQ_CACHE_DIR": cache_dir, "PYTHONPYCACHEPREFIX": str(bytecode)}
        first = _cold_start(kb, env)
        cached = _cold_start(kb, env)
        edited = edited_kb(kb, folder)
        try:
            after_edit = _cold_start(edited, env)
        finally:
            edited.unlink(missing_ok=True)
        # The copy the child's /reload after an edit reads, made here, as a maintainer edits the file outside
        # the bot (not "呢": the start after an edit above cached that one).
        edited = edited_kb(kb, folder, "吧")
        try:
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
                    "--workspace",
                    str(folder),
                    "--edited",
                    str(edited),
                ],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
        finally:
            edited.unlink(missing_ok=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["first_start_s"], result["first_start_cpu_s"] = first
    result["edit_start_s"], result["edit_start_cpu_s"] = after_edit
    result["cold_start_s"], result["cold_start_cpu_s"] = cached
    return result


def _byte_compile(kb: Path, bytecode: Path) -> None:
    """Byte-compile every module a start imports (the bench's own too) into ``bytecode``, by one start of
    ``kb`` with that folder as its ``PYTHONPYCACHEPREFIX`` (see the module docstring)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="faq-bench-cache-") as cache_dir:
        env.update(FAQ_CACHE_DIR=cache_dir, PYTHONPYCACHEPREFIX=str(bytecode))
        _cold_start(kb, env, before_load="import faq.cli, faq.bench; ")


def run(kb: Path | None, messages: int, sizes: list[int], crisis_model: bool = True) -> list[dict[str, Any]]:
    """``crisis_model``: the synthetic knowledge bases load the crisis model the shipped one names (false:
    the crisis layer on its rules alone there). Nothing is written beside ``kb`` (see :func:`workspace`)."""
    base = kb or DEFAULT_KB_PATH
    doc = yaml.safe_load(base.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="faq-bench-bytecode-") as bytecode:
        _byte_compile(base, Path(bytecode))
        with workspace(base, read_beside(doc)) as folder:
            results = [_run_child("shipped", base, messages, folder, Path(bytecode))]
        names = read_beside(doc, crisis_model)
        del doc
        for size in sizes:
            with workspace(base, names) as folder:
                path = synthetic_kb(base, size, folder)
                results.append(_run_child(f"synthetic {size}", path, messages, folder, Path(bytecode)))
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
