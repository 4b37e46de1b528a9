"""The shipped pinyin table (faq/pinyin.py) reads every character and word as pypinyin does."""

from __future__ import annotations

import os

import yaml

from faq import pinyin
from faq.engine import DEFAULT_KB_PATH
from faq.normalize import normalize

os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")  # (as the engine read it: one character at a time)

from pypinyin import Style, lazy_pinyin
from pypinyin import pinyin as pypinyin_pinyin


def test_the_shipped_table_is_what_the_installed_pypinyin_reads() -> None:
    assert pinyin.TABLE.read_text(encoding="utf-8").splitlines() == pinyin.build()


def test_characters_read_as_pypinyin_reads_them_in_and_beyond_its_dictionary() -> None:
    chars = [chr(code) for code in range(0x3000, 0xA000)] + list("a1，😭é〇𠀀𪚥")
    for char in chars:
        expected = pypinyin_pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
        assert pinyin.readings(char) == (tuple(expected[0]) if expected else ()), char
        usual = lazy_pinyin(char, errors="ignore")
        assert pinyin.usual_reading(char) == (usual[0] if usual else None), char


def test_words_read_as_pypinyin_reads_them() -> None:
    doc = yaml.safe_load(DEFAULT_KB_PATH.read_text(encoding="utf-8"))
    texts = [q for intent in doc["intents"] for q in intent["questions"]]
    texts += [q for group in doc.get("out_of_scope") or () for q in group["questions"]]
    crisis = doc["crisis"]
    texts += [cue for kind in ("direct", "indirect", "means", "goodbye", "not_crisis", "distress") for cue in crisis[kind]]
    texts += ["", "abc", "逾期3天 會被起訴嗎？", "bu想活了", "还钱", "〇〇七"]
    assert len(texts) > 2000
    for text in [*texts, *map(normalize, texts)]:
        expected = [tuple(r) for r in pypinyin_pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore")]
        assert pinyin.word_readings(text) == expected, text
