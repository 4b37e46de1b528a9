"""The bench measures what a deployment runs (its synthetic knowledge bases load the crisis model) and
writes nothing beside the knowledge base it measures (an install folder may be read-only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from faq import bench
from faq.engine import DEFAULT_KB_PATH
from faq.kb import load_knowledge_base
from faq.scorer_file import path_for


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_the_bench_writes_its_knowledge_bases_apart_and_they_load_the_crisis_model(tmp_path: Path) -> None:
    install = tmp_path / "install"
    install.mkdir()
    doc = yaml.safe_load(DEFAULT_KB_PATH.read_text(encoding="utf-8"))
    names = bench.read_beside(doc)
    assert doc["crisis"]["model"] in names and "rate.yaml" in names and "complaints.yaml" in names
    for name in (DEFAULT_KB_PATH.name, path_for(DEFAULT_KB_PATH).name, *names):
        shutil.copy2(DEFAULT_KB_PATH.parent / name, install / name)
    kb_path = install / DEFAULT_KB_PATH.name
    install.chmod(0o555)  # (read-only for anyone but root; the listing below is checked either way)
    before = _listing(install)
    size = load_knowledge_base(kb_path).example_count + 20  # one synthetic intent more
    try:
        with bench.workspace(kb_path, names) as folder:
            synthetic = bench.synthetic_kb(kb_path, size, folder)
            edited = bench.edited_kb(synthetic, folder)
            assert synthetic.parent == folder and edited.parent == folder
            kb = load_knowledge_base(synthetic)
            assert kb.example_count >= size and kb.crisis is not None and kb.crisis.model is not None
            again = load_knowledge_base(edited)
            assert again.example_count == kb.example_count + 1 and again.crisis.model is not None
        assert not folder.exists()
        with bench.workspace(kb_path, bench.read_beside(doc, crisis_model=False)) as folder:
            other = load_knowledge_base(bench.synthetic_kb(kb_path, size, folder))
            # the bench's figures at 10k and 50k before 2026-11-27: the crisis rules alone
            assert other.example_count == kb.example_count and other.crisis is not None and other.crisis.model is None
        assert _listing(install) == before
    finally:
        install.chmod(0o755)


def test_the_child_reloads_the_edited_copy_the_parent_made_and_leaves_it_to_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The /reload after an edit reads a copy made before the child starts (as a maintainer edits the file
    outside the bot): the child neither writes one (the YAML's parsing and dumping would count in its peak)
    nor removes the parent's."""
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path / "cache"))
    doc = yaml.safe_load(DEFAULT_KB_PATH.read_text(encoding="utf-8"))
    with bench.workspace(DEFAULT_KB_PATH, bench.read_beside(doc)) as folder:
        edited = bench.edited_kb(DEFAULT_KB_PATH, folder, "吧")
        before = _listing(folder)
        result = bench.child("shipped", None, 5, folder, edited)
        assert _listing(folder) == before and edited.is_file()
    assert result["edit_reload_rss_mb"] >= result["reload_rss_mb"] >= result["peak_rss_mb"] > 0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="the kernel's high-water mark is read from /proc")
def test_a_child_reports_its_own_peak_memory_not_the_one_its_parent_had_when_it_started_it() -> None:
    """Linux keeps ``ru_maxrss`` across exec: a child that subprocess starts from a parent holding a lot of
    memory (the bench, after writing a 50k-example knowledge base) would report the parent's peak."""
    ballast = bytearray(160 * 1024 * 1024)
    for at in range(0, len(ballast), 4096):  # (touched: resident, not only reserved)
        ballast[at] = 1
    code = "import faq.bench; print(faq.bench.peak_rss_mb())"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    del ballast
    own = float(out.stdout.strip())
    assert 0 < own < 140  # (the imports alone: ~50 MB)
