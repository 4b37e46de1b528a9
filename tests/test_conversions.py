"""faq/conversions.py: the knowledge base's reply texts converted to Traditional ahead of time give exactly
OpenCC's conversion, a reply made of them loads no converter, and a text they do not hold (new, or edited)
is converted by OpenCC."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from faq import analysis_file, cache, conversions, converters, normalize
from faq.engine import Engine
from faq.normalize import to_traditional

REPO = Path(__file__).resolve().parent.parent
TRADITIONAL = ("我的聯絡人被催收打電話了怎麼辦", "網貸逾期45天會被起訴嗎", "佢哋打俾我屋企人點算", "逾期3天 極融會怎樣")


@pytest.fixture()
def fresh_converters() -> Iterator[None]:
    """No converter loaded and no line remembered, before and after (the stored conversions as they were)."""
    stored = normalize._stored
    normalize._converter.cache_clear()
    normalize._line_to_traditional.cache_clear()
    yield
    normalize.use_stored(stored)
    normalize._converter.cache_clear()
    normalize._line_to_traditional.cache_clear()


def _load(engine: Any) -> conversions.Stored | None:
    """conversions.load as in a process that has loaded no converter yet (once one is, it returns None)."""
    normalize._converter.cache_clear()
    return conversions.load(engine)


def _stored_for(engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> conversions.Stored:
    """The conversions of ``engine``'s texts, made and stored now (as ``faq train`` makes them)."""
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    stored = conversions.store(engine)
    assert stored is not None
    return stored


def _installed(engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> conversions.Stored:
    """Stored conversions made for ``engine`` and installed, with no converter loaded (the conversions were
    just made with it), as in a process that started from them."""
    stored = _stored_for(engine, tmp_path, monkeypatch)
    normalize._converter.cache_clear()
    normalize.use_stored(stored)
    return stored


def test_a_traditional_reply_from_stored_conversions_loads_no_converter(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    _installed(engine, tmp_path, monkeypatch)
    replies = [engine.reply(text) for text in TRADITIONAL]
    assert all(reply.traditional for reply in replies)
    assert normalize._converter.cache_info().currsize == 0  # no converter was loaded
    # the same replies as OpenCC's own conversion
    normalize.use_stored(None)
    normalize._line_to_traditional.cache_clear()
    assert [engine.reply(text) for text in TRADITIONAL] == replies
    assert normalize._converter.cache_info().currsize > 0


def test_a_line_without_a_stored_conversion_is_converted_by_opencc(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    stored = _installed(engine, tmp_path, monkeypatch)
    line = "这条说明从来没有写进知识库里面"
    assert stored.line(line, "tw") is None
    expected = converters.traditional("s2twp").convert(line)
    assert to_traditional(line, "tw") == expected == "這條說明從來沒有寫進知識庫裡面"
    assert normalize._converter.cache_info().currsize == 1
    assert to_traditional("逾期45天 · 一般情况", "tw") == "逾期45天 · 一般情況"  # (OpenCC's too, now)


def test_stored_conversions_convert_exactly_as_opencc(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    """Every line of the knowledge base's texts, and lines joined at random from their parts, separators,
    day counts and other text: each line the stored parts convert is OpenCC's conversion of it."""
    stored = _stored_for(engine, tmp_path, monkeypatch)
    texts = list(conversions.reply_texts(engine))
    lines = [line for text in texts for line in text.split("\n")]
    rng = random.Random(3)
    parts = sorted(stored.parts)
    cut = conversions.cutter(stored.separators)
    separators = sorted({s for line in lines for s in cut.split(line)[1::2]} | {"1", "45", " · ", ":", "“\ue000”"})
    for _ in range(5_000):
        pieces = [rng.choice(parts)]
        for _ in range(rng.randint(0, 5)):
            pieces += [rng.choice(separators), rng.choice(parts)]
        lines.append("".join(pieces))
    lines += ["⿰氵青" + rng.choice(parts), "天台"]  # a description sequence, and a line of no stored part
    served = 0
    for line in lines:
        for key in conversions.VARIANTS:
            got = stored.line(line, key)
            if got is not None:
                served += 1
                assert got == normalize.convert_line(line, key), (key, line)
    assert served >= 3 * len(lines) - 6


def test_no_separator_is_a_character_of_a_dictionary_key_or_a_fix() -> None:
    characters = converters.key_characters()
    assert characters is not None and "·" in characters and "-" in characters  # (keys such as 馬丁·路德)
    ranges = conversions.separator_ranges(characters)
    for low, high in ranges:
        for point in range(low, high + 1):
            assert chr(point) not in characters
            assert not any(chr(point) in wrong for fixes in normalize._FIXES.values() for wrong in fixes)
    cut = conversions.cutter(ranges)
    assert cut.split("逾期45天 · 一般情况") == ["逾期", "45", "天", " ", "·", " ", "一般情况"]


def test_an_edited_text_is_converted_anew_and_the_others_are_read_back(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    before = _stored_for(engine, tmp_path, monkeypatch)
    first = engine.kb.intents[0]
    old_part = max(before.parts_of([first.answer]), key=len)
    new_part = "这句话是改过的答案里新写的一句"
    edited_intent = dataclasses.replace(first, answer=first.answer.replace(old_part, new_part))
    kb = dataclasses.replace(engine.kb, intents=(edited_intent, *engine.kb.intents[1:]))
    edited = SimpleNamespace(kb=kb, rates=engine.rates, complaints=engine.complaints, composed_texts=engine.composed_texts)
    converted: list[str] = []
    real = conversions._converted
    monkeypatch.setattr(conversions, "_converted", lambda part: converted.append(part) or real(part))
    after = conversions.store(edited)
    assert after is not None
    assert converted == [new_part]  # only the new line is converted; the others are read back
    assert old_part not in after.parts  # the stale line's conversion is not kept for the edited knowledge base
    line = next(line for line in edited_intent.answer.split("\n") if new_part in line)
    assert after.line(line, "tw") == normalize.convert_line(line, "tw")
    assert before.line(line, "tw") is None  # the conversions made before the edit never serve the edited line
    # a later start reads all of them back
    converted.clear()
    again = _load(edited)
    assert again is not None and converted == []
    assert again.line(line, "tw") == after.line(line, "tw")


def test_without_a_cache_directory_nothing_is_converted_at_load(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    with cache.shipped(None, "none"):  # and no shipped analysis: no conversions stored anywhere
        assert conversions.load(engine) is None
    assert normalize._converter.cache_info().currsize == 0


def test_once_a_converter_is_loaded_the_stored_conversions_are_let_go(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    stored = _installed(engine, tmp_path, monkeypatch)
    assert to_traditional("逾期一个多月 · 一般情况", "tw") == "逾期一個多月 · 一般情況"  # (a part not stored)
    assert normalize._stored is None and normalize.converter_loaded()
    normalize.use_stored(stored)  # (a later build: not installed, and none is made)
    assert normalize._stored is None
    assert conversions.load(engine) is None


class _Built:
    """What faq/conversions.py reads of an engine (an engine of an edited knowledge base, without building it)."""

    def __init__(self, engine: Engine, kb: Any) -> None:
        self.kb, self.rates, self.complaints, self.composed_texts = kb, engine.rates, engine.complaints, engine.composed_texts


def test_a_build_converts_nothing_and_the_first_reply_that_loads_a_converter_stores_what_it_lacked(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    """An empty cache directory and no shipped analysis (a first start of a knowledge base never trained): the
    build loads no converter and converts nothing; the first line that needs OpenCC loads it, and then every
    part is converted once and stored, so that the next start reads them all back and loads no converter."""
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    converted: list[str] = []
    real = conversions._converted
    monkeypatch.setattr(conversions, "_converted", lambda part: converted.append(part) or real(part))
    with cache.shipped(None, "none"):
        stored = conversions.load(engine)
    assert stored is not None and stored.pending is not None and not stored.parts
    assert converted == [] and not normalize.converter_loaded()
    assert not list(tmp_path.glob("conversions*"))
    normalize.use_stored(stored)
    assert to_traditional(engine.kb.intents[0].title, "tw") == normalize.convert_line(engine.kb.intents[0].title, "tw")
    assert normalize.converter_loaded() and normalize._stored is None
    assert list(tmp_path.glob("conversions*"))
    texts = list(conversions.reply_texts(engine))
    assert len(converted) == len(set(converted)) > 100  # every part once
    count = len(converted)
    normalize.use_stored(stored)  # (let go: a converter is loaded)
    to_traditional("另一行从来没有写进知识库", "hk")
    assert len(converted) == count  # (stored once, not again)
    # the next start reads them all back: a reply from them loads no converter and is OpenCC's
    converted.clear()
    normalize._converter.cache_clear()
    normalize._line_to_traditional.cache_clear()
    with cache.shipped(None, "none"):
        again = conversions.load(engine)
    assert again is not None and again.pending is None and converted == []
    lines = [line for text in texts for line in text.split("\n")]
    for key in conversions.VARIANTS:
        assert all(again.line(line, key) is not None for line in lines if not conversions._DESCRIPTION.search(line))
    assert not normalize.converter_loaded()
    sample = lines[::7]
    for key in conversions.VARIANTS:
        assert [again.line(line, key) for line in sample] == [normalize.convert_line(line, key) for line in sample]


def test_after_an_edit_only_the_new_part_is_converted_when_a_converter_loads(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    """A build of an edited knowledge base serves the parts it finds (here from the shipped analysis, which
    cannot be read once the build is over) and converts none; when a converter loads, only the new part is
    converted, and the entry then stored holds every part of the edited texts."""
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    first = engine.kb.intents[0]
    new_part = "这句话是改过以后才写进去的新说明"
    edited_intent = dataclasses.replace(first, answer=first.answer + "\n" + new_part)
    edited = _Built(engine, dataclasses.replace(engine.kb, intents=(edited_intent, *engine.kb.intents[1:])))
    converted: list[str] = []
    real = conversions._converted
    monkeypatch.setattr(conversions, "_converted", lambda part: converted.append(part) or real(part))
    with analysis_file.reading(engine.kb.path):
        stored = conversions.load(edited)  # type: ignore[arg-type]
    assert stored is not None and stored.pending is not None and converted == []
    assert stored.line(new_part, "tw") is None
    assert stored.line(first.title, "tw") is not None  # (read from the shipped analysis)
    normalize.use_stored(stored)
    assert to_traditional(new_part, "tw") == normalize.convert_line(new_part, "tw")
    assert converted == [new_part]
    normalize._converter.cache_clear()
    with cache.shipped(None, "none"):  # (the cache directory alone now holds them all)
        again = conversions.load(edited)  # type: ignore[arg-type]
    assert again is not None and again.pending is None
    assert again.line(new_part, "hk") == normalize.convert_line(new_part, "hk")
    assert again.line(first.title, "t") == normalize.convert_line(first.title, "t")


def test_without_a_cache_directory_nothing_is_left_to_store(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    """Stored conversions read from the shipped analysis with no cache directory carry nothing to store."""
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    with analysis_file.reading(engine.kb.path):
        stored = conversions.load(engine)
    assert stored is not None and stored.pending is None and stored.parts


def test_a_failure_to_store_what_was_lacking_never_fails_the_reply(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_converters: None
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    with cache.shipped(None, "none"):
        stored = conversions.load(engine)
    assert stored is not None and stored.pending is not None

    def failing(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(conversions, "store", failing)
    normalize.use_stored(stored)
    line = "一行不在知识库里的说明"
    assert to_traditional(line, "tw") == normalize.convert_line(line, "tw")
    assert stored.pending is None
