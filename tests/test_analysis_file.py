"""The analysis shipped beside intents.yaml (faq/analysis_file.py, faq/cache.py's packed entries): current,
the same as computing gives, and never read when it does not match the knowledge base and code being
loaded."""

from __future__ import annotations

import io
import json
import marshal
import weakref
from pathlib import Path
from typing import Any

import pytest
from shipped_kb import copy_shipped_kb

from faq import analysis_file, analyze, cache, conversions, crisis_model, normalize, regexes, screens
from faq import matcher as matcher_module
from faq.engine import Engine
from faq.kb import load_knowledge_base

REPO = Path(__file__).resolve().parent.parent
SHIPPED_KB = REPO / "intents.yaml"
SHIPPED_ANALYSIS = REPO / "intents.analysis.pack"
STALE = "intents.analysis.pack is stale: run `python -m faq train`"


def _decoded(name: str, data: bytes) -> tuple[Any, bytes]:
    """A cache file's value (JSON, or marshal and the raw bytes of the blobs after it)."""
    if name.endswith(".json"):
        return json.loads(data.decode("utf-8")), b""
    handle = io.BytesIO(data)
    value = marshal.load(handle)
    return value, handle.read()


def _own_ngram_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each engine built here reads or builds its own n-gram model (not the one of a matcher of the same
    examples alive in the test session, which a build shares without looking it up)."""
    monkeypatch.setattr(matcher_module, "_live_ngrams", weakref.WeakValueDictionary())


def test_the_analysis_file_sits_beside_its_knowledge_base() -> None:
    assert analysis_file.path_for(SHIPPED_KB) == SHIPPED_ANALYSIS
    assert analysis_file.path_for("/x/other.yaml") == Path("/x/other.analysis.pack")


def _no_crisis_model_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh process: no crisis model loaded (a build then reads its decoded form, or decodes it)."""
    monkeypatch.setattr(crisis_model, "_last_loaded", {})


def _no_converter_loaded() -> None:
    """As in a fresh process: no Traditional converter loaded (a build then reads or makes its conversions,
    faq/conversions.py)."""
    normalize._converter.cache_clear()


def test_the_shipped_analysis_is_current_and_read_instead_of_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first start (an empty cache directory) finds every entry it asks for in the file: it computes, and
    so writes, none of them."""
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    _own_ngram_models(monkeypatch)
    _no_converter_loaded()
    _no_crisis_model_loaded(monkeypatch)
    with analysis_file.reading(SHIPPED_KB) as shipped:  # (from the check on, as Engine.load reads it)
        Engine(load_knowledge_base(SHIPPED_KB))
    assert {cache.kind_of(name) for name in shipped.asked} >= set(analysis_file.KINDS)
    assert analysis_file.stale(shipped.asked, SHIPPED_ANALYSIS) == [], STALE
    assert not [entry.name for entry in tmp_path.iterdir() if cache.kind_of(entry.name) in analysis_file.KINDS]


def test_computing_again_gives_the_shipped_analysis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file holds what computing gives (not merely the right keys): each entry's value, to the last
    byte of its arrays, as a build with an empty cache directory and no shipped file writes it."""
    _own_ngram_models(monkeypatch)
    packed = cache.packed_names(SHIPPED_ANALYSIS, analysis_file.code_version())
    assert packed, STALE
    _no_converter_loaded()
    _no_crisis_model_loaded(monkeypatch)
    with cache.redirected(tmp_path):
        engine = Engine(load_knowledge_base(SHIPPED_KB))  # (not Engine.load: nothing read from the shipped file)
        conversions.store(engine)  # (as `faq train` does: a build converts none of its reply texts)
    for name in sorted(packed):
        shipped = cache.unpacked(SHIPPED_ANALYSIS, name, analysis_file.code_version())
        assert shipped is not None
        assert (tmp_path / name).is_file(), f"{name}: no longer computed by a build ({STALE})"
        assert _decoded(name, shipped) == _decoded(name, (tmp_path / name).read_bytes()), name


def test_after_an_edit_nothing_is_read_from_the_file_and_a_damaged_one_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    _own_ngram_models(monkeypatch)
    kb_path = copy_shipped_kb(tmp_path, edit=True)
    _no_converter_loaded()
    _no_crisis_model_loaded(monkeypatch)
    with analysis_file.reading(kb_path) as shipped:  # (from the check on, as Engine.load reads it)
        edited = Engine(load_knowledge_base(kb_path))
    asked = {name for name in shipped.asked if cache.kind_of(name) in analysis_file.KINDS}
    assert {cache.kind_of(name) for name in asked} == set(analysis_file.KINDS)
    # (an example added: the reply texts are those of the file, so are their conversions, faq/conversions.py,
    # and the crisis patterns, so are their screens and that they compiled; the crisis model is the same file)
    kept = ("conversions", screens.KIND, regexes.KIND, crisis_model.KIND)
    analysis = sorted(name for name in asked if cache.kind_of(name) not in kept)
    assert analysis_file.stale(shipped.asked, kb_path.with_name(SHIPPED_ANALYSIS.name)) == analysis
    assert "逾期了催收天天打电话到底怎么办才好呢" in edited.matcher.examples
    reference = Engine(load_knowledge_base(SHIPPED_KB))  # (no file read: computed)
    unedited = copy_shipped_kb(tmp_path, edit=False)
    for damaged in (b"", b"not a pack", SHIPPED_ANALYSIS.read_bytes()[:5000]):
        unedited.with_name(SHIPPED_ANALYSIS.name).write_bytes(damaged)
        engine = Engine.load(unedited)
        assert list(engine.matcher.token_lists) == list(reference.matcher.token_lists)
        assert engine.reply("逾期3天会怎样").text == reference.reply("逾期3天会怎样").text


def test_a_changed_crisis_pattern_is_not_served_the_shipped_screens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screens of the crisis patterns are keyed by the pattern texts: after an edit of one pattern (an
    alternative added whose characters the stored screen of the old text does not hold), a start parses the
    patterns of its list again instead of reading the shipped screens, and finds the new alternative; the
    safety net's patterns, unchanged, are still read from the file."""
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    kb_path = copy_shipped_kb(tmp_path, edit=False)
    text = kb_path.read_text(encoding="utf-8")
    marker = "\n  patterns:\n"
    at = text.index("    - '", text.index(marker)) + len("    - '")
    kb_path.write_text(text[:at] + "甲乙丙|" + text[at:], encoding="utf-8")
    parsed: list[str] = []
    compute = screens._read_required_sets

    def parse(pattern: Any) -> Any:
        parsed.append(pattern.pattern)
        return compute(pattern)

    monkeypatch.setattr(screens, "_REQUIRED", {})
    monkeypatch.setattr(screens, "_read_required_sets", parse)
    engine = Engine.load(kb_path)
    edited = engine.kb.crisis.patterns[0]
    assert edited.startswith("甲乙丙|")
    assert edited in parsed  # (not the screen stored for the pattern before the edit)
    assert 0 in engine.crisis._c.pattern_screen.candidates(set("甲乙丙"))
    net = engine.kb.crisis.safety_net
    assert net is not None and net.ending[0] not in parsed  # (unchanged: read from the shipped file)
    monkeypatch.setattr(screens, "_REQUIRED", {})
    monkeypatch.setattr(screens, "_read_required_sets", compute)
    with cache.redirected(None):  # computed, with no file read
        computed = Engine(load_knowledge_base(kb_path)).crisis
    assert engine.crisis._c == computed._c and engine.crisis._net == computed._net


def test_a_pack_is_read_only_by_the_code_that_wrote_it_and_the_cache_directory_comes_first(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    with cache.redirected(folder):
        cache.save_marshal("tokens", "k" * 64, ("from the directory",))
        entries = {entry.name: entry.read_bytes() for entry in folder.iterdir()}
    name = next(iter(entries))
    target = tmp_path / "x.analysis.pack"
    assert cache.pack(target, entries, "code 1")
    assert cache.packed_names(target, "code 1") == {name}
    assert cache.packed_names(target, "code 2") == set()
    assert cache.unpacked(target, name, "code 2") is None
    with cache.redirected(None):
        with cache.shipped(target, "code 1") as shipped:
            assert cache.load_marshal("tokens", "k" * 64) == ("from the directory",)
            assert cache.has_marshal("tokens", "k" * 64)
            assert cache.load_marshal("tokens", "j" * 64) is None  # (another key: another name)
        assert shipped.asked == {name, f"tokens-{'j' * 40}.marshal"}
        with cache.shipped(target, "code 2"):
            assert cache.load_marshal("tokens", "k" * 64) is None
            assert not cache.has_marshal("tokens", "k" * 64)
        assert cache.load_marshal("tokens", "k" * 64) is None  # (outside: no shipped file)
    with cache.redirected(tmp_path / "other"), cache.shipped(target, "code 1"):
        cache.save_marshal("tokens", "k" * 64, ("newer",))
        assert cache.load_marshal("tokens", "k" * 64) == ("newer",)


def test_a_second_pack_gives_only_the_kinds_named_and_only_what_the_first_lacks(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    with cache.redirected(folder):
        cache.save_marshal("tokens", "k" * 64, ("tokens of the second",))
        cache.save_marshal(screens.KIND, "s" * 64, ("screens of the second",))
        cache.save_marshal(screens.KIND, "t" * 64, ("screens of the second, also in the first",))
        second = {entry.name: entry.read_bytes() for entry in folder.iterdir()}
    with cache.redirected(tmp_path / "first"):
        cache.save_marshal(screens.KIND, "t" * 64, ("screens of the first",))
        first = {entry.name: entry.read_bytes() for entry in (tmp_path / "first").iterdir()}
    assert cache.pack(tmp_path / "second.pack", second, "code 1")
    assert cache.pack(tmp_path / "first.pack", first, "code 1")
    kinds = frozenset({screens.KIND})
    with cache.redirected(None), cache.shipped(tmp_path / "first.pack", "code 1", tmp_path / "second.pack", kinds):
        assert cache.load_marshal(screens.KIND, "s" * 64) == ("screens of the second",)
        assert cache.load_marshal(screens.KIND, "t" * 64) == ("screens of the first",)  # (the first file first)
        assert cache.load_marshal("tokens", "k" * 64) is None  # (a kind not named: never from the second)
    with cache.redirected(None), cache.shipped(None, "code 1", tmp_path / "second.pack", kinds):
        assert cache.load_marshal(screens.KIND, "s" * 64) == ("screens of the second",)  # (no first file)
    with cache.redirected(None), cache.shipped(None, "code 2", tmp_path / "second.pack", kinds):
        assert cache.load_marshal(screens.KIND, "s" * 64) is None  # (packed by other code)


def test_a_knowledge_base_elsewhere_reads_the_crisis_patterns_analysis_from_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A knowledge base with no analysis beside it (grown elsewhere, with the shipped crisis section) reads
    the screens of the crisis patterns, the verdict that they compile and the decoded crisis model from the
    package's file: its first start computes, and so writes, none of them; what depends on its examples it
    computes (never read from the package's file, even for the same examples)."""
    folder = tmp_path / "kb"
    folder.mkdir()
    kb_path = copy_shipped_kb(folder, edit=False)
    (folder / "intents.analysis.pack").unlink(missing_ok=True)
    assert analysis_file.PACKAGE_ANALYSIS == SHIPPED_ANALYSIS
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path / "cache"))
    _own_ngram_models(monkeypatch)
    monkeypatch.setattr(screens, "_REQUIRED", {})
    _no_crisis_model_loaded(monkeypatch)
    Engine.load(kb_path)
    written = {cache.kind_of(entry.name) for entry in (tmp_path / "cache").iterdir()}
    assert not written & analysis_file.SHARED_KINDS
    assert crisis_model.KIND not in written  # (the model read decoded, not decoded from its JSON)
    assert {"analyzer", "tokens", "ngrams"} <= written


def test_the_cached_analysis_is_keyed_by_the_analysis_code_not_only_by_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit of analyze.py (or ngrams.py, compact.py, the pinyin table) that forgot to bump
    ANALYZER_VERSION is not answered from the cache directory with the analysis the older code computed."""
    texts = ["逾期了会爆通讯录吗", "催收打电话给我爸妈"]
    folder = tmp_path / "cache"
    with cache.redirected(folder):
        first = analyze.Analyzer(texts, {"爸妈": "父母"})
        written = {entry.name for entry in folder.iterdir()}
        assert any(cache.kind_of(name) == "analyzer" for name in written)
        again = analyze.Analyzer(texts, {"爸妈": "父母"})  # the same code: read, nothing new written
        assert again.fingerprint == first.fingerprint
        assert {entry.name for entry in folder.iterdir()} == written
        monkeypatch.setattr(analyze, "code_version", lambda: "the analysis code after an edit")
        edited = analyze.Analyzer(texts, {"爸妈": "父母"})
        assert edited.fingerprint != first.fingerprint
        assert {entry.name for entry in folder.iterdir()} > written  # computed anew, under its own key
