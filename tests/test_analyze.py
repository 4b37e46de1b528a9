"""The analyser's start-up economies: jieba's HMM tables are never loaded by the engine, and still work when
something asks for them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq.analyze import MIN_WORD_FREQUENCY, Analyzer, _dictionary, read_dictionary
from faq.engine import Engine

_PROBE = """
import sys
from faq.engine import Engine
engine = Engine.load()
for text in ("逾期3天会怎样", "拖了12天了会打给我老公吗", "極融逾期多久會聯繫緊急聯絡人", "cuishou da dianhua"):
    engine.reply(text)
print(type(sys.modules["jieba.finalseg"]).__name__)
tokenizer = engine.analyzer.tokenizer
print("/".join(tokenizer.lcut("他来到了网易杭研大厦", HMM=False)))
print("/".join(tokenizer.lcut("他来到了网易杭研大厦", HMM=True)))
print(type(sys.modules["jieba.finalseg"]).__name__)
"""


def test_replies_never_load_the_hmm_and_hmm_still_works_on_demand() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True, timeout=120
    ).stdout.split()
    assert out[0] == "_LazyHMM"  # replies segment with HMM=False only: the tables stay on disk
    assert "杭研" not in out[1].split("/")  # without the HMM an unknown word stays in pieces
    assert "杭研" in out[2].split("/")  # asked for, the HMM is imported and guesses the word
    assert out[3] == "module"


def test_analysed_examples_are_cached_interned_and_a_corrupt_cache_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    texts = ["逾期了会爆通讯录吗", "催收打电话给我爸妈", "逾期了会不会上征信"]
    analyzer = Analyzer(texts, {"爸妈": "父母"})
    assert analyzer.tokenizer.blocks  # the runs segmented for the vocabulary are remembered for the examples
    first = analyzer.tokens_of_all(texts)
    assert analyzer.tokenizer.blocks is None  # ... and let go once they are read: messages are cut afresh
    assert first == [analyzer.tokens(t) for t in texts]
    (stored,) = tmp_path.glob("tokens-*.marshal")
    again = analyzer.tokens_of_all(texts)  # read back from the file
    assert again == first
    assert again[0][0] is again[2][0] is sys.intern("逾期")  # one string per word, shared
    stored.write_bytes(b"not marshal")
    assert analyzer.tokens_of_all(texts) == first


def test_the_reduced_jieba_dictionary_reads_back_from_its_cache_as_it_was_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faq import jieba_words

    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    shipped = _dictionary()  # the shipped table, current: nothing written to the cache
    assert not list(tmp_path.glob("dictionary-*.marshal"))
    monkeypatch.setattr(jieba_words, "FILE", tmp_path / "missing.table")  # (another jieba's table: built)
    built = _dictionary()
    assert built == shipped
    (stored,) = tmp_path.glob("dictionary-*.marshal")
    assert _dictionary() == built  # read back: the same words, prefixes, counts and total
    assert built[0]["逾期"] > 0 and built[0]["通讯"] >= 0 and "通" in built[0]
    stored.write_bytes(b"\x00broken")
    assert _dictionary() == built


_ANALYZER = Analyzer(["逾期了会爆通讯录吗", "催收打电话给我爸妈", "12378投诉有用吗"], {"爸妈": "父母"})
_PLAIN = jieba.Tokenizer()  # jieba itself, over the same words: the reference
_PLAIN.FREQ = {**_ANALYZER.tokenizer.FREQ.base, **dict(_ANALYZER.tokenizer.FREQ)}
_PLAIN.total = _ANALYZER.tokenizer.total
_PLAIN.initialized = True
_PIECES = st.sampled_from(
    ["逾期", "爆通讯录", "催收", "打电话", "征信", "我", "了", "吗", "abc", "12378", "3", "x", " ", "\t", "\r\n",
     ",", "。", "?", "😭", "+", "#", "&", ".", "_", "%", "-", "ａ", "網貸", "一个月", "通迅录", "緊急聯絡人"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES | st.characters(), max_size=30).map("".join))
def test_the_tokenizer_segments_exactly_as_jieba_without_hmm(text: str) -> None:
    assert _ANALYZER.tokenizer.words(text) == _PLAIN.lcut(text, HMM=False)
    assert _ANALYZER.tokenizer.lcut(text, HMM=False) == _PLAIN.lcut(text, HMM=False)


def test_fuzzy_spelling_is_one_left_to_right_pass_of_each_rule() -> None:
    """_fuzzy's plain replacements give what the two regular expressions they replaced gave, for every
    spelling up to five letters made of the letters the rules read (and a few longer ones)."""
    import itertools
    import re

    from faq.analyze import _fuzzy

    initials, finals = re.compile(r"(zh|ch|sh)"), re.compile(r"(an|en|in)g")

    def by_regex(key: str) -> str:
        return finals.sub(r"\1", initials.sub(lambda m: m.group(1)[0], key))

    keys = ["".join(t) for n in range(1, 6) for t in itertools.product("zchsaegni", repeat=n)]
    keys += ["zhuangshang", "chengxinshi", "xiangang", "shenqing", "tousu", "tongxunlu"]
    assert [k for k in keys if _fuzzy(k) != by_regex(k)] == []


def _dictionary_line_by_line(text: str) -> tuple[dict[str, int], int]:
    """jieba's dictionary read one line at a time, as it was before faq.analyze.read_dictionary (the reference)."""
    freq: dict[str, int] = {}
    total = 0
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 2:
            continue
        word, count = parts[0], int(parts[1])
        if count < MIN_WORD_FREQUENCY:
            continue
        freq[word] = count
        total += count
        for end in range(1, len(word)):
            freq.setdefault(word[:end], 0)
    return freq, total


def test_the_reduced_dictionary_is_read_exactly_as_line_by_line() -> None:
    text = (Path(jieba.__file__).resolve().parent / "dict.txt").read_text(encoding="utf-8")
    fast, slow = read_dictionary(text), _dictionary_line_by_line(text)
    assert fast == slow and list(fast[0]) == list(slow[0])  # the same words, counts, order and total
    edges = "甲乙丙 5 n\n甲 4 n\n乙丙 05 v\n丁 10\n戊己 3\n甲乙丙 7 n\n庚 100000 x\n辛 -9 n\n壬 50"
    assert read_dictionary(edges) == _dictionary_line_by_line(edges)
    assert read_dictionary(edges)[0]["甲"] == 0 and read_dictionary(edges)[1] == 5 + 5 + 10 + 7 + 100000 + 50


def test_the_shipped_jieba_table_is_what_building_it_gives_and_only_for_its_dictionary(tmp_path: Path) -> None:
    from faq import analyze, jieba_words

    raw = analyze.jieba_dictionary_path().read_bytes()
    built = analyze.read_dictionary(raw.decode("utf-8"))
    table_key = jieba_words.key(raw, analyze.MIN_WORD_FREQUENCY)
    shipped = jieba_words.read(table_key)
    assert shipped is not None
    assert shipped[1] == built[1] and list(shipped[0].items()) == list(built[0].items())
    assert jieba_words.read(jieba_words.key(raw + "新词 100 n\n".encode(), analyze.MIN_WORD_FREQUENCY)) is None  # another jieba
    assert jieba_words.read(jieba_words.key(raw, analyze.MIN_WORD_FREQUENCY + 1)) is None
    for damaged in (jieba_words.FILE.read_bytes()[:1000], jieba_words.FILE.read_bytes()[:-1], b"", b"\x00broken"):
        (tmp_path / "words.table").write_bytes(damaged)
        assert jieba_words.read(table_key, tmp_path / "words.table") is None
    assert jieba_words.read(table_key, tmp_path / "missing.table") is None


def test_a_word_half_in_pinyin_reads_as_the_word_keeping_its_character(engine: Engine) -> None:
    """"网dai" / "cui收": one character and the syllable glued to it are the knowledge base's word (acc14);
    an English word or an abbreviation glued to a character stays as it was."""
    tokens = engine.matcher.analyzer.tokens
    assert "网贷" in tokens("欠的网dai太多了")
    assert "催收" in tokens("cui收说明天来")
    assert "app" in tokens("那个借钱app打不开")
    assert "征信" in tokens("这样会上zx吗")


def test_a_typo_window_never_spans_the_readers_space(engine: Engine) -> None:
    """"怎么改 欠..." is 改 then 欠, not the homophone 改签 read across the space (acc14)."""
    tokens = engine.matcher.analyzer.tokens("紧急联系人怎么改 欠三期没还")
    assert "改签" not in tokens and "改" in tokens


def test_the_end_of_a_loans_name_is_no_borrowing_verb(engine: Engine) -> None:
    """"车贷下周到期" keeps 车贷 (贷下 is no "borrowed"); "贷了" after nothing else still is (acc14)."""
    analyzer = engine.matcher.analyzer
    assert analyzer.tokens("车贷下周到期 钱还不够")[:3] == ["车贷", "下周", "到期"]
    assert "贷" not in analyzer.tokens("我贷了一笔 现在还不上")


def test_english_words_for_due_dates_jail_and_an_emergency_contact(engine: Engine) -> None:
    tokens = engine.matcher.analyzer.tokens
    assert "到期" in tokens("两笔 loan 同一天 due")
    assert "坐牢" in tokens("会 go to jail 吗")
    assert "紧急联系人" in tokens("他把我填成 emergency contact 了")


def test_a_phrase_in_pinyin_reads_word_by_word(engine: Engine) -> None:
    """A message typed in pinyin: one syllable is the character it usually stands for ("hui bu hui da gei"), a
    longer word the knowledge base's word most of its examples use ("yuqi" is 逾期, not 语气); syllables join
    into another word only when that word is theirs ("zuo lao" 坐牢, "ba ma" 爸妈, never "hui da" 回答); a run
    of English words that are also syllables stays English."""
    tokens = engine.matcher.analyzer.tokens
    assert tokens("yuqi le hui bu hui bei qisu")[:1] == ["逾期"] and "起诉" in tokens("yuqi le hui bu hui bei qisu")
    read = tokens("ta men hui da gei wo ba ma ma")
    assert "回答" not in read and "家人" in read and not any(t.isascii() for t in read)
    assert "坐牢" in tokens("huan bu qi hui zuo lao ma")
    assert tokens("can he call me") == ["电话"]


def test_finding_someone_is_no_homophone_typo(engine: Engine) -> None:
    """找人 stays itself (找's rare reading hua made it 华人)."""
    assert "找人" in engine.matcher.analyzer.tokens("扬言找人上门收拾你")
