"""The knowledge base's analysis, shipped beside it so that a first start need not compute it.

A start from an empty cache directory (a fresh checkout or install, a container whose image did not build
the cache) analyses every example before it can answer: the analyser's vocabulary and its pinyin keys, each
example's tokens, the n-gram model (~0.55 s of CPU at the shipped size, half of such a start). Later starts
read them from the cache directory (:mod:`faq.cache`), each entry under a key that is a digest of what it
was computed from (the analyser's version and code, words and synonyms, the examples, their owners and
tokens).

``python -m faq train`` computes those entries afresh (into an empty cache directory of its own, never
reading the user's cache or this file) and packs them into ``<knowledge base>.analysis.pack``
(``intents.analysis.pack`` beside ``intents.yaml``; :func:`faq.cache.pack`), with :func:`code_version`, a
digest of the code that computed them. While :meth:`Engine.load <faq.engine.Engine.load>` builds an engine,
an entry the cache directory does not have is read from that file (:func:`faq.cache.shipped`) under the
same key, and only when the running code is the code that packed it: an entry is used only when it is
what computing would give. After an edit of the examples (or of the analysis code) the build finds none
of its entries there and computes them as before; a missing, damaged or foreign file is the same as a
stale one: never an error, never another reply.

``tests/test_analysis_file.py`` checks that the shipped file is current (a build of ``intents.yaml`` finds
every entry it asks for there) and holds what computing gives; ``python -m faq check`` warns when it is
stale. It also holds the screens of the crisis rules' patterns (:mod:`faq.screens`: which characters each
pattern's matches hold, read with the regex parser; parsing the ~360 patterns took 0.06-0.08 s of CPU of a
first start at the shipped size, paired medians of building the crisis detector). Their key is a digest of
the pattern texts themselves and of faq/screens.py and the parser, not of faq/crisis.py: an edit of the
detector leaves them current, an edit of a pattern makes them stale (and a pattern is never served
another's screens). It also holds the crisis model decoded from the file the knowledge base names
(:func:`faq.crisis_model._save_decoded`: ~3.5 MB, keyed by a digest of that file's bytes and of the decoded
format): decoding its JSON, indexing its features and packing them took ~0.1 s of CPU of every first start,
whatever the knowledge base (another model file has another key and is decoded as before). It holds no
leave-one-out counts (only training reads them).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from faq import analyze, cache, crisis_model, regexes, screens

#: The kinds of cache entries the file holds: what a build computes from the knowledge base and reads at
#: every start (``conversions``: its reply texts in Traditional characters, :mod:`faq.conversions`, keyed by
#: OpenCC's dictionaries and read only with them; ``crisis-screens``: :data:`faq.screens.KIND`, keyed by
#: the crisis patterns, faq/screens.py and the regex parser, and read only with them; ``regexes-checked``:
#: :data:`faq.regexes.KIND`, that the crisis patterns all compiled, keyed by them and by Python's ``re``;
#: ``crisis-model``: :data:`faq.crisis_model.KIND`, the decoded crisis model, keyed by its file's bytes).
KINDS = ("analyzer", "tokens", "ngrams", "conversions", screens.KIND, regexes.KIND, crisis_model.KIND)
#: The kinds among them whose keys name all their values were computed from, whatever the knowledge base's
#: examples: the crisis patterns' screens and the verdict that they all compile (keyed by the pattern texts, the
#: code and Python's regex parser), and the decoded crisis model (keyed by its file's bytes). A knowledge base
#: whose own file lacks one (none beside it, or packed for other examples: a knowledge base grown elsewhere)
#: reads it from the file shipped with the package (beside its own ``intents.yaml``, :data:`PACKAGE_ANALYSIS`)
#: when its crisis section and model are the shipped ones, instead of computing it (~0.1-0.2 s of CPU of such
#: a first start, ~0.1 s more for the model); another section's patterns and another model file have other keys.
SHARED_KINDS = frozenset((screens.KIND, regexes.KIND, crisis_model.KIND))
#: The analysis shipped with the package, beside its knowledge base (``faq.engine.DEFAULT_KB_PATH``).
PACKAGE_ANALYSIS = Path(__file__).resolve().parent.parent / "intents.analysis.pack"
#: The code and tables that compute those entries, and their digest: the file is read only with the very code
#: that wrote it (see :func:`faq.analyze.code_version`).
CODE = analyze.ANALYSIS_CODE
code_version = analyze.code_version


def path_for(kb_path: str | Path) -> Path:
    """Where the analysis of the knowledge base at ``kb_path`` is shipped: ``intents.yaml`` ->
    ``intents.analysis.pack`` in the same folder."""
    kb_path = Path(kb_path)
    return kb_path.with_name(f"{kb_path.stem}.analysis.pack")


@contextlib.contextmanager
def reading(kb_path: str | Path) -> Iterator[cache.Shipped]:
    """Within: the entries the cache directory lacks are read from the analysis shipped beside the
    knowledge base at ``kb_path``, when this code packed it (:func:`faq.cache.shipped`); those of
    :data:`SHARED_KINDS` it lacks too, from the package's (:data:`PACKAGE_ANALYSIS`)."""
    own = path_for(kb_path)
    with cache.shipped(own, code_version(), also=PACKAGE_ANALYSIS, also_kinds=SHARED_KINDS) as shipped:
        yield shipped


def write(target: Path, computed: Path) -> list[str]:
    """Pack the entries of :data:`KINDS` that a build wrote into the cache directory ``computed`` (an empty
    one of its own, see the module docstring) into ``target``; the names packed. Raises OSError when the
    file cannot be written."""
    names = sorted(entry.name for entry in computed.iterdir() if cache.kind_of(entry.name) in KINDS)
    if not cache.pack(target, {name: (computed / name).read_bytes() for name in names}, code_version()):
        raise OSError(f"cannot write {target}")
    target.chmod(0o644)  # (shipped: readable by the user a deployment runs as, not only by its writer)
    return names


def stale(asked: set[str], target: Path) -> list[str]:
    """The entries of :data:`KINDS` among ``asked`` (the names a build looked up, :class:`faq.cache.Shipped`)
    that ``target`` does not hold: empty when the file is current for that build."""
    held = cache.packed_names(target, code_version())
    return sorted(name for name in asked if cache.kind_of(name) in KINDS and name not in held)
