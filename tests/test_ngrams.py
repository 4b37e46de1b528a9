"""The n-gram model's per-message reading: the character n-grams (built by joining characters) are every slice in
order, and the TF-IDF vector is the plain n-gram-by-n-gram computation's, to the last bit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from faq import bench
from faq.engine import Engine
from faq.ngrams import _WORD, NgramModel, _char_grams, _Vector

#: Han characters, Latin letters, digits and spaces (a chunk is what lies between spaces).
_TEXT = st.text(alphabet=st.sampled_from(list("逾期催收征信还款了吗 abc12 ")), max_size=40)


def _sliced_grams(normalized: str) -> list[str]:
    """The character 1-3-grams of every chunk padded with a space, by slicing at every position."""
    out: list[str] = []
    for chunk in normalized.split():
        padded = f" {chunk} "
        out += chunk
        out += [padded[k : k + 2] for k in range(len(padded) - 1)]
        out += [padded[k : k + 3] for k in range(len(padded) - 2)]
    return out


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_the_character_grams_are_every_slice_in_order(text: str) -> None:
    assert _char_grams(text) == _sliced_grams(text)


def _plain_vector(model: NgramModel, normalized: str, tokens: list[str]) -> _Vector:
    """The vector computed in plain Python, n-gram by n-gram (the computation NgramModel.vector replaced)."""
    idf = model.idf.tolist()
    ids: list[int] = []
    weights: list[float] = []
    for channel in (_sliced_grams(normalized), [_WORD + t for t in tokens if t.strip()]):
        counted: dict[int, int] = {}
        for k in model._ids(channel):
            counted[k] = counted.get(k, 0) + 1
        counted.pop(-1, None)
        if not counted:
            continue
        values = [idf[k] if tf == 1 else (1.0 + math.log(tf)) * idf[k] for k, tf in counted.items()]
        norm = math.sqrt(sum([w * w for w in values]))
        ids += counted
        weights += [w / norm for w in values]
    return _Vector(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64))


def test_the_vector_is_the_plain_computations_to_the_last_bit(engine: Engine) -> None:
    """Over the bench's messages (a day count added: n-grams seen twice), a few with several chunks or nothing
    known, and some examples of the knowledge base."""
    analyzer, model = engine.analyzer, engine.matcher.ngrams
    texts = [*bench.batch_messages(engine, 400), "", "   ", "zzzz qqqq", "逾期 逾期 逾期 三天", "催收 催收"]
    texts += list(engine.matcher.examples[::50])
    repeated = 0
    for text in texts:
        stripped = analyzer.strip_incidental(text)
        tokens = analyzer.tokens_of_stripped(stripped)
        got, expected = model.vector(stripped, tokens), _plain_vector(model, stripped, tokens)
        assert got.ids.dtype == np.int64 and got.weights.dtype == np.float64
        assert got.ids.tolist() == expected.ids.tolist(), text
        assert got.weights.tobytes() == expected.weights.tobytes(), text
        repeated += len(set(_char_grams(stripped))) < len(_char_grams(stripped))
    assert repeated > 50  # the weights of n-grams seen more than once were compared too
