"""faq/regexes.py: a list of patterns is compiled to be checked until it has all compiled once under the same
Python; a bad pattern is reported at every check, and another list is never served a remembered verdict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faq import cache, regexes

GOOD = ["(?:欠款|借款)(?:人)?", "甲[乙丙丁]{1,3}", r"(?<!不)想\S{0,4}离开"]


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    regexes.engine_version()  # (read once per process, before anything is counted)
    asked: list[str] = []
    real = re.compile

    def counted(pattern: str, flags: int = 0) -> re.Pattern[str]:
        asked.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(regexes.re, "compile", counted)
    return asked


def test_a_list_that_compiled_is_not_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _counting(monkeypatch)
    with cache.redirected(tmp_path):
        assert regexes.errors(GOOD) == []
        assert asked == GOOD
        assert regexes.errors(GOOD) == []
        assert asked == GOOD  # the remembered verdict: nothing compiled
        assert regexes.errors([*GOOD, "乙丙"]) == []  # another list: compiled again
        assert asked == [*GOOD, *GOOD, "乙丙"]


def test_bad_patterns_are_reported_every_time_and_never_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patterns = [GOOD[0], "(?:未闭合", GOOD[1], r"(?<=逾期\d+)天"]
    with cache.redirected(tmp_path):
        for _ in range(2):
            found = regexes.errors(patterns)
            assert [i for i, _ in found] == [1, 3]
            assert all(isinstance(exc, re.error) for _, exc in found)
    assert not any(cache.kind_of(entry.name) == regexes.KIND for entry in tmp_path.iterdir())


def test_without_a_cache_every_check_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _counting(monkeypatch)
    with cache.redirected(None):
        assert regexes.errors(GOOD) == [] and regexes.errors(GOOD) == []
    assert asked == GOOD + GOOD


def test_the_key_reads_every_text_and_its_place() -> None:
    keys = {regexes.key_of(GOOD), regexes.key_of(GOOD[::-1]), regexes.key_of(GOOD[:2]), regexes.key_of([*GOOD[:2], "甲"])}
    assert None not in keys and len(keys) == 4


def test_compiled_is_the_same_object_for_the_same_text() -> None:
    assert regexes.compiled("丁戊|己") is regexes.compiled("丁戊|己")
    assert regexes.compiled("丁戊|己").pattern == "丁戊|己"


def test_a_lazy_pattern_compiles_at_its_first_use_and_answers_as_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    real = re.compile(r"(?P<n>\d+)\s*天", re.IGNORECASE)
    asked = _counting(monkeypatch)
    pattern = regexes.lazy(r"(?P<n>\d+)\s*天", re.IGNORECASE)
    assert pattern.pattern == r"(?P<n>\d+)\s*天" and asked == []  # (its text is there before it compiles)
    found = pattern.search("逾期 12 天了")
    assert found is not None and found["n"] == "12"
    assert asked == [r"(?P<n>\d+)\s*天"]
    assert pattern.sub("#", "3天和4 天") == real.sub("#", "3天和4 天")
    assert [m.span() for m in pattern.finditer("1天2天")] == [m.span() for m in real.finditer("1天2天")]
    assert pattern.flags == real.flags and pattern.groupindex == real.groupindex
    assert asked == [r"(?P<n>\d+)\s*天"]  # compiled once
    # once compiled, read without a __getattr__ hook (a class with one is read more slowly at every call)
    assert not hasattr(type(pattern), "__getattr__") and "search" in vars(pattern)


def test_every_lazy_pattern_of_the_engine_compiles() -> None:
    import faq.engine  # noqa: F401  (imports every module whose patterns are lazy)

    made = regexes.lazy_patterns()
    assert len(made) >= 150
    for text, flags in made:
        re.compile(text, flags)
