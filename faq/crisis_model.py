"""The generaliser of the crisis layer: a three-class logistic regression (neither / distress / crisis).

The rules of :mod:`faq.crisis` recognise the phrasings someone wrote down; people find others. This model is
trained on every labelled crisis file (``tests/data/crisis_dev.yaml``, the measured held-out sets and the
training corpora, see :data:`faq.crisis.TRAINING_FILES`) and on nothing else: the knowledge base's example
questions are not read, so editing them never makes ``crisis_model.json`` stale.

Features of a piece of text (already normalised: Simplified, lower case, punctuation as spaces):

* character 1-4-grams of each clause (n-grams do not cross punctuation or a blanked-out phrase ``|``);
* a sound channel: syllable 1-3-grams of the same clause, each Han character read as its usual toneless
  pinyin and each Latin word cut into pinyin syllables, with the spellings typists confuse collapsed
  (zh/z, ch/c, sh/s, ang/an, eng/en, ing/in). 不想获了, "bu xiang huo le" and "buxianghuole" share their
  syllable features with 不想活了, so typos, homophones and pinyin need no list of their own.

A message is scored in windows of consecutive clauses of at most :data:`WINDOW_CHARS` characters (a short
message is one window; a long one cannot add up to despair from many small weights) and the highest
probability of each class counts. The features are held in :class:`faq.compact.StringIndex` (the 64k names
held compactly: ~3.8 MB resident instead of ~9 MB as a dict of strings); scoring reads them as integers
(:class:`PackedFeatures`: a window's features are found with a few numpy calls, no string is built) and adds
up their weight rows; training (``python -m faq.crisis train``) uses scikit-learn's multinomial logistic
regression.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate, pairwise
from math import exp, sqrt
from pathlib import Path

import numpy as np

from faq import cache, pinyin
from faq.compact import StringIndex

#: Bumped whenever features change (a model of another version is refused: retrain).
FEATURES_VERSION = 4
CHAR_NGRAMS = (1, 2, 3, 4)
SYLLABLE_NGRAMS = (1, 2, 3)
#: Consecutive clauses are scored together up to this many characters.
WINDOW_CHARS = 64
#: Weights whose largest magnitude over the classes is below this are dropped from the saved model.
MIN_WEIGHT = 0.01
CLASSES = ("neither", "distress", "crisis")
#: The last model :meth:`CrisisModel.load` decoded, by (its path, the digest of its bytes).
_last_loaded: dict[tuple[str, str], CrisisModel] = {}
_last_loaded_lock = threading.Lock()

#: Toneless pinyin syllables (pypinyin's readings, and lv/nv as typed), for cutting Latin words.
SYLLABLES = frozenset(
    """a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce
    cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun
    chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu
    dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei
    gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua
    huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang
    kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia lian
    liang liao lie lin ling liu lo long lou lu luan lue lun luo lv lve ma mai man mang mao me mei men meng mi
    mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning
    niu nong nou nu nuan nue nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou
    pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru
    rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou
    shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te tei teng
    ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang
    xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za
    zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua
    zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo""".split()
)
_MAX_SYLLABLE = max(map(len, SYLLABLES))
#: Sounds of words of self-harm that are also everyday debt words (上吊 ~ 上调 "shang diao", 农药 ~ 弄要
#: "nong yao"; faq/crisis.py NO_HOMOPHONE_PAIRS for the rules): no sound feature holds them; the characters
#: still do.
AMBIGUOUS_SOUNDS = ("san diao", "nong yao")
_AMBIGUOUS = re.compile("|".join(map(re.escape, AMBIGUOUS_SOUNDS)))
_FUZZY_INITIALS = re.compile(r"^(zh|ch|sh)")
_FUZZY_FINALS = re.compile(r"(an|en|in)g$")
#: A Han character, a Latin word, or one other character.
_UNIT = re.compile(r"[\u3400-\u9fff]|[a-z]+|.")
_LATIN_WORD = re.compile(r"[a-z]+")


def fuzzy(syllable: str) -> str:
    """A syllable with the spellings typists confuse collapsed (zh/z, ch/c, sh/s, ang/an, eng/en, ing/in)."""
    return _FUZZY_FINALS.sub(r"\1", _FUZZY_INITIALS.sub(lambda m: m.group(1)[0], syllable))


@lru_cache(maxsize=16384)
def han_reading(ch: str) -> str:
    """The usual toneless reading of a Han character with the confused spellings collapsed ('' for none);
    the crisis rules read characters through it too (pypinyin's reading, :mod:`faq.pinyin`, looked up once per
    character)."""
    reading = pinyin.usual_reading(ch)
    return fuzzy(reading) if reading and reading.isalpha() else ""


#: A syllable the sound channel keeps apart from its collapsed spelling: shi (是 事 时 失 十 ...) read as si
#: made every 我是 / 是在 / 失去 sound like 我死 / 死在 / 死去, the model's strongest sounds of crisis (v4).
KEPT_SOUNDS = frozenset({"shi"})


def sound(syllable: str) -> str:
    """A toneless syllable as the sound channel reads it: :func:`fuzzy`, except :data:`KEPT_SOUNDS`."""
    return syllable if syllable in KEPT_SOUNDS else fuzzy(syllable)


@lru_cache(maxsize=16384)
def model_reading(ch: str) -> str:
    """The reading of a Han character in the model's sound channel (:func:`han_reading`, but 是 stays shi)."""
    reading = pinyin.usual_reading(ch)
    return sound(reading) if reading and reading.isalpha() else ""


@lru_cache(maxsize=8192)
def split_syllables(word: str) -> tuple[str, ...] | None:
    """A Latin word cut into pinyin syllables (the fewest), or None when it is not pinyin."""
    n = len(word)
    # fewest[i]: the fewest syllables that spell word[:i], and where the last one starts
    fewest: list[tuple[int, int] | None] = [(0, 0)] + [None] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_SYLLABLE), end):
            prev, here = fewest[start], fewest[end]
            if prev is not None and word[start:end] in SYLLABLES and (here is None or prev[0] + 1 < here[0]):
                fewest[end] = (prev[0] + 1, start)
    cuts: list[str] = []
    end = n
    while end > 0:
        step = fewest[end]
        if step is None:
            return None
        cuts.append(sound(word[step[1] : end]))
        end = step[1]
    return tuple(reversed(cuts)) if cuts else None


def syllables(clause: str) -> list[str]:
    """The clause read aloud: one (fuzzy) syllable per Han character and per pinyin syllable of a Latin
    word; a Latin word that is not pinyin stays a word; '' marks anything else (a break)."""
    out: list[str] = []
    for unit in _UNIT.findall(clause):
        if len(unit) == 1 and "\u3400" <= unit <= "\u9fff":
            out.append(model_reading(unit))
        elif unit[0].isascii() and unit[0].isalpha():
            cut = split_syllables(unit) if len(unit) <= 40 else None
            out.extend(cut if cut else (unit,))
        else:
            out.append("")
    return out


def clause_features(clause: str, into: set[str]) -> None:
    """Add the features of one clause (no spaces) to ``into``.

    Training builds every message's features here; scoring finds the same features as integers
    (:class:`PackedFeatures`) and builds them here only for windows it cannot pack."""
    for piece in clause.split("|"):
        n = len(piece)
        cut = piece.__getitem__
        for size in CHAR_NGRAMS:
            if n >= size:
                into.update(map(cut, map(slice, range(n - size + 1), range(size, n + 1))))
        sounds = syllables(piece)
        into.update(["~" + a for a in sounds if a])
        grams = [f"~{a} {b}" for a, b in pairwise(sounds) if a and b]
        grams += [f"~{a} {b} {c}" for a, b, c in zip(sounds, sounds[1:], sounds[2:], strict=False) if a and b and c]
        if grams and _AMBIGUOUS.search("\n".join(grams)):
            grams = [g for g in grams if _AMBIGUOUS.search(g) is None]
        into.update(grams)


def clauses(text: str) -> list[str]:
    """The clauses of a normalised message: split at spaces (punctuation), with consecutive Latin words
    kept together ("bu xiang huo le" is one clause, its words joined)."""
    out: list[str] = []
    latin = False
    for token in text.split(" "):
        if not token:
            continue
        is_latin = _LATIN_WORD.fullmatch(token) is not None
        if is_latin and latin and out:
            out[-1] += token
        else:
            out.append(token)
        latin = is_latin
    return out


def windows(text: str) -> list[list[str]]:
    """Maximal runs of consecutive clauses of at most :data:`WINDOW_CHARS` characters (a longer clause is
    cut into overlapping pieces); a short message is one window."""
    parts: list[str] = []
    for clause in clauses(text):
        if len(clause) <= WINDOW_CHARS:
            parts.append(clause)
        else:
            step = WINDOW_CHARS // 2
            parts += [clause[i : i + WINDOW_CHARS] for i in range(0, len(clause) - step, step)]
    out: list[list[str]] = []
    reached = 0
    for start in range(len(parts)):
        end, size = start, 0
        while end < len(parts) and (end == start or size + len(parts[end]) <= WINDOW_CHARS):
            size += len(parts[end])
            end += 1
        if end > reached:
            out.append(parts[start:end])
            reached = end
        if reached == len(parts):
            break
    return out


def features(window: Iterable[str]) -> set[str]:
    """The features of a run of clauses."""
    into: set[str] = set()
    for clause in window:
        clause_features(clause, into)
    return into


def message_features(text: str) -> set[str]:
    """The features of a whole message, as it is trained on (every clause)."""
    return features(clauses(text))


#: Bits of a character n-gram's code points (from the top) and of a syllable n-gram's ids (from bit 32).
_CHAR_SHIFTS = tuple(np.uint64(48 - 16 * k) for k in range(max(CHAR_NGRAMS)))
_SOUND_SHIFTS = tuple(np.uint64(32 - 16 * k) for k in range(max(SYLLABLE_NGRAMS)))
#: A window's n-grams are built in one array up to this many positions (a window holds at most WINDOW_CHARS
#: characters, and a NUL between its pieces): per channel, the positions each row reads and its shift.
_AT_MOST = 4 * WINDOW_CHARS
_CHAR_AT = np.arange(max(CHAR_NGRAMS))[:, None] + np.arange(_AT_MOST)[None, :]
_SOUND_AT = _CHAR_AT[: max(SYLLABLE_NGRAMS)]
_CHAR_SHIFT_COLUMN = np.array(_CHAR_SHIFTS, dtype=np.uint64)[:, None]
_SOUND_SHIFT_COLUMN = np.array(_SOUND_SHIFTS, dtype=np.uint64)[:, None]
#: Characters a window must not hold to be read as integers (the separator, the sound channel's mark).
_NOT_PACKED = ("\0", "~")
#: Syllable n-grams are tagged with the top 16 bits set (no character n-gram of the plane below U+FFFF is).
_SOUND_TAG_CHAR = "\uffff"
_SOUND_TAG = np.uint64(0xFFFF << 48)
#: A window with Latin letters (words cut into pinyin syllables) or a newline (read as no character) has
#: its syllables read by :func:`syllables`, not character by character.
_SPELLED = re.compile("[A-Za-z\n]")
#: How many syllable n-grams :meth:`PackedFeatures.of` packs at a time.
_PACK_RUN = 8192
#: What a run of syllable n-grams ("~a b~c") cannot hold: an empty name or syllable.
_NO_SYLLABLE = ("~~", "~ ", " ~", "  ")
#: A code point whose syllable id is not known yet (ids are below it).
_NOT_YET = 0xFFFF


@dataclass(frozen=True, eq=False)
class PackedFeatures:
    """The model's features as sorted 64-bit integers, so that a window's features are found without building
    them as strings (:meth:`rows_of`: a few dozen numpy calls instead of ~80 strings built, hashed and
    compared one by one).

    A character n-gram (1-4 characters of Unicode's Basic Multilingual Plane, below U+FFFF) is its
    characters' code points, 16 bits each, from the top bits down; a syllable n-gram (1-3) is its syllables'
    ids (1 and up, :attr:`syllable_ids`), 16 bits each, from bit 47 down, with the top 16 bits set. No code
    point or id is 0, so a shorter n-gram is a longer one padded with zeros and each integer names one
    feature. A window holding a character outside the plane, U+FFFF, a NUL or '~' is looked up by its
    strings, as before."""

    #: the packed features, ascending, and each one's row in the weights
    keys: np.ndarray
    rows: np.ndarray
    syllable_ids: Mapping[str, int]
    #: the syllable id of each code point of the plane (0: none), filled as characters are first seen
    by_code_point: np.ndarray = field(default_factory=lambda: np.full(0x10000, _NOT_YET, dtype=np.uint16))

    @classmethod
    def of(cls, text: str, bounds: Sequence[int]) -> PackedFeatures | None:
        """The features named ``text[bounds[i]:bounds[i + 1]]`` (row i); None when one of the syllable
        n-grams cannot be packed (an empty syllable, more than three, a "~" after the first character: then
        every window is looked up by its strings). A model loaded from its
        file keeps its packed features in the disk cache with the decoded model (:meth:`CrisisModel.load`);
        a model trained in the process (``python -m faq.crisis crossval``) packs them here, uncached."""
        return cls._pack(text, bounds)

    def parts(self) -> tuple[bytes, bytes, list[str]]:
        """What :meth:`from_parts` needs (builtin types, for the disk cache)."""
        return self.keys.tobytes(), self.rows.tobytes(), sorted(self.syllable_ids, key=self.syllable_ids.__getitem__)

    @classmethod
    def from_parts(cls, stored: object) -> PackedFeatures | None:
        """The packed features :meth:`parts` gave, or None when ``stored`` is not what it gives."""
        if not (isinstance(stored, tuple) and len(stored) == 3):
            return None
        keys, rows, syllables_known = stored
        if not (
            isinstance(keys, bytes)
            and isinstance(rows, bytes)
            and isinstance(syllables_known, list)
            and all(isinstance(syllable, str) for syllable in syllables_known)
            and len(keys) == 2 * len(rows)
            and len(rows) % 4 == 0
        ):
            return None
        return cls(
            np.frombuffer(keys, dtype=np.uint64),
            np.frombuffer(rows, dtype=np.int32),
            {syllable: i for i, syllable in enumerate(syllables_known, 1)},
        )

    @classmethod
    def _pack(cls, text: str, bounds: Sequence[int]) -> PackedFeatures | None:
        edges = np.asarray(bounds, dtype=np.int64)
        begin, size = edges[:-1], np.diff(edges)
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        last = len(codes) - 1
        sound = codes[begin] == ord("~")
        # character n-grams: those of the plane below U+FFFF, without NUL or '~' (no window that could hold
        # one of the others is packed)
        keys = np.zeros(len(begin), dtype=np.uint64)
        packable = ~sound & (size >= 1) & (size <= max(CHAR_NGRAMS))
        for k, shift in enumerate(_CHAR_SHIFTS):
            code = np.where(size > k, codes[np.minimum(begin + k, last)], 0)
            packable &= (code < 0xFFFF) & ((code != 0) | (size <= k)) & (code != ord("~"))
            keys |= code.astype(np.uint64) << shift
        char_rows = np.flatnonzero(packable)
        # syllable n-grams ("~a b c"), a run of rows at a time (a list of all their syllables would cost
        # megabytes at once), read from one string per run (its names each after its "~"); a sound n-gram
        # with one of AMBIGUOUS_SOUNDS is never a window's feature: left out. Syllables get their ids in the
        # order they are first seen.
        syllable_ids: dict[str, int] = {}
        sound_rows: list[np.ndarray] = []
        sound_keys: list[np.ndarray] = []
        everywhere = np.flatnonzero(sound)
        for lo in range(0, len(everywhere), _PACK_RUN):
            rows = everywhere[lo : lo + _PACK_RUN]
            first, last_row = int(rows[0]), int(rows[-1])
            if last_row - first == len(rows) - 1:  # (consecutive, as in a model's sorted vocabulary)
                block = text[int(edges[first]) : int(edges[last_row + 1])]
            else:
                block = "".join([text[a:b] for a, b in zip(edges[rows].tolist(), edges[rows + 1].tolist(), strict=True)])
            # a "~" only where a name starts, no empty name or syllable, at most three syllables a name
            if block.count("~") != len(rows) or any(gap in block for gap in _NO_SYLLABLE) or block.endswith((" ", "~")):
                return None
            breaks = np.frombuffer(block.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            # syllables per name: the spaces after its "~", and one
            spaces = np.bincount(np.cumsum(breaks == ord("~")) - 1, weights=breaks == ord(" "), minlength=len(rows))
            sizes = spaces.astype(np.int64) + 1
            if int(sizes.max()) > len(_SOUND_SHIFTS):
                return None
            if _AMBIGUOUS.search(block):
                kept = np.array([_AMBIGUOUS.search(name) is None for name in block[1:].split("~")])
                block = "~" + "~".join(name for name, keep in zip(block[1:].split("~"), kept, strict=True) if keep)
                rows, sizes = rows[kept], sizes[kept]
                if not len(rows):
                    continue
            flat = block[1:].replace("~", " ").split(" ")
            del block, breaks
            for syllable in dict.fromkeys(flat):  # (first seen first)
                if syllable not in syllable_ids:
                    syllable_ids[syllable] = len(syllable_ids) + 1
            ids = np.fromiter(map(syllable_ids.__getitem__, flat), dtype=np.uint64, count=len(flat))
            del flat
            # each syllable's place in its n-gram (0, 1, 2) -> its id shifted to that place's bits
            row_of = np.repeat(np.arange(len(rows)), sizes)
            place = np.arange(len(ids)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            placed = np.zeros((len(rows), len(_SOUND_SHIFTS)), dtype=np.uint64)
            placed[row_of, place] = ids << _SOUND_SHIFT_COLUMN[place, 0]
            sound_keys.append(np.bitwise_or.reduce(placed, axis=1) | _SOUND_TAG)
            sound_rows.append(rows)
        if len(syllable_ids) + 1 >= _NOT_YET:
            return None
        all_keys = np.concatenate((keys[char_rows], *sound_keys))
        all_rows = np.concatenate((char_rows, *sound_rows)).astype(np.int32)
        order = np.argsort(all_keys, kind="stable")
        return cls(all_keys[order], all_rows[order], syllable_ids)

    def rows_of(self, window: Sequence[str]) -> np.ndarray | None:
        """The rows of the features of a run of clauses that the model has, ascending, each once (what
        ``vocabulary.present(features(window))`` finds, as a set); None when the window holds a character
        that is not packed."""
        pieces = [piece for clause in window for piece in clause.split("|")]
        plain = "".join(pieces)
        if plain and (max(plain) >= _SOUND_TAG_CHAR or any(ch in plain for ch in _NOT_PACKED)):
            return None
        # The pieces' characters with a 0 between them and after them. Every position's 1-4-grams are asked:
        # one that runs into a 0 is a shorter one (asked anyway) or holds a 0 before a character, and one
        # that starts on a 0 is below 1 << 48; no feature is either.
        pad = max(CHAR_NGRAMS) - 1
        joined = "\0".join(pieces) + "\0" * pad
        codes = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
        n = len(codes) - pad
        # Syllables likewise (0 is a break; an unknown syllable has an id no feature has), tagged.
        ids = self._syllable_ids(codes) if _SPELLED.search(plain) is None else self._spelled_ids(pieces, len(codes))
        if n <= _AT_MOST:
            # Every n-gram in one (7, n) table: row k - 1 the character k-grams, rows 4 to 6 the syllable 1-3-grams.
            # Row k of a channel is its k-th shifted code OR'ed into the row before, the same integers as
            # grams[k] = grams[k - 1] | (wide[k : n + k] << shift[k]) (one accumulate instead of a call per row).
            table = np.empty((len(_CHAR_SHIFTS) + len(_SOUND_SHIFTS), n), dtype=np.uint64)
            chars, sounds = table[: len(_CHAR_SHIFTS)], table[len(_CHAR_SHIFTS) :]
            np.left_shift(codes[_CHAR_AT[:, :n]], _CHAR_SHIFT_COLUMN, out=chars, dtype=np.uint64)
            np.bitwise_or.accumulate(chars, axis=0, out=chars)
            np.left_shift(ids[_SOUND_AT[:, :n]], _SOUND_SHIFT_COLUMN, out=sounds, dtype=np.uint64)
            sounds[0] |= _SOUND_TAG
            np.bitwise_or.accumulate(sounds, axis=0, out=sounds)
            wanted = table.ravel()
        else:
            wide, ids = codes.astype(np.uint64), ids.astype(np.uint64)
            grams = [wide[:n] << _CHAR_SHIFTS[0]]
            for k in range(1, max(CHAR_NGRAMS)):
                grams.append(grams[-1] | (wide[k : n + k] << _CHAR_SHIFTS[k]))
            sound_grams = [ids[:n] << _SOUND_SHIFTS[0] | _SOUND_TAG]
            for k in range(1, max(SYLLABLE_NGRAMS)):
                sound_grams.append(sound_grams[-1] | (ids[k : n + k] << _SOUND_SHIFTS[k]))
            wanted = np.concatenate((*grams, *sound_grams))
        wanted.sort()  # the same feature asked twice is asked once; sorted keys also search faster
        wanted = wanted[np.concatenate(((True,), wanted[1:] != wanted[:-1]))]
        keys = self.keys
        at = keys.searchsorted(wanted)
        np.minimum(at, len(keys) - 1, out=at)
        found = self.rows[at[keys[at] == wanted]]
        found.sort()
        return found

    def _syllable_ids(self, codes: np.ndarray) -> np.ndarray:
        """The syllable id at each character of a text without Latin letters (a Han character's reading;
        0 for anything else, a break), from a table by code point filled as characters are first seen
        (uint16, as the table holds them)."""
        table = self.by_code_point
        ids = table[codes]
        new = ids == _NOT_YET
        if np.logical_or.reduce(new):  # (new.any() without its Python wrapper)
            get, unknown = self.syllable_ids.get, len(self.syllable_ids) + 1
            for code in set(codes[new].tolist()):  # (not np.unique: it imports numpy.ma, ~1.5 MB)
                ch = chr(code)
                reading = model_reading(ch) if "\u3400" <= ch <= "\u9fff" else ""
                table[code] = get(reading, unknown) if reading else 0
            ids = table[codes]
        return ids  # (uint16: widened where the n-grams are built)

    def _spelled_ids(self, pieces: Sequence[str], size: int) -> np.ndarray:
        """The syllable ids of pieces with Latin letters (a word is cut into pinyin syllables, see
        :func:`syllables`), 0 after each piece and up to ``size``."""
        get, unknown = self.syllable_ids.get, len(self.syllable_ids) + 1
        said: list[int] = []
        for piece in pieces:
            said += [get(sound, unknown) if sound else 0 for sound in syllables(piece)]
            said.append(0)
        said += [0] * (max(size, len(said) + max(SYLLABLE_NGRAMS) - 1) - len(said))
        return np.array(said, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Scores:
    """The highest probability of each class over the windows of a message."""

    crisis: float
    #: distress or crisis
    despair: float


@dataclass(frozen=True, eq=False)
class CrisisModel:
    """A trained model: its feature rows, bias per class, and the thresholds the layer applies."""

    vocabulary: Mapping[str, int]
    #: (features, 3) weights for neither / distress / crisis
    weights: np.ndarray
    bias: np.ndarray
    crisis_at: float = 0.5
    distress_at: float = 0.7
    #: a cue or the safety net is overruled below this crisis probability (None: never)
    veto_below: float | None = None
    #: A digest of the training data and settings (tests check it against the crisis files).
    trained_on: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)

    @cached_property
    def _bias(self) -> tuple[float, float, float]:
        b = self.bias.tolist()
        return b[0], b[1], b[2]

    def probabilities(self, window: Iterable[str]) -> np.ndarray:
        """neither / distress / crisis for one run of clauses."""
        return np.asarray(self._softmax(window))

    @cached_property
    def _packed(self) -> PackedFeatures | None:
        vocabulary = self.vocabulary
        text: str
        bounds: Sequence[int]
        if isinstance(vocabulary, StringIndex):
            text, bounds = vocabulary.joined()
        else:
            names = sorted(vocabulary, key=vocabulary.__getitem__)
            text, bounds = "".join(names), [0, *accumulate(map(len, names))]
        return PackedFeatures.of(text, bounds)

    def rows(self, window: Sequence[str]) -> np.ndarray | list[int]:
        """The weight rows of the features of a run of clauses that the model has, ascending, each once."""
        packed = self._packed
        found = packed.rows_of(window) if packed is not None else None
        if found is not None:
            return found
        vocabulary = self.vocabulary
        if isinstance(vocabulary, StringIndex):
            return sorted(set(vocabulary.present(features(window))))
        get = vocabulary.get
        return sorted({i for i in map(get, features(window)) if i is not None})

    def _softmax(self, window: Iterable[str]) -> tuple[float, float, float]:
        """:meth:`probabilities` as three floats: one numpy call (the sum of the weight rows of the features
        present, in the order of the rows, in double precision: the same sum in every process), the rest
        in plain floats (numpy's per-call cost dominates three numbers)."""
        window = list(window)
        rows = self.rows(window)
        bias = self._bias
        if len(rows):
            total = np.add.reduce(self.weights[rows], axis=0, dtype=np.float64).tolist()  # (.sum without its wrapper)
            k = length_scale(sum(map(len, window)), self.settings.get("length_norm"))
            z = [bias[0] + k * total[0], bias[1] + k * total[1], bias[2] + k * total[2]]
        else:
            z = list(bias)
        top = max(z)
        e0, e1, e2 = exp(z[0] - top), exp(z[1] - top), exp(z[2] - top)
        whole = e0 + e1 + e2
        return e0 / whole, e1 / whole, e2 / whole

    def scores(self, text: str) -> Scores:
        """The highest crisis and despair (distress or crisis) probabilities over the windows of ``text``
        (normalised; '|' marks blanked-out hyperbole)."""
        crisis = despair = 0.0
        for window in windows(text):
            _, distress, p_crisis = self._softmax(window)
            crisis = max(crisis, p_crisis)
            despair = max(despair, distress + p_crisis)
        return Scores(crisis, despair)

    def probability(self, text: str) -> float:
        """The highest crisis probability over the windows of ``text``."""
        return self.scores(text).crisis

    # ------------------------------------------------------------------------------------------- files

    def to_json(self) -> dict[str, object]:
        vocabulary = self.vocabulary
        names = list(vocabulary) if isinstance(vocabulary, StringIndex) else sorted(vocabulary, key=vocabulary.__getitem__)
        return {
            "about": "faq/crisis_model.py: neither/distress/crisis logistic regression over character 1-4-grams "
            "and syllable 1-3-grams; retrain with `python -m faq.crisis train`",
            "version": FEATURES_VERSION,
            "classes": list(CLASSES),
            "crisis_at": self.crisis_at,
            "distress_at": self.distress_at,
            "veto_below": self.veto_below,
            "trained_on": self.trained_on,
            "settings": dict(self.settings),
            "bias": [round(float(b), 4) for b in self.bias],
            "features": names,
            # one row of three weights per feature, flattened, in thousandths: as little-endian 16-bit integers
            # in base64 (decoded ~10x faster than a list of numbers), or as that list when one does not fit
            **_encoded_weights([round(float(w) * 1000) for w in self.weights.reshape(-1)]),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CrisisModel:
        names, bias = data.get("features"), data.get("bias")
        weights = _decoded_weights(data)
        if not isinstance(names, list) or weights is None or not isinstance(bias, list):
            raise ValueError("a crisis model needs 'features', 'weights' and 'bias' (retrain it)")
        if data.get("version") != FEATURES_VERSION:
            raise ValueError(f"crisis model version {data.get('version')!r}, expected {FEATURES_VERSION} (retrain it)")
        if len(bias) != len(CLASSES) or len(weights) != len(names) * len(CLASSES):
            raise ValueError("crisis model: 'weights' must hold three per feature and 'bias' three")
        crisis_at, distress_at = data.get("crisis_at", 0.5), data.get("distress_at", 0.7)
        veto = data.get("veto_below")
        if not isinstance(crisis_at, int | float) or not isinstance(distress_at, int | float):
            raise ValueError("'crisis_at' and 'distress_at' must be numbers")
        if veto is not None and not isinstance(veto, int | float):
            raise ValueError("'veto_below' must be a number or null")
        settings = data.get("settings", {})
        return cls(
            vocabulary=StringIndex.of(map(str, names)),
            weights=weights.reshape(-1, len(CLASSES)) / 1000,
            bias=np.asarray(bias, dtype=np.float64),
            crisis_at=float(crisis_at),
            distress_at=float(distress_at),
            veto_below=float(veto) if veto is not None else None,
            trained_on=str(data.get("trained_on", "")),
            settings=dict(settings) if isinstance(settings, dict) else {},
        )

    @classmethod
    def load(cls, path: str | Path) -> CrisisModel:
        """The model saved in ``path``. The last one loaded is kept and returned again while the file's
        bytes are the same: a model is immutable, and a /reload (a second engine built beside the first)
        then shares it instead of decoding a second copy (~10-18 MB at its peak)."""
        raw = Path(path).read_bytes()
        key = (str(Path(path).resolve()), hashlib.sha256(raw).hexdigest())
        with _last_loaded_lock:
            if key in _last_loaded:
                return _last_loaded[key]
        model = _decoded(key[1])
        if model is None:
            model = cls.from_json(json.loads(raw.decode("utf-8")))
            _ = model._packed  # packed now, while the engine is built, not at its first reply
            _save_decoded(key[1], model)
        with _last_loaded_lock:
            _last_loaded.clear()
            _last_loaded[key] = model
        return model

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


#: The key of the weights in thousandths as base64 of little-endian 16-bit integers (:meth:`CrisisModel.to_json`).
_WEIGHTS_I16 = "weights_i16le_base64"


def _encoded_weights(thousandths: list[int]) -> dict[str, object]:
    """The weights (in thousandths) as a model file holds them: base64 of int16 when they all fit, else a list."""
    if thousandths and (min(thousandths) < -(2**15) or max(thousandths) >= 2**15):
        return {"weights": thousandths}
    return {_WEIGHTS_I16: base64.b64encode(np.asarray(thousandths, dtype="<i2").tobytes()).decode("ascii")}


def _decoded_weights(data: Mapping[str, object]) -> np.ndarray | None:
    """The flattened weights in thousandths (float32) of a model file in either form, or None."""
    listed, packed = data.get("weights"), data.get(_WEIGHTS_I16)
    if isinstance(listed, list):
        return np.asarray(listed, dtype=np.float32)
    if isinstance(packed, str):
        try:
            raw = base64.b64decode(packed, validate=True)
        except ValueError:
            return None
        if len(raw) % 2 == 0:
            return np.frombuffer(raw, dtype="<i2").astype(np.float32)
    return None


# ------------------------------------------------------------------------------------------ training


@dataclass(frozen=True)
class Settings:
    """How a model is fitted (chosen by the cross-author evaluation, ``python -m faq.crisis crossval``)."""

    #: inverse L2 strength (scikit-learn's C)
    c: float = 1.0
    #: sample weight of distress and crisis messages (neither = 1)
    distress_weight: float = 1.5
    crisis_weight: float = 2.0
    #: features seen in fewer training messages are not used
    min_count: int = 2
    #: the value of a one-character or one-syllable feature (others: 1). Below 1 it is regularised more
    #: strongly, so that a lone 想 or 死 cannot decide a short message (folded into the saved weights)
    unigram_value: float = 0.5
    crisis_at: float = 0.59
    distress_at: float = 0.83
    #: a cue or the safety net is overruled when the model's crisis probability is below this (None: never)
    veto_below: float | None = 0.045
    #: a run of clauses longer than this many characters has its features scaled by sqrt(length_norm / its
    #: length), in training and in scoring (None: never), so that the many generic n-grams of a long story
    #: cannot add up to despair (see :func:`length_scale`)
    length_norm: int | None = 16


def length_scale(chars: int, norm: object) -> float:
    """The factor of the features of a run of clauses of ``chars`` characters: 1 up to ``norm`` characters,
    then sqrt(norm / chars) (a 64-character window: 0.71 at 32), so that its generic n-grams (就 在 去 已经 ...),
    which long crisis stories also hold, weigh as much together as those of a short message."""
    if not isinstance(norm, int) or norm <= 0 or chars <= norm:
        return 1.0
    return sqrt(norm / chars)


def is_unigram(feature: str) -> bool:
    """One character, or one syllable of the sound channel."""
    return len(feature) == 1 or (feature.startswith("~") and " " not in feature)


def digest(texts: Sequence[str], labels: Sequence[int], settings: Settings) -> str:
    """What a model was trained on: the texts, their labels, the settings and the feature version."""
    h = hashlib.sha256(f"v{FEATURES_VERSION} {settings!r}\n".encode())
    for text, label in zip(texts, labels, strict=True):
        h.update(f"{label}\t{text}\n".encode())
    return h.hexdigest()[:16]


def train(texts: Sequence[str], labels: Sequence[int], settings: Settings | None = None) -> CrisisModel:
    """Fit the model on normalised ``texts`` with labels 0 (neither), 1 (distress), 2 (crisis).

    Deterministic (lbfgs from zeros). Needs scikit-learn (a test/maintainer dependency); the running bot
    only adds up the saved weights."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    settings = settings or Settings()
    if len(texts) != len(labels) or not texts:
        raise ValueError("texts and labels must be non-empty and of the same length")
    if set(labels) - {0, 1, 2}:
        raise ValueError("labels are 0 (neither), 1 (distress) or 2 (crisis)")
    rows = [sorted(message_features(t)) for t in texts]
    counts: dict[str, int] = {}
    for row in rows:
        for f in row:
            counts[f] = counts.get(f, 0) + 1
    names = sorted(f for f, n in counts.items() if n >= settings.min_count)
    index = {f: i for i, f in enumerate(names)}
    indptr, indices = [0], []
    for row in rows:
        indices += [index[f] for f in row if f in index]
        indptr.append(len(indices))
    value = np.array([settings.unigram_value if is_unigram(f) else 1.0 for f in names])
    scale = np.array([length_scale(sum(map(len, clauses(t))), settings.length_norm) for t in texts])
    data = value[indices] * np.repeat(scale, np.diff(indptr))
    x = csr_matrix((data, indices, indptr), shape=(len(rows), len(names)))
    y = np.asarray(labels)
    weight = np.where(y == 2, settings.crisis_weight, np.where(y == 1, settings.distress_weight, 1.0))
    present = sorted(set(labels))
    fit = LogisticRegression(C=settings.c, max_iter=3000, tol=1e-6)
    fit.fit(x, y, sample_weight=weight)
    coef = np.zeros((len(names), len(CLASSES)))
    bias = np.full(len(CLASSES), -30.0)
    if len(present) == 2:  # a binary fit: one column for the second class
        coef[:, present[1]] = fit.coef_[0]
        bias[present[0]], bias[present[1]] = 0.0, float(fit.intercept_[0])
    else:
        for j, label in enumerate(fit.classes_):
            coef[:, label] = fit.coef_[j]
            bias[label] = fit.intercept_[j]
    coef *= value[:, None]  # scoring adds up weights of features present (value folded in)
    keep = np.abs(coef).max(axis=1) >= MIN_WEIGHT
    kept = [f for f, k in zip(names, keep, strict=True) if k]
    return CrisisModel(
        vocabulary=StringIndex.of(kept),
        weights=np.round(coef[keep] * 1000).astype(np.float32) / 1000,
        bias=np.round(bias, 4),
        crisis_at=settings.crisis_at,
        distress_at=settings.distress_at,
        veto_below=settings.veto_below,
        trained_on=digest(texts, labels, settings),
        settings={"c": settings.c, "distress_weight": settings.distress_weight,
                  "crisis_weight": settings.crisis_weight, "min_count": settings.min_count,
                  "unigram_value": settings.unigram_value, "length_norm": settings.length_norm},
    )



#: How a decoded crisis model is kept in the on-disk cache (part of its key).
_DECODED_FORMAT = "crisis-model-2"


def _save_decoded(digest: str, model: CrisisModel) -> None:
    """The decoded model and its packed features (:class:`PackedFeatures`) in one entry of the on-disk cache
    (:mod:`faq.cache`), keyed by the digest of its file: reading it back skips the JSON, the vocabulary's
    index and the packing (~0.1 s of every start, whatever the knowledge base). Only models loaded from
    a file are kept (:meth:`CrisisModel.load`); models trained in the process never are."""
    if not isinstance(model.vocabulary, StringIndex):
        return
    text, bounds = model.vocabulary.joined()
    weights = np.ascontiguousarray(model.weights, dtype=np.float32)
    packed = model._packed
    cache.save_marshal(
        "crisis-model",
        _digest_key(digest),
        (
            text,
            bounds.tobytes(),
            weights.tobytes(),
            weights.shape[1],
            np.ascontiguousarray(model.bias, dtype=np.float64).tobytes(),
            model.crisis_at,
            model.distress_at,
            model.veto_below,
            model.trained_on,
            dict(model.settings),
            packed.parts() if packed is not None else None,
        ),
    )


def _digest_key(digest: str) -> str:
    packing = f"packed v1 {CHAR_NGRAMS} {SYLLABLE_NGRAMS} {AMBIGUOUS_SOUNDS}"
    return hashlib.sha256(f"{_DECODED_FORMAT}\n{FEATURES_VERSION}\n{packing}\n{digest}".encode()).hexdigest()


def _decoded(digest: str) -> CrisisModel | None:
    """The model :func:`_save_decoded` kept for the file of this digest, or None (nothing kept, or anything
    unexpected in it: the file is decoded again)."""
    stored = cache.load_marshal("crisis-model", _digest_key(digest))
    if not (isinstance(stored, tuple) and len(stored) == 11):
        return None
    text, raw_bounds, raw_weights, columns, raw_bias, crisis_at, distress_at, veto, trained_on, settings = stored[:10]
    packed = PackedFeatures.from_parts(stored[10]) if stored[10] is not None else None
    if stored[10] is not None and packed is None:
        return None
    if not (
        isinstance(text, str)
        and isinstance(raw_bounds, bytes)
        and isinstance(raw_weights, bytes)
        and columns == len(CLASSES)
        and isinstance(raw_bias, bytes)
        and isinstance(crisis_at, float)
        and isinstance(distress_at, float)
        and (veto is None or isinstance(veto, float))
        and isinstance(trained_on, str)
        and isinstance(settings, dict)
    ):
        return None
    bounds = array("q")
    try:
        bounds.frombytes(raw_bounds)
        weights = np.frombuffer(raw_weights, dtype=np.float32).reshape(-1, columns)
        bias = np.frombuffer(raw_bias, dtype=np.float64)
    except ValueError:
        return None
    if not bounds or bounds[-1] != len(text) or len(bounds) - 1 != len(weights) or len(bias) != len(CLASSES):
        return None
    if packed is not None and len(packed.rows) and int(packed.rows.max()) >= len(weights):
        return None
    model = CrisisModel(
        vocabulary=StringIndex(text, bounds),
        weights=weights,
        bias=bias,
        crisis_at=crisis_at,
        distress_at=distress_at,
        veto_below=veto,
        trained_on=trained_on,
        settings=settings,
    )
    model.__dict__["_packed"] = packed  # (the cached_property's value, as packing the vocabulary gives it)
    return model
