"""The screens of regexes kept in the cache (faq/screens.py): read back as computed, keyed by the pattern
texts themselves, and never served for another pattern."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faq import cache, screens
from faq.screens import Screen, Source

PATTERNS: list[re.Pattern[str] | Source] = [
    re.compile("(?:周|星期)[一二三]还款"),
    re.compile("催(?:了)?三次"),
    Source("利息表"),
]


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screens, "_read_required_sets", lambda p: pytest.fail(f"parsed {p.pattern}"))


def test_prepared_screens_are_read_back_as_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screens, "_REQUIRED", {})
    with cache.redirected(tmp_path):
        screens.prepare(PATTERNS)
        computed = dict(screens._REQUIRED)
        assert len(computed) == len(PATTERNS) and len(list(tmp_path.iterdir())) == 1
        monkeypatch.setattr(screens, "_REQUIRED", {})
        with monkeypatch.context() as reading:
            _no_parsing(reading)
            screens.prepare(PATTERNS)
    assert computed == screens._REQUIRED


def test_the_key_holds_each_pattern_its_flags_and_the_code() -> None:
    key = screens.key_of(PATTERNS)
    assert key is not None and key == screens.key_of(list(PATTERNS))
    assert screens.key_of(PATTERNS[:2]) != key
    assert screens.key_of([*PATTERNS[:2], Source("利息表格")]) != key
    assert screens.key_of([*PATTERNS[:2], Source("利息表", int(re.UNICODE | re.IGNORECASE))]) != key


def test_a_changed_pattern_is_not_served_the_screens_stored_for_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the screens stored for the old pattern are found under the new one's key (a damaged or
    forged cache): their pattern texts are not those asked for, so the new one is parsed, and its new
    alternative (whose characters are in none of the old screens) is a candidate."""
    old = [re.compile("利息表")]
    new = [re.compile("利息表|滞纳金单据")]
    old_key, new_key = screens.key_of(old), screens.key_of(new)
    assert old_key is not None and new_key is not None and new_key != old_key
    monkeypatch.setattr(screens, "_REQUIRED", {})
    with cache.redirected(tmp_path):
        screens.prepare(old)
        cache.save_marshal(screens.KIND, new_key, cache.load_marshal(screens.KIND, old_key))
        assert cache.load_marshal(screens.KIND, new_key) is not None
        monkeypatch.setattr(screens, "_REQUIRED", {})
        screens.prepare(new)
    assert list(Screen.of_patterns(new).candidates(set("要滞纳金单据"))) == [0]
    assert not Screen.of_patterns(old).candidates(set("要滞纳金单据"))


def test_a_new_version_of_the_code_reads_every_pattern_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screens, "_REQUIRED", {})
    with cache.redirected(tmp_path):
        screens.prepare(PATTERNS)
        monkeypatch.setattr(screens, "code_version", lambda: "faq/screens.py after an edit")
        monkeypatch.setattr(screens, "_REQUIRED", {})
        parsed: list[str] = []
        compute = screens._read_required_sets

        def parse(pattern: re.Pattern[str] | Source) -> tuple[frozenset[str], ...]:
            parsed.append(pattern.pattern)
            return compute(pattern)

        monkeypatch.setattr(screens, "_read_required_sets", parse)
        screens.prepare(PATTERNS)
    assert parsed == [p.pattern for p in PATTERNS]
    assert len(list(tmp_path.iterdir())) == 2


def test_a_damaged_entry_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screens, "_REQUIRED", {})
    with cache.redirected(tmp_path):
        screens.prepare(PATTERNS)
        computed = dict(screens._REQUIRED)
        (stored,) = tmp_path.iterdir()
        stored.write_bytes(b"\x00not marshal")
        monkeypatch.setattr(screens, "_REQUIRED", {})
        screens.prepare(PATTERNS)
        assert computed == screens._REQUIRED
        monkeypatch.setattr(screens, "_REQUIRED", {})
        with monkeypatch.context() as reading:  # (stored again, whole)
            _no_parsing(reading)
            screens.prepare(PATTERNS)
    assert computed == screens._REQUIRED
