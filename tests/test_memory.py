"""What an engine keeps, and what two engines (a /reload) share, leave every answer as it was."""

from __future__ import annotations

import gc
import json
import shutil
import weakref
from pathlib import Path

import numpy as np
import pytest
from shipped_kb import written_question

from faq import matcher as matcher_module
from faq import memory
from faq import normalize as normalize_module
from faq.crisis_model import CrisisModel
from faq.engine import DEFAULT_KB_PATH, Engine
from faq.kb import load_knowledge_base
from faq.matcher import Matcher
from faq.normalize import normalize, normalize_example


def test_leave_one_out_gets_the_released_ngram_counts_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # its own model, not shared with the session's engines (theirs may have the counts back already)
    monkeypatch.setattr(matcher_module, "_live_ngrams", weakref.WeakValueDictionary())
    matcher = Engine.load(DEFAULT_KB_PATH).matcher
    assert matcher.ngrams._counts is None  # released once the scorer was trained
    monkeypatch.setattr(matcher_module, "_live_ngrams", weakref.WeakValueDictionary())
    fresh = matcher._ngram_model()  # the model as built (or cached), counts kept
    assert fresh is not matcher.ngrams
    texts = ["催收打电话给我爸妈怎么办", "逾期会坐牢吗", "征信多久能恢复"]
    for i, text in enumerate(texts):
        ranking = matcher.rank(normalize(text), exclude=i * 7, forget_words=True)
        assert ranking and ranking[0].score > 0
    assert matcher.ngrams._counts is not None
    assert np.array_equal(matcher.ngrams.counts, fresh.counts)
    # and a matcher less one example (the other leave-one-out) reads them too
    smaller = matcher.without(3)
    assert isinstance(smaller, Matcher) and smaller.rank(normalize(texts[0]))


def test_two_engines_share_the_crisis_model_while_its_file_is_the_same(tmp_path: Path) -> None:
    model_file = DEFAULT_KB_PATH.parent / "crisis_model.json"
    first, again = CrisisModel.load(model_file), CrisisModel.load(model_file)
    assert first is again
    copy = tmp_path / "crisis_model.json"
    shutil.copy(model_file, copy)
    other = CrisisModel.load(copy)  # another file: its own model, the same weights
    assert other is not first and np.array_equal(other.weights, first.weights)
    copy.write_text(copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert CrisisModel.load(copy) is not other  # the file changed: decoded again


def test_a_decoded_crisis_model_is_read_back_from_the_cache_as_it_was_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path / "cache"))
    model_file = DEFAULT_KB_PATH.parent / "crisis_model.json"
    decoded = CrisisModel.from_json(json.loads(model_file.read_text(encoding="utf-8")))
    first = CrisisModel.load(shutil.copy(model_file, tmp_path / "a.json"))  # decoded, and kept in the cache
    (stored,) = (tmp_path / "cache").glob("crisis-model-*.marshal")
    again = CrisisModel.load(shutil.copy(model_file, tmp_path / "b.json"))  # another path: read from the cache
    assert again is not first
    for model in (first, again):
        assert model.to_json() == decoded.to_json()
        assert np.array_equal(model.weights, decoded.weights) and model.weights.dtype == decoded.weights.dtype
        assert dict(model.vocabulary.items()) == dict(decoded.vocabulary.items())
        probe = ["不想活了", "催收", "活", "x"]
        assert [model.vocabulary.get(k, -1) for k in probe] == [decoded.vocabulary.get(k, -1) for k in probe]
    stored.write_bytes(b"not marshal")  # a corrupt cache is a miss: the file is decoded again
    third = CrisisModel.load(shutil.copy(model_file, tmp_path / "c.json"))
    assert third.to_json() == decoded.to_json()


def test_release_gives_memory_back_without_changing_answers(engine: Engine) -> None:
    before = engine.reply("逾期三天会爆通讯录吗").to_json()
    memory.release()
    assert engine.reply("逾期三天会爆通讯录吗").to_json() == before


def test_calibration_computing_the_features_again_learns_the_same_model(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large knowledge base calibration computes the training messages' features again instead of
    keeping them (Matcher.train): the same model, bit for bit, as keeping them."""
    from faq import matcher as matcher_module

    matcher = engine.matcher
    monkeypatch.setattr(matcher, "model", matcher.model)  # (training replaces it: the session's engine gets it back)
    kept = matcher.train()
    assert kept.weights == matcher.model.weights and kept.calibration[2] > 0
    monkeypatch.setattr(matcher_module, "HELD_FEATURES_BUDGET", 0)
    again = matcher.train()
    assert again == kept


def test_question_lines_are_the_lines_of_the_examples_in_the_file() -> None:
    from faq.kb import Lines, load_knowledge_base

    kb = load_knowledge_base(DEFAULT_KB_PATH)
    lines = DEFAULT_KB_PATH.read_text(encoding="utf-8").split("\n")
    for intent in kb.intents:
        assert isinstance(intent.question_lines, Lines)
        assert len(intent.question_lines) == len(intent.questions)
        for question, line in zip(intent.questions, intent.question_lines, strict=True):
            assert question in lines[line - 1]  # the line (1-based) that holds the example
    first = kb.intents[0].question_lines
    assert first == tuple(first) and hash(first) == hash(tuple(first)) and first[:2] == Lines(list(first)[:2])
    assert first != tuple(first)[:-1]


def test_the_ngram_models_two_idf_forms_are_one_buffer_and_survive_the_cache() -> None:
    from faq.ngrams import NgramModel

    model = Engine.load(DEFAULT_KB_PATH).matcher.ngrams
    for m in (model, NgramModel.from_state(model.state(counts=False))):
        assert np.shares_memory(m.idf, np.frombuffer(m._idf, dtype=np.float64))
        assert m.idf.tolist() == model.idf.tolist() == list(m._idf)


def test_the_ngram_model_is_read_back_from_its_cache_entry_as_it_was_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faq import cache
    from faq.matcher import _NGRAM_KIND
    from faq.ngrams import _ARRAYS

    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    # (each engine's own model: not shared with another matcher of the same examples alive in this process)
    monkeypatch.setattr(matcher_module, "_live_ngrams", weakref.WeakValueDictionary())
    # (Engine(kb), not Engine.load: the analysis shipped beside the knowledge base is not read)
    built = Engine(load_knowledge_base(DEFAULT_KB_PATH)).matcher  # builds and saves the model (an empty cache)
    [entry] = tmp_path.glob(f"{_NGRAM_KIND}-*.marshal")
    monkeypatch.setattr(matcher_module, "_live_ngrams", weakref.WeakValueDictionary())
    again = Engine(load_knowledge_base(DEFAULT_KB_PATH)).matcher  # reads it
    assert again.ngrams is not built.ngrams
    for name in _ARRAYS:
        if name != "counts":
            assert np.array_equal(getattr(again.ngrams, name), getattr(built.ngrams, name)), name
            assert getattr(again.ngrams, name).dtype == getattr(built.ngrams, name).dtype, name
    assert list(again.ngrams._idf) == list(built.ngrams._idf)
    grams = ["逾", "逾期", " 逾", "\x00逾期", "没有的词"]
    assert again.ngrams._ids(grams) == built.ngrams._ids(grams)
    text = normalize("催收打电话给我爸妈怎么办")
    assert [(r.owner, r.score) for r in again.rank(text)] == [(r.owner, r.score) for r in built.rank(text)]
    # a truncated or foreign entry is a miss, never an error
    key = again._ngram_digest
    data = entry.read_bytes()
    assert cache.load_with_blobs(_NGRAM_KIND, key) is not None
    entry.write_bytes(data[:-1])
    assert cache.load_with_blobs(_NGRAM_KIND, key) is None
    entry.write_bytes(data + b"\0")
    assert cache.load_with_blobs(_NGRAM_KIND, key) is None


def test_a_knowledge_base_read_again_holds_the_questions_of_the_one_still_alive(tmp_path: Path) -> None:
    import gc

    from faq.kb import load_knowledge_base

    first = load_knowledge_base(DEFAULT_KB_PATH)
    again = load_knowledge_base(DEFAULT_KB_PATH)  # a /reload while `first` still serves
    assert again == first
    pairs = [
        (a, b)
        for old, new in zip([*first.intents, *first.out_of_scope], [*again.intents, *again.out_of_scope], strict=True)
        for a, b in zip(old.questions, new.questions, strict=True)
    ]
    assert pairs and all(a is b for a, b in pairs)
    # An edited question is read as written; the others are still shared.
    text = DEFAULT_KB_PATH.read_text(encoding="utf-8")
    question = first.intents[0].questions[0]
    edited = tmp_path / "intents.yaml"
    edited.write_text(text.replace(written_question(text, question), f"- {question}呢\n", 1), encoding="utf-8")
    shutil.copy(DEFAULT_KB_PATH.with_name("crisis_model.json"), tmp_path / "crisis_model.json")
    changed = load_knowledge_base(edited)
    assert changed.intents[0].questions[0] == question + "呢"
    assert changed.intents[0].questions[1] is first.intents[0].questions[1]
    # Once no knowledge base read before is alive, nothing is shared (and nothing is kept for sharing).
    kept = first.intents[0].questions[1]
    del first, again, changed, pairs
    gc.collect()
    fresh = load_knowledge_base(DEFAULT_KB_PATH)
    assert fresh.intents[0].questions[1] == kept and fresh.intents[0].questions[1] is not kept


def test_the_ngram_models_counting_sort_of_pieces_is_the_stable_sort_of_them_joined() -> None:
    from itertools import pairwise

    from faq.ngrams import _by_gram, _placed

    rng = np.random.default_rng(5)
    owners, grams = [], []
    for owner in range(40):  # postings in order of owner, then n-gram (one per n-gram and owner)
        used = np.sort(rng.choice(300, size=int(rng.integers(0, 60)), replace=False))
        owners += [owner] * len(used)
        grams += used.tolist()
    gram_ids = np.array(grams, dtype=np.int32)
    owner_ids = np.array(owners, dtype=np.int16)
    values = rng.random(len(gram_ids)).astype(np.float32)
    cuts = [0, 7, 7, 400, len(gram_ids)]  # pieces of any length (one empty, one cutting an owner in two)
    pieces = [gram_ids[lo:hi] for lo, hi in pairwise(cuts)]
    owner_pieces = [owner_ids[lo:hi] for lo, hi in pairwise(cuts)]
    bounds, places = _by_gram(pieces, owner_pieces, 300)
    assert pieces == []
    order = np.argsort(gram_ids, kind="stable")
    assert bounds.tolist() == np.searchsorted(gram_ids[order], np.arange(301)).tolist()
    value_pieces = [values[lo:hi] for lo, hi in pairwise(cuts)]
    assert np.array_equal(_placed(value_pieces, places, np.float32), values[order]) and value_pieces == []
    assert np.array_equal(_placed(owner_pieces, places, np.int16), owner_ids[order])


def test_an_ngram_used_more_than_255_times_in_one_example_is_counted_in_full() -> None:
    from faq.ngrams import NgramModel

    texts = ["啊" * 300 + " 好", "好 的", "啊 好"]
    tokens = [["啊", "好"], ["好", "的"], ["啊", "好"]]
    model = NgramModel(texts, tokens, np.array([0, 1, 2]), 3)
    vector = model.vector(texts[0], tokens[0])  # weighed in Python from its counts (1 + log 300 for 啊)
    mine = np.flatnonzero(model.posting_owner == 0)  # owner 0 has that one example: its counts are its weights
    grams = np.repeat(np.arange(len(model.bounds) - 1), np.diff(model.bounds))[mine]
    by_gram = dict(zip(grams.tolist(), model.counts[mine].tolist(), strict=True))
    assert sorted(by_gram) == sorted(vector.ids.tolist())
    for gram, weight in zip(vector.ids.tolist(), vector.weights.tolist(), strict=True):
        assert by_gram[gram] == pytest.approx(weight, rel=1e-6)


def test_two_engines_of_the_same_examples_share_their_ngram_model(tmp_path: Path) -> None:
    """A /reload of an unchanged file: the new engine uses the serving engine's n-gram model (read-only), and
    its leave-one-out counts still come back once the first engine is gone."""
    first = Engine.load(DEFAULT_KB_PATH)
    second = Engine.load(DEFAULT_KB_PATH)
    assert second.matcher.ngrams is first.matcher.ngrams
    texts = ["催收打电话给我爸妈怎么办", "逾期会坐牢吗", "征信多久能恢复"]
    replies = [first.reply(text).text for text in texts]
    del first
    gc.collect()
    assert [second.reply(text).text for text in texts] == replies
    matcher = second.matcher
    ranking = matcher.rank(normalize(texts[0]), exclude=5, forget_words=True)
    assert ranking and ranking[0].score > 0 and matcher.ngrams._counts is not None
    edited = tmp_path / "intents.yaml"
    text = DEFAULT_KB_PATH.read_text(encoding="utf-8")
    edited.write_text(text, encoding="utf-8")
    for name in ("crisis_model.json", "rate.yaml", "complaints.yaml"):
        if (DEFAULT_KB_PATH.parent / name).exists():
            shutil.copy(DEFAULT_KB_PATH.parent / name, tmp_path / name)
    other = Engine.load(edited)
    assert other.matcher.ngrams is matcher.ngrams  # the same examples elsewhere: the same model


def test_pruning_gives_the_same_vocabulary_and_entries_when_hashes_share_their_low_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first pass keeps a hash's low bits only: n-grams sharing them enter the vocabulary and are dropped by
    the exact count. With 8 bits most n-grams share them; runs of 7 examples end inside the knowledge base."""
    from faq import ngrams

    matcher = Engine.load(DEFAULT_KB_PATH).matcher
    texts = [matcher._ngram_text(e) for e in matcher.examples]
    exact = ngrams._counted(texts, matcher.token_lists, prune=True)  # (below PREFILTER_FROM: no first pass)
    monkeypatch.setattr(ngrams, "PREFILTER_FROM", 0)
    monkeypatch.setattr(ngrams, "_HASH_MASK", 0xFF)
    monkeypatch.setattr(ngrams, "_COUNT_RUN", 7)
    handed_over = list(texts)
    collided = ngrams._counted(handed_over, matcher.token_lists, prune=True, consume=True)
    assert handed_over == []  # (each text let go as it was read)
    assert isinstance(exact[0], list) and exact[0] == collided[0]
    for mine, theirs in zip(map(np.asarray, exact[1:]), map(np.asarray, collided[1:]), strict=True):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)


def test_examples_are_normalised_as_messages_are_without_filling_the_message_caches() -> None:
    texts = [
        "逾期會被起訴嗎？？",
        "ＡＢＣ 贷款 😭😭 5000元",
        "催收__打电话\t给我爸妈",
        "唔還錢會點樣",
        b"\xe9\x80\xbe\xe6\x9c\x9f\xff3\xe5\xa4\xa9",
        None,
        "x" * 700,
    ]
    normalize_module.to_simplified.cache_clear()
    normalize_module._normalized.cache_clear()
    once = [normalize_example(text) for text in texts]
    assert normalize_module.to_simplified.cache_info().currsize == 0
    assert normalize_module._normalized.cache_info().currsize == 0
    assert once == [normalize(text) for text in texts]
    assert normalize_example("x" * 700, limit=20) == normalize("x" * 700, limit=20) == "x" * 20


def test_pruning_without_the_hash_pass_gives_the_same_vocabulary_and_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    from faq import ngrams

    matcher = Engine.load(DEFAULT_KB_PATH).matcher
    texts = [matcher._ngram_text(e) for e in matcher.examples]
    one_pass = ngrams._counted(texts, matcher.token_lists, prune=True)
    monkeypatch.setattr(ngrams, "PREFILTER_FROM", 0)
    two_passes = ngrams._counted(texts, matcher.token_lists, prune=True)
    assert isinstance(one_pass[0], list) and one_pass[0] == two_passes[0]  # (pruned: the n-grams in id order)
    assert len(one_pass[0]) < len(ngrams._counted(texts, matcher.token_lists, prune=False)[0])
    for mine, theirs in zip(map(np.asarray, one_pass[1:]), map(np.asarray, two_passes[1:]), strict=True):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)


def test_the_ngram_entries_counted_by_sorting_are_each_segments_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    """_counted's entries below PREFILTER_FROM (one stable sort per run of examples) are what a Counter of each
    segment's n-grams (:func:`faq.ngrams.grams`) gives: its keys in order, numbered where first met, its counts,
    across runs of examples (a run of 3 here) and with a count over 255."""
    from collections import Counter

    from faq import ngrams

    monkeypatch.setattr(ngrams, "_ENTRY_TEXTS", 3)
    rng = np.random.default_rng(9)
    letters = list("还款逾期催收利息 ab")
    texts = ["".join(rng.choice(letters, size=int(rng.integers(0, 25)))) for _ in range(40)]
    texts += ["", "哦" * 300 + " 好"]
    tokens = [[str(t) for t in rng.choice(["还款", "逾期", " ", "利息", "a"], size=int(rng.integers(0, 5)))] for _ in texts]
    vocabulary, flat_ids, bounds, tf, df = ngrams._counted(texts, tokens, prune=False)
    assert isinstance(vocabulary, dict) and tf.typecode == "i"  # (a count over 255: four bytes each)
    numbering: dict[str, int] = {}
    expected_ids: list[int] = []
    expected_tf: list[int] = []
    expected_bounds = [0]
    for text, words in zip(texts, tokens, strict=True):
        for counted in ngrams.grams(text, words):
            expected_ids += [numbering.setdefault(gram, len(numbering)) for gram in counted]
            expected_tf += counted.values()
            expected_bounds.append(len(expected_ids))
    assert vocabulary == numbering
    assert flat_ids.tolist() == expected_ids and tf.tolist() == expected_tf and bounds.tolist() == expected_bounds
    assert df.tolist() == [float(n) for n in np.bincount(expected_ids, minlength=len(numbering)).tolist()]
    assert Counter(expected_tf)[300] == 1


def test_garbage_collection_is_paused_while_an_engine_is_built_and_restored_after() -> None:
    assert gc.isenabled()
    with memory.collection_paused():
        assert not gc.isenabled()
        with memory.collection_paused():  # (overlapping builds: on again when the last one ends)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), memory.collection_paused():
        raise RuntimeError("a build that fails")
    assert gc.isenabled()
    gc.disable()
    try:
        with memory.collection_paused():
            pass
        assert not gc.isenabled()  # (off before: left off)
    finally:
        gc.enable()
