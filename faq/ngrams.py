"""A class-level character n-gram model of the knowledge base: multinomial naive Bayes over TF-IDF.

The matcher's other features compare a message with one example at a time (the best example of each
owner). What a plain text classifier sees is different: the n-grams of *all* of an owner's examples
together, each weighted by how rare it is. This model gives the matcher that view as one more feature
per owner: the posterior P(owner | message) of a multinomial naive Bayes classifier over

* character 1-3-grams of every space-separated chunk of the normalised text, padded with a space at
  both ends (what scikit-learn calls ``char_wb``), and
* the analyser's canonical words (so synonyms, Cantonese and repaired typos count as the words they
  stand for),

each channel TF-IDF weighted (sublinear tf, smoothed idf) and L2-normalised per example, like the
logistic-regression baseline of ``faq eval`` reads them. Naive Bayes is chosen because it is trained by
counting (numpy only, milliseconds) and because leaving one example out is exact and cheap: only its
own owner's counts change. The matcher's combiner is trained on rows where the message's own example is
left out of this model too (:meth:`NgramModel.scores` with ``exclude``), so it learns how far to trust
the feature on messages the model has not seen (the idf is kept from all examples: a small leak).

Cost per message: the n-grams of the message (a few dozen dictionary look-ups), one ``bincount`` over
the owners that use them, and a softmax over the owners.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, compress, islice, pairwise, repeat
from typing import Any

import numpy as np

from faq import memory
from faq.compact import StringIndex

#: Bump when the n-grams, weighting or model change, so that cached models are not reused.
VERSION = "nb-3"
#: The model's arrays (what :meth:`NgramModel.state` keeps besides the vocabulary).
_ARRAYS = (
    "idf",
    "owner_of",
    "totals",
    "log_denominator",
    "examples_per_owner",
    "log_prior",
    "counts",
    "posting_owner",
    "posting_gain",
    "bounds",
)
#: Additive (Lidstone) smoothing of the per-owner n-gram distribution.
ALPHA = 0.05
#: Word-channel entries are kept apart from character n-grams by this prefix.
_WORD = "\x00"
#: From this many examples, n-grams found in one example only are left out: they cannot help that example
#: once it is left out and rarely help a new message, and at 50k examples they are most of the vocabulary
#: (memory, and the time to build it). Below it (the shipped knowledge base) every n-gram counts.
PRUNE_FROM = 5_000
#: From this many examples, pruning first reads every n-gram's hash (a pass of its own over the examples), so
#: that the vocabulary never holds the n-grams found in one segment only (at 50k examples most of them: ~30 MB
#: more while it is built). Below it the vocabulary holds every n-gram at first and those of one segment are
#: dropped at the end: the same vocabulary, ids and entries, one pass less (~0.06 s of a first start at
#: 5,000 examples, ~0.3 s at 10k, where the counting then peaks ~14 MB higher: 25 instead of 10.5 MB traced;
#: 10,000 until 2026-11-27's sixth session).
PREFILTER_FROM = 20_000
#: Entries read at a time by the steps over every entry of _counted (1-2 MB of temporaries a run).
_ENTRY_RUN = 1 << 18
#: The n-gram model is built a run of whole owners of about this many entries at a time (see _postings).
_CHUNK_ENTRIES = 65_536
#: While those runs are read (a large model), the pages their entries took are given back every this many runs.
_TRIM_EVERY_RUNS = 4
#: The bits of an n-gram's hash the pruning's first pass keeps (see _counted).
_HASH_MASK = 0xFFFFFFFF
#: Examples read at a time by the pruning's second pass (see _counted).
_COUNT_RUN = 256
#: Up to this many cells (n-grams x owners; ~0.82 million at the shipped size) the model also keeps each
#: n-gram's gain per owner as a dense row (float32, 4 bytes a cell: ~3.3 MB there), built at the first message:
#: a message's gains are then its rows, weighted and summed (three numpy calls instead of a dozen). A larger
#: model (10k examples and more) reads its postings as before.
DENSE_CELLS = 1_500_000
#: Up to this many n-grams, a vocabulary held as a StringIndex (from PRUNE_FROM examples: the shipped knowledge
#: base has ~5,000 since 2026-11-27, ~20,000 n-grams) is also read through a dict built at the first message
#: (~5 ms, 2.6 MB there): a message's n-grams are looked up in ~25 us instead of ~47 (hot loop). Above it (10k
#: examples and more) the StringIndex alone, as before.
DICT_GRAMS = 30_000


def _char_grams(normalized: str) -> list[str]:
    """The character 1-3-grams of every space-separated chunk, padded with a space (``char_wb``)."""
    out: list[str] = []
    for chunk in normalized.split():
        padded = f" {chunk} "
        out += chunk  # the 1-grams (the padding spaces are no 1-gram)
        # each character joined to the next, then each pair to the character after it: the same strings as
        # slicing at every position, in the same order, in about half the time
        pairs = list(map(operator.add, padded, padded[1:]))
        out += pairs
        out += map(operator.add, pairs, padded[2:])
    return out


def grams(normalized: str, tokens: list[str]) -> tuple[Counter[str], Counter[str]]:
    """The character 1-3-grams (``char_wb``) of a normalised text and its canonical words, counted."""
    return Counter(_char_grams(normalized)), Counter(_WORD + t for t in tokens if t.strip())


@dataclass
class _Vector:
    ids: np.ndarray  # int32 vocabulary ids
    weights: np.ndarray  # float64 TF-IDF weights (each channel L2-normalised)
    #: (owner, that owner's count of each of these n-grams), read instead of the model's leave-one-out counts
    #: when this vector is the example left out of that owner (see :meth:`NgramModel.pin_own_counts`)
    own_counts: tuple[int, np.ndarray] | None = None


#: A text's vector over the model's n-grams (see :meth:`NgramModel.vector`).
Vector = _Vector
#: An example taken out of the model: its owner's index and its vector.
Removed = tuple[int, _Vector]


def _floats(values: np.ndarray | bytes | bytearray) -> array[float]:
    """The values as Python floats are read one by one (``values[k]``, as :meth:`NgramModel.vector` reads
    the idf), in an ``array('d')``: 8 bytes each instead of a list's 32 (3.2 MB less at 50k examples)."""
    out = array("d")
    raw = values if isinstance(values, bytes | bytearray) else np.ascontiguousarray(values, dtype=np.float64).tobytes()
    out.frombytes(raw)
    return out


def _idf_pair(values: np.ndarray | bytes | bytearray) -> tuple[np.ndarray, array[float]]:
    """The idf as the numpy array the model's arithmetic reads and the ``array('d')`` :meth:`NgramModel.vector`
    reads one by one, sharing one buffer (the numpy array is a view of the other: 0.8 MB less at 50k)."""
    floats = _floats(values)
    return np.frombuffer(floats, dtype=np.float64), floats


def _joined(index: StringIndex) -> tuple[str, bytes]:
    text, bounds = index.joined()
    return text, bounds.tobytes()


def _read_once(texts: list[str]) -> Iterator[str]:
    """The texts in order, each let go by the list as it is read: the list is empty at the end."""
    texts.reverse()
    while texts:
        yield texts.pop()


def _counted(
    texts: list[str], token_lists: Sequence[list[str]], prune: bool, consume: bool = False
) -> tuple[dict[str, int] | list[str], array[int], np.ndarray, array[int], np.ndarray]:
    """Every (example, channel, n-gram, count) in compact arrays: the vocabulary (n-gram -> id, ids in the
    order the n-grams are first seen; when n-grams were pruned, the n-grams kept in that order, their ids
    their places); per entry the n-gram's id (an ``array('i')``: the model's build shrinks it as it reads
    it, see NgramModel._postings); where each segment's entries begin (a
    segment: 2 x example + channel, in that order; the last bound is the number of entries: 0.8 MB at 50k
    examples instead of an int32 per entry, 6.6 MB); per entry the count (an ``array``, 'B' or 'i', as the
    ids); and per n-gram the number of segments it is in. With ``prune``, n-grams found in one
    segment only are left out (see PRUNE_FROM).

    One pass in Python gives the entries; the weighting is numpy. To prune from PREFILTER_FROM examples, a
    first pass counts the segments of every n-gram's hash (its low 32 bits, one uint32 per entry), so that the
    vocabulary and the entries hold only the n-grams whose hash is in two segments or more (at 50k examples
    most n-grams are in one): every n-gram that stays is among them, and the exact count below drops the few
    that only shared a hash. ``consume``: the caller has no further use for ``texts``; each is let go as
    the last pass reads it (the list is empty on return). Below PREFILTER_FROM every n-gram enters, and that exact count drops all those of one segment:
    the same result (the n-grams that stay keep their order of first sight, their entries theirs).

    The steps over every entry after the pass (the document frequencies, the pruning) read the entries a run
    at a time and prune them in place (see :func:`_pruned_in_place`): at 50k examples, beside a serving engine
    during a /reload after an edit, no copy of the 1.6 million entries (6.6 MB as int32, 13 MB as the int64
    bincount reads) is alive beside them."""
    repeated: np.ndarray | None = None
    if prune and len(texts) >= PREFILTER_FROM:
        # Each hash's low 32 bits (4 bytes an entry instead of 8: 8.4 MB less at 50k examples, beside a serving
        # engine): two n-grams sharing them only let both into the vocabulary, where the exact count drops
        # the one of a single segment, as it drops those whose whole hashes are equal.
        mask = repeat(_HASH_MASK)
        hashes = array("I")
        for text, tokens in zip(texts, token_lists, strict=True):  # (the distinct n-grams: the keys of grams())
            hashes.extend(map(operator.and_, map(hash, set(_char_grams(text))), mask))
            hashes.extend(map(operator.and_, map(hash, {_WORD + t for t in tokens if t.strip()}), mask))
        # Sorted in place (np.unique would sort a copy: 8 MB more at 50k examples, beside a serving engine):
        # a hash in two segments or more is equal to its neighbour in that order. Read where each run of
        # equal neighbours begins, not as the repeats themselves.
        found = np.frombuffer(hashes, dtype=np.uint32)
        found.sort()
        begins = found[1:] == found[:-1]  # hash k equals hash k + 1
        begins[1:] &= ~begins[:-1]  # ... and hash k - 1 does not: a repeated hash's first place
        repeated = found[:-1][begins]  # (sorted, each once: looked up a run of examples at a time below)
        del found, hashes, begins
        memory.trim()  # (the hashes' pages given back before the vocabulary and the entries are made)
    # n-gram -> id, a new n-gram given the next id (the dict's size before it enters) by the dict itself: the
    # ids of a segment's n-grams in one C-level map, no Python-level call per n-gram
    numbering: defaultdict[str, int] = defaultdict()
    numbering.default_factory = numbering.__len__
    id_of = numbering.__getitem__
    ids = array("i")
    tfs = array("B")  # an n-gram's count in one example: one byte (else four, from the first over 255)
    ends = array("q", [0])  # where each segment's entries end (segment: 2 x example + channel)
    if repeated is None:
        ids, tfs, ends = _all_entries(texts, token_lists, id_of)
        if consume:
            texts.clear()
    else:
        read = _read_once(texts) if consume else iter(texts)
        # A run of examples at a time: the hashes of its n-grams looked up in ``repeated`` at once (no set of
        # the repeated hashes as Python ints: ~7 MB at 50k examples), the n-grams kept taking their ids in
        # the same order as one example at a time would give them.
        tokens_read = iter(token_lists)
        for _ in range(0, len(token_lists), _COUNT_RUN):
            segments = [
                counted
                for text, tokens in zip(islice(read, _COUNT_RUN), islice(tokens_read, _COUNT_RUN), strict=True)
                for counted in grams(text, tokens)
            ]
            sizes = np.fromiter(map(len, segments), dtype=np.intp, count=len(segments))
            total = int(sizes.sum())
            low = np.fromiter(map(hash, chain.from_iterable(segments)), dtype=np.int64, count=total)
            low &= _HASH_MASK
            low = low.astype(np.uint32)
            place = repeated.searchsorted(low)
            place[place == len(repeated)] = 0
            kept = repeated[place] == low if len(repeated) else np.zeros(total, dtype=bool)
            before = len(ids)
            keep = kept.tolist()
            ids.extend(map(id_of, compress(chain.from_iterable(segments), keep)))
            values = list(compress(chain.from_iterable(counted.values() for counted in segments), keep))
            if tfs.typecode == "B":
                try:
                    tfs.frombytes(bytes(values))
                except ValueError:
                    tfs = array("i", tfs)
            if tfs.typecode == "i":
                tfs.extend(values)
            kept_up_to = np.zeros(total + 1, dtype=np.int64)
            np.cumsum(kept, out=kept_up_to[1:])
            ends.extend((kept_up_to[np.cumsum(sizes)] + before).tolist())
            del segments, low, place, kept, keep, kept_up_to, values
        del repeated
        memory.trim()  # (the runs' temporaries given back before the pruning's arrays are made)
    numbering.default_factory = None  # (from here a plain mapping: a missing n-gram raises, as a dict's would)
    vocabulary: dict[str, int] = numbering
    del numbering, id_of
    flat_ids = np.frombuffer(ids, dtype=np.int32) if ids else np.zeros(0, dtype=np.int32)
    bounds = np.frombuffer(ends, dtype=np.int64)
    tf: np.ndarray = np.frombuffer(tfs, dtype=_tf_type(tfs)) if tfs else np.zeros(0, dtype=_tf_type(tfs))
    del ends  # (alive as the bounds' buffer)
    size = len(vocabulary)
    df = np.zeros(size, dtype=np.intp)
    for a in range(0, len(flat_ids), _ENTRY_RUN):  # (the same counts as one bincount of every entry)
        df += np.bincount(flat_ids[a : a + _ENTRY_RUN], minlength=size)
    df = df.astype(np.float64)
    if prune and size and not (df >= 2).all():  # the n-grams of one segment left out
        # (after the first pass, a handful of entries: 1-2 character strings whose bytes are the same, "ch"
        # and "档", hash alike; without it, every n-gram of one segment)
        keep = df >= 2
        flat_ids, bounds, tf = _pruned_in_place(flat_ids, bounds, tf, keep)
        written = len(flat_ids)
        del flat_ids, tf  # (the views let go, so that the arrays can shrink to the entries kept)
        del ids[written:], tfs[written:]
        memory.trim()
        # the n-grams kept in the order of their ids (a dict of them is not made: StringIndex.of reads them)
        kept_grams = [gram for gram, kept in zip(vocabulary, keep.tolist(), strict=True) if kept]
        del vocabulary
        return kept_grams, ids, bounds, tfs, df[keep]
    del flat_ids, tf
    return dict(vocabulary), ids, bounds, tfs, df  # (a plain dict: the model keeps it, marshal stores it)


def _tf_type(tfs: array[int]) -> type:
    """The numpy type of the counts' array (see _counted)."""
    return np.uint8 if tfs.typecode == "B" else np.int32


#: Examples whose n-grams :func:`_all_entries` reads at a time (~100k n-gram strings alive at once).
_ENTRY_TEXTS = 2_048


def _all_entries(
    texts: list[str], token_lists: Sequence[list[str]], id_of: Callable[[str], int]
) -> tuple[array[int], array[int], array[int]]:
    """Every segment's entries (segment: 2 x example + channel) as :func:`_counted`'s loop over :func:`grams`
    gives them: the ids (``id_of``, a new n-gram numbered where it is first met), the counts (typecode "B",
    "i" when one is over 255) and where each segment's entries end; each n-gram once per segment, in the
    order of its first occurrence there, as a Counter's keys. Counted by one stable sort of (segment, id)
    per run of examples instead of two Counters per example (~0.2 s less of a first start at 10k examples,
    529k entries; the same arrays: the n-grams are met in the same order, so that they get the same ids)."""
    ids = array("i")
    ends = array("q", [0])
    runs: list[np.ndarray] = []
    for a in range(0, len(texts), _ENTRY_TEXTS):
        seq: list[str] = []
        lengths = array("q")
        for text, tokens in zip(texts[a : a + _ENTRY_TEXTS], token_lists[a : a + _ENTRY_TEXTS], strict=True):
            chars = _char_grams(text)
            words = [_WORD + t for t in tokens if t.strip()]
            seq += chars
            seq += words
            lengths.append(len(chars))
            lengths.append(len(words))
        run_ids = np.fromiter(map(id_of, seq), dtype=np.int64, count=len(seq))
        del seq
        segments = len(lengths)
        segment_of = np.repeat(np.arange(segments, dtype=np.int64), np.frombuffer(lengths, dtype=np.int64))
        if len(run_ids):
            # equal (segment, id) pairs next to each other, each pair's first occurrence first (a stable sort)
            key = segment_of * (int(run_ids.max()) + 1) + run_ids
            order = np.argsort(key, kind="stable")
            key = key[order]
            starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
            del key
            counts = np.diff(np.append(starts, len(order)))
            first = order[starts]
            del order, starts
            # back in the order of first occurrence (each segment's entries after the previous segment's)
            back = np.argsort(first, kind="stable")
            first, counts = first[back], counts[back]
            del back
        else:
            first = counts = np.zeros(0, dtype=np.int64)
        ids.frombytes(run_ids[first].astype(np.int32).tobytes())
        ends.extend((ends[-1] + np.cumsum(np.bincount(segment_of[first], minlength=segments))).tolist())
        runs.append(counts)
        del run_ids, segment_of, first
    wide = any(len(counts) and int(counts.max()) > 255 for counts in runs)
    tfs = array("i" if wide else "B")
    for counts in runs:
        tfs.frombytes(counts.astype(np.int32 if wide else np.uint8).tobytes())
    return ids, tfs, ends


def _pruned_in_place(
    flat_ids: np.ndarray, bounds: np.ndarray, tf: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of the n-grams ``keep`` marks, each n-gram renumbered by its place among them, and the
    segments' bounds less the entries left out: what ``new_id[np.delete(flat_ids, dropped)]``,
    ``np.delete(tf, dropped)`` and ``bounds - np.searchsorted(dropped, bounds)`` give, written over the
    front of ``flat_ids`` and ``tf`` a run of entries at a time (each run's kept entries copied out before
    they are written at or before the run's start), so that no full-size copy is made: the arrays returned
    are views of the front of those given."""
    new_id = (np.cumsum(keep) - 1).astype(np.int32)
    written = 0
    dropped: list[np.ndarray] = []
    for a in range(0, len(flat_ids), _ENTRY_RUN):
        run = flat_ids[a : a + _ENTRY_RUN]
        mask = keep[run]
        kept_ids = new_id[run[mask]]
        kept_tf = tf[a : a + _ENTRY_RUN][mask]
        flat_ids[written : written + len(kept_ids)] = kept_ids
        tf[written : written + len(kept_tf)] = kept_tf
        written += len(kept_ids)
        dropped.append(np.flatnonzero(~mask) + a)
    positions = np.concatenate(dropped) if dropped else np.zeros(0, dtype=np.intp)
    return flat_ids[:written], bounds - np.searchsorted(positions, bounds), tf[:written]


def _by_gram(grams: list[np.ndarray], owners: list[np.ndarray], size: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Postings in order of owner, then n-gram (in pieces: ``grams``, their n-gram ids, emptied here, and
    ``owners``), put in order of n-gram, then owner (what a stable sort by n-gram gives, without an int64
    order, a sorted copy or the pieces joined: 30 MB at 50k examples): where each n-gram's postings begin
    (the last bound: how many there are) and, per piece, each posting's place in that order (int32). A
    counting sort: each owner's postings (one per n-gram) take the next free place of their n-grams."""
    per_gram = np.zeros(size, dtype=np.intp)
    for piece in grams:
        per_gram += np.bincount(piece, minlength=size)
    bounds = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(per_gram, out=bounds[1:])
    del per_gram
    free = bounds[:-1].copy()
    place_type = np.int32 if bounds[-1] <= np.iinfo(np.int32).max else np.int64
    places: list[np.ndarray] = []
    grams.reverse()
    for piece_owners in owners:
        piece = grams.pop()
        place = np.empty(len(piece), dtype=place_type)
        cuts = [0, *(np.flatnonzero(piece_owners[1:] != piece_owners[:-1]) + 1).tolist(), len(piece)]
        for lo, hi in pairwise(cuts):
            ids = piece[lo:hi]
            place[lo:hi] = free[ids]
            free[ids] += 1
        places.append(place)
        del piece
    return bounds, places


def _placed(pieces: list[np.ndarray], places: list[np.ndarray], dtype: type, trim: bool = False) -> np.ndarray:
    """The pieces' values in one array, each value at its place (see _by_gram); ``pieces`` is emptied, each
    let go once placed (``trim``: their pages given back at the end)."""
    out: np.ndarray = np.empty(sum(len(place) for place in places), dtype=dtype)
    pieces.reverse()
    for place in places:
        out[place] = pieces.pop()
    if trim:
        memory.trim()
    return out


class NgramModel:
    """Multinomial naive Bayes over TF-IDF n-grams, one class per owner (see the module docstring)."""

    _counts: np.ndarray | None
    #: While training reads it (see :meth:`training_counts`): per n-gram (row) and owner (column), the owner's
    #: count, 0 where it has none (float32, as the counts).
    _dense_counts: np.ndarray | None = None

    def __init__(
        self,
        texts: list[str],
        token_lists: Sequence[list[str]],
        owner_of: np.ndarray,
        n_owners: int,
        consume: bool = False,
    ) -> None:
        """``consume``: the caller has no further use for ``texts``, emptied here as they are read (at 50k
        examples ~5 MB not alive beside the model's postings while they are built, during a /reload)."""
        n = len(texts)
        vocabulary, flat_ids, segment_bounds, tf, df = _counted(texts, token_lists, n >= PRUNE_FROM, consume)
        #: n-gram -> id; from PRUNE_FROM examples a StringIndex (the same answers, ~12 MB less at 50k)
        self.vocabulary: dict[str, int] | StringIndex = (
            vocabulary if isinstance(vocabulary, dict) and n < PRUNE_FROM else StringIndex.of(vocabulary)
        )
        del vocabulary
        self.idf, self._idf = _idf_pair(np.log((1.0 + n) / (1.0 + df)) + 1.0)
        self.n_owners = n_owners
        self.owner_of = np.asarray(owner_of, dtype=np.int64)
        self.n_examples = n
        size = len(self.vocabulary)
        # Per owner and n-gram: the summed weight of its examples (sparse, as (owner, gram) postings).
        entries = [flat_ids, segment_bounds, tf]  # (handed over: _postings lets them go once read)
        del flat_ids, segment_bounds, tf
        # (int16 when the owners fit: a 50k-example knowledge base has 1.4 million postings)
        owner_type = np.int16 if n_owners <= np.iinfo(np.int16).max else np.int32
        trim = n >= PRUNE_FROM  # (at 50k: what each step let go given back before the next one allocates)
        grams, owners, counts, gains, self.totals = self._postings(entries, size, owner_type, trim)
        self.alpha_mass = ALPHA * max(size, 1)
        self.log_denominator = np.log(self.totals + self.alpha_mass)
        examples_per_owner = np.bincount(self.owner_of, minlength=n_owners).astype(np.float64)
        self.examples_per_owner = examples_per_owner
        self.log_prior = np.log(np.maximum(examples_per_owner, 1e-9) / max(n, 1))
        # The postings' values come in the owners' order, a run of owners at a time; they are put in the
        # n-grams' order one array at a time (the same values: a value does not depend on where it is), each
        # run's piece let go once it is placed: at 50k 1.4 million postings, beside a serving engine during a
        # /reload after an edit.
        self.bounds, places = _by_gram(grams, owners, size)
        self.counts = _placed(counts, places, np.float32, trim)
        self._restore: Callable[[], np.ndarray] | None = None
        self.posting_owner = _placed(owners, places, owner_type, trim)
        self.posting_gain = _placed(gains, places, np.float32, trim)
        del places

    def _postings(
        self, entries: list[Any], size: int, owner_type: type, trim: bool
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray], np.ndarray]:
        """The entries weighted (sublinear tf x idf, each segment L2-normalised) and summed per (owner,
        n-gram), in order of owner, then n-gram, a piece per run (see below): the postings' n-gram ids (int32),
        owners (``owner_type``), summed weights (float32: the leave-one-out counts) and gains
        (log((sum + alpha) / alpha), float32), and per owner the total of its sums (float64). Computed a run of examples at a time, each run whole owners (when the examples
        come grouped by owner, as the matcher gives them): every sum adds the same numbers in the same
        order as over all entries at once (the same values to the last bit), without the entries' weights
        and their (owner, n-gram) keys, sorted and inverted, alive for all entries together (~110 MB at 50k
        examples, beside the serving engine during a /reload after an edit).

        ``entries``: the entries' n-gram ids, segment bounds and counts (see _counted), emptied here; the ids'
        and counts' arrays shrink as their runs are read, from the last (``trim``: their pages given back every
        few runs and at the end). No float64 array of
        every posting's sum is made: each run's sums become its float32 counts and gains at once (an owner's
        postings are all in one run: its total sums the same numbers in the same order)."""
        held_ids, segment_bounds, held_tf = entries
        entries.clear()
        totals = np.zeros(self.n_owners)
        if not (len(held_ids) and size):
            return [], [], [], [], totals
        tf_type = np.dtype(_tf_type(held_tf))
        owner_of = self.owner_of
        starts = segment_bounds[::2]  # where each example's entries begin
        # runs of whole owners of about CHUNK_ENTRIES entries (one run when the owners are not grouped)
        if len(owner_of) < 2 or bool((owner_of[1:] >= owner_of[:-1]).all()):
            owner_starts = np.flatnonzero(np.diff(owner_of, prepend=-1))  # each owner's first example
            cuts = [0]
            for first in owner_starts.tolist():
                if starts[first] - starts[cuts[-1]] >= _CHUNK_ENTRIES:
                    cuts.append(first)
            cuts.append(self.n_examples)
        else:
            cuts = [0, self.n_examples]
        grams: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        gains: list[np.ndarray] = []
        idf = self.idf
        # The runs are read from the last: once read, a run's entries are the arrays' end, and the arrays
        # shrink to the entries before it (at 50k examples, beside a serving engine during a /reload after an
        # edit, the 1.7 million entries are not alive beside all the postings). The pieces are put back in
        # the owners' order at the end; an owner's total is summed in its run alone (0.0 added elsewhere).
        for read, (lo, hi) in enumerate(reversed(list(pairwise(cuts)))):
            a, b = int(starts[lo]), int(starts[hi])
            if a == b:
                continue
            ids = np.frombuffer(held_ids, dtype=np.int32, count=b - a, offset=4 * a)
            tf = np.frombuffer(held_tf, dtype=tf_type, count=b - a, offset=tf_type.itemsize * a)
            weights = (1.0 + np.log(tf.astype(np.float64))) * idf[ids]
            # each entry's segment in the run (2 x example + channel, counted from the run's first example)
            local = np.repeat(np.arange(2 * (hi - lo)), np.diff(segment_bounds[2 * lo : 2 * hi + 1]))
            norms = np.sqrt(np.bincount(local, weights=weights * weights))
            weights = weights / np.maximum(norms[local], 1e-12)
            keys = owner_of[lo + local // 2] * size + ids
            del norms, local, ids, tf  # (the views of the arrays let go before they shrink)
            del held_ids[a:], held_tf[a:]
            if trim and read % _TRIM_EVERY_RUNS == _TRIM_EVERY_RUNS - 1:
                memory.trim()
            unique, inverse = np.unique(keys, return_inverse=True)
            del keys
            summed: np.ndarray = np.bincount(inverse, weights=weights)
            del inverse, weights
            run_owners, run_grams = np.divmod(unique, size)
            del unique
            totals += np.bincount(run_owners, weights=summed, minlength=self.n_owners)
            counts.append(summed.astype(np.float32))
            summed += ALPHA  # (in place: the same values as log((summed + ALPHA) / ALPHA) in new arrays)
            summed /= ALPHA
            np.log(summed, out=summed)
            gains.append(summed.astype(np.float32))
            del summed
            owners.append(run_owners.astype(owner_type))
            grams.append(run_grams.astype(np.int32))
            del run_owners, run_grams
        del held_ids, segment_bounds, held_tf, starts
        for pieces in (grams, owners, counts, gains):
            pieces.reverse()
        if trim:
            memory.trim()
        return grams, owners, counts, gains, totals

    @property
    def counts(self) -> np.ndarray:
        """Per posting, its owner's summed weight of the n-gram (float32). Read only to leave an example
        out (:meth:`scores` with ``exclude``: training, leave-one-out evaluation); see :meth:`release_counts`."""
        if self._counts is None:
            if self._restore is None:
                raise RuntimeError("the n-gram model's leave-one-out counts were released for good")
            self._counts = self._restore()
        return self._counts

    @counts.setter
    def counts(self, values: np.ndarray) -> None:
        self._counts = values

    def release_counts(self, restore: Callable[[], np.ndarray]) -> None:
        """Let the leave-one-out counts go while the model only answers messages (5.6 MB at 50k examples);
        should they be needed again, ``restore`` gives them back (the same values)."""
        self._restore = restore
        self._counts = None

    def state(self, counts: bool = True, blobs: list[np.ndarray] | None = None) -> dict[str, Any]:
        """What the model is, in builtin types (for :func:`faq.cache.save_marshal`); without ``counts``,
        without the leave-one-out counts (a model read from it gets them through :meth:`release_counts`).
        With ``blobs``, each array is appended there and the state names its place in that list instead
        of holding its bytes (for :func:`faq.cache.save_with_blobs`)."""
        out: dict[str, Any] = {
            "version": VERSION,
            # a StringIndex as its joined strings and their bounds (read back 3x faster than a dict)
            "vocabulary": self.vocabulary if isinstance(self.vocabulary, dict) else _joined(self.vocabulary),
            "n_owners": self.n_owners,
            "n_examples": self.n_examples,
            "alpha_mass": self.alpha_mass,
        }
        for name in _ARRAYS:
            if name != "counts" or counts:
                values: np.ndarray = getattr(self, name)
                if blobs is None:
                    out[name] = (values.dtype.str, values.tobytes())
                else:
                    blobs.append(np.ascontiguousarray(values))
                    out[name] = (values.dtype.str, len(blobs) - 1)
        return out

    @classmethod
    def from_state(
        cls, state: dict[str, Any], blobs: list[bytearray] | None = None, consume: bool = False
    ) -> NgramModel:
        """The model :meth:`state` described (raises KeyError, TypeError or ValueError on a foreign one);
        ``blobs``: the arrays' bytes when the state names them by their place (its arrays keep them).
        ``consume``: the caller has no further use for ``state`` and ``blobs``, and what is copied out of
        them (the vocabulary's bounds, the idf's bytes) is let go as soon as it is copied (at 50k examples
        1.5 MB less at the end of a /reload's read of the model, its peak)."""
        if state["version"] != VERSION:
            raise ValueError("another version of the n-gram model")
        model = cls.__new__(cls)
        model._restore = None
        vocabulary = state["vocabulary"]
        if isinstance(vocabulary, tuple):
            text, raw_bounds = vocabulary
            bounds = array("q")
            bounds.frombytes(raw_bounds)
            if consume:  # (the bounds' bytes let go before the index hashes its strings)
                del raw_bounds, vocabulary
                state["vocabulary"] = None
            model.vocabulary = StringIndex(str(text), bounds)
        else:  # marshal gives a fresh dict: kept as it is (a copy is ~4 MB more at 50k examples)
            model.vocabulary = vocabulary if type(vocabulary) is dict else dict(vocabulary)
        model.n_owners = int(state["n_owners"])
        model.n_examples = int(state["n_examples"])
        model.alpha_mass = float(state["alpha_mass"])
        model._counts = None
        for name in _ARRAYS:
            if name == "counts" and name not in state:
                continue
            dtype, raw = state[name]
            if blobs is not None:
                if type(raw) is not int or not 0 <= raw < len(blobs):
                    raise ValueError("no such blob")
                raw = blobs[raw]
            elif not isinstance(raw, bytes):
                raise TypeError("an array's bytes expected")
            if name == "idf" and np.dtype(dtype) == np.float64:
                model.idf, model._idf = _idf_pair(raw)  # (not raw's copy besides: one buffer for both)
                if consume and blobs is not None:
                    blobs[state[name][1]] = bytearray()
                    del raw
            else:
                setattr(model, name, np.frombuffer(raw, dtype=np.dtype(dtype)))
        if not hasattr(model, "_idf"):
            model._idf = _floats(model.idf)
        return model

    def vector(self, normalized: str, tokens: list[str]) -> _Vector:
        """A message's TF-IDF vector over the known n-grams (the same weighting as the examples')."""
        idf = self._idf
        log, sqrt = math.log, math.sqrt
        ids: list[int] = []
        weights: list[float] = []
        for channel in (_char_grams(normalized), [_WORD + t for t in tokens if t.strip()]):
            found = self._ids(channel)
            # each known n-gram's count, in the order of its first occurrence (what Counter gives)
            counted = dict.fromkeys(found, 0)
            once = len(counted) == len(found)  # each n-gram once (the unknown ones too)
            if not once:
                for k in found:
                    counted[k] += 1
            counted.pop(-1, None)
            if not counted:
                continue
            # (1 + log(1)) x idf is the idf itself: the logarithm only for an n-gram seen more than once
            if once:
                values = [idf[k] for k in counted]
            else:
                values = [idf[k] if tf == 1 else (1.0 + log(tf)) * idf[k] for k, tf in counted.items()]
            norm = sqrt(sum([w * w for w in values]))
            ids += counted
            weights += [w / norm for w in values]
        return _Vector(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64))

    def _ids(self, keys: list[str]) -> list[int]:
        """The vocabulary id of each n-gram, -1 for one the examples never use."""
        vocabulary = self._by_gram or self.vocabulary
        if isinstance(vocabulary, dict):
            return list(map(vocabulary.get, keys, repeat(-1)))
        return vocabulary.ids(keys)  # a large StringIndex: every look-up at once

    @cached_property
    def _by_gram(self) -> dict[str, int] | None:
        """n-gram -> id, as a dict: the vocabulary itself, or (a StringIndex, from PRUNE_FROM examples) a dict of
        its n-grams up to :data:`DICT_GRAMS` of them, built at the first message; None above."""
        vocabulary = self.vocabulary
        if isinstance(vocabulary, dict):
            return vocabulary
        if len(vocabulary) > DICT_GRAMS:
            return None
        return dict(zip(vocabulary, range(len(vocabulary)), strict=True))  # (its positions are the ids)

    def scores(self, vector: _Vector, exclude: Removed | None = None) -> np.ndarray:
        """Per owner, log P(owner) + sum of weight x log P(n-gram | owner) (up to a constant);
        ``exclude``: one example (its owner and its vector, see :meth:`vector`) taken out of its owner's
        counts (exact leave-one-out)."""
        n_owners = self.n_owners
        if not len(vector.ids):
            return self.log_prior.copy()
        held = self._dense_counts
        dense = self._dense_gains if exclude is None or held is not None else None
        if dense is not None:
            # The same products as the postings' (float32 gain x float64 weight), summed per owner in the order
            # of the message's n-grams as bincount sums them (a reduction along the rows is sequential), an
            # owner without the n-gram adding 0.0 (x + 0.0 is x): the same scores to the last bit.
            summed = np.add.reduce(dense[vector.ids] * vector.weights[:, None], axis=0)
            mass = float(np.add.reduce(vector.weights))
            score = self.log_prior + summed - mass * self.log_denominator
            if exclude is None or held is None:
                return score
            # (training: the owner's counts of the message's n-grams read in the dense counts, the same float32
            # values as its postings', 0 where it has none)
            own_counts = held[vector.ids, exclude[0]].astype(np.float64)
            return self._left_out_score(score, vector, exclude, own_counts, mass)
        lengths, owners, take = self._postings_of(vector.ids)
        if owners is not None and take is not None:
            gains = self.posting_gain[take] * np.repeat(vector.weights, lengths)
            gain: np.ndarray = np.bincount(owners, weights=gains, minlength=n_owners)
        else:
            gain = np.zeros(n_owners)
        mass = float(vector.weights.sum())
        score = self.log_prior + gain - mass * self.log_denominator
        if exclude is not None:
            pinned = vector.own_counts if exclude[1] is vector else None
            if pinned is not None and pinned[0] == exclude[0]:
                own_counts = pinned[1]
            else:
                own_counts = self._own_counts(vector, exclude[0], owners, take, lengths)
            score = self._left_out_score(score, vector, exclude, own_counts, mass)
        return score

    def _postings_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """The postings of the n-grams ``ids``, one n-gram's after the other's: how many each n-gram has, and
        (None when there are none) their owners and their places in the posting arrays."""
        starts = self.bounds[ids]
        ends = self.bounds[ids + 1]
        lengths = ends - starts
        size = int(lengths.sum())
        if not size:
            return lengths, None, None
        take = np.repeat(ends - lengths.cumsum(), lengths) + np.arange(size)
        return lengths, self.posting_owner[take], take

    def _own_counts(
        self, vector: _Vector, owner: int, owners: np.ndarray | None, take: np.ndarray | None, lengths: np.ndarray
    ) -> np.ndarray:
        """The owner's count of each of the message's n-grams (an owner has one posting per n-gram), read in
        the postings ``take`` of the message's n-grams (``lengths`` of them each, their ``owners``)."""
        own_counts = np.zeros(len(vector.ids))
        if owners is not None and take is not None:
            mine = owners == owner
            own_counts[np.repeat(np.arange(len(vector.ids)), lengths)[mine]] = self.counts[take[mine]]
        return own_counts

    def pin_own_counts(self, removed: Iterable[Removed]) -> None:
        """Each vector's owner's counts of its n-grams, read now and kept on the vector (as :meth:`scores`
        reads them when that vector is the example left out): training on a model read through its postings
        then leaves its examples out without the leave-one-out counts alive beside the features it computes
        (5.4 MB at 50k examples, during a /reload after an edit). The same values as read at each message."""
        for owner, vector in removed:
            lengths, owners, take = self._postings_of(vector.ids)
            vector.own_counts = (owner, self._own_counts(vector, owner, owners, take, lengths))

    def _left_out_score(
        self, score: np.ndarray, vector: _Vector, exclude: Removed, own_counts: np.ndarray, mass: float
    ) -> np.ndarray:
        """``score`` with the owner of the example ``exclude`` scored again without that example."""
        own, removed = exclude
        if removed is vector:  # (training: the message is the example left out; its n-grams are unique)
            left = np.maximum(own_counts - vector.weights, 0.0)
        else:
            counts = dict(zip(vector.ids.tolist(), own_counts.tolist(), strict=True))
            for gram, w in zip(removed.ids.tolist(), removed.weights.tolist(), strict=True):
                if gram in counts:
                    counts[gram] = max(counts[gram] - w, 0.0)
            left = np.array([counts[g] for g in vector.ids.tolist()], dtype=np.float64)
        # sum of w x log((c + ALPHA) / ALPHA), n-gram by n-gram: the ratios divided in numpy (IEEE, the
        # same values as Python's), the logarithms by math.log (libm's, as before: numpy's may differ in
        # the last bit), the products and the sum in Python's order, without a Python loop of our own
        ratios = ((left + ALPHA) / ALPHA).tolist()
        own_gain = sum(map(operator.mul, vector.weights.tolist(), map(math.log, ratios)))
        total = max(self.totals[own] - float(removed.weights.sum()), 0.0)
        remaining = self.examples_per_owner[own] - 1
        prior = math.log(remaining / max(self.n_examples - 1, 1)) if remaining > 0 else -30.0
        score[own] = prior + own_gain - mass * math.log(total + self.alpha_mass)
        return score

    def training_counts(self, keep: bool) -> None:
        """While ``keep``: the counts also held per n-gram and owner (as :attr:`_dense_gains`, and only when it
        is held), so that a leave-one-out score (:meth:`scores` with ``exclude``) reads the message's n-grams
        in them, not in the postings (the same values, in about half the time): set while training reads its
        examples, dropped after."""
        self._dense_counts = None
        if keep and self._dense_gains is not None:
            self._dense_counts = self._per_gram_and_owner(self.counts)

    @cached_property
    def _dense_gains(self) -> np.ndarray | None:
        """Per n-gram (row) and owner (column), the posting's gain, 0 where the owner has none; None above
        :data:`DENSE_CELLS` cells (see there)."""
        size = len(self.bounds) - 1
        if size <= 0 or size * self.n_owners > DENSE_CELLS:
            return None
        return self._per_gram_and_owner(self.posting_gain)

    def _per_gram_and_owner(self, per_posting: np.ndarray) -> np.ndarray:
        """A value per posting laid out per n-gram (row) and owner (column), 0.0 where the owner has none
        (float32, read-only)."""
        dense = np.zeros((len(self.bounds) - 1, self.n_owners), dtype=np.float32)
        dense[np.repeat(np.arange(len(dense)), np.diff(self.bounds)), self.posting_owner] = per_posting
        dense.flags.writeable = False
        return dense

    def posterior(
        self, vector: _Vector, allowed: np.ndarray | None = None, exclude: Removed | None = None
    ) -> np.ndarray:
        """P(owner | message) over the ``allowed`` owners (0 for the others; None: every owner)."""
        score = self.scores(vector, exclude)
        if allowed is not None and not allowed.all():
            score = np.where(allowed, score, -np.inf)
        top = np.maximum.reduce(score)  # (score.max() without its Python wrapper)
        if not math.isfinite(top):
            return np.zeros(self.n_owners)
        # p = exp(score - top), divided by its sum: in place (``score`` is this call's own array)
        score -= top
        p = np.exp(score, out=score)
        p /= np.add.reduce(p)
        return p
