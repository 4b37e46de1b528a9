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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate, pairwise
from math import exp, sqrt
from pathlib import Path

import numpy as np

from faq import cache, pinyin, regexes
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
_AMBIGUOUS = regexes.lazy("|".join(map(re.escape, AMBIGUOUS_SOUNDS)))
_FUZZY_INITIALS = regexes.lazy(r"^(zh|ch|sh)")
_FUZZY_FINALS = regexes.lazy(r"(an|en|in)g$")
#: A Han character, a Latin word, or one other character.
_UNIT = regexes.lazy(r"[\u3400-\u9fff]|[a-z]+|.")
_LATIN_WORD = regexes.lazy(r"[a-z]+")


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


#: Bits of an n-gram's code points (or syllables' stand-ins), from the top: 16 each.
_CHAR_SHIFTS = tuple(np.uint64(48 - 16 * k) for k in range(max(CHAR_NGRAMS)))
_SOUND_SHIFT_COLUMN = np.array(_CHAR_SHIFTS[: max(SYLLABLE_NGRAMS)], dtype=np.uint64)[:, None]
#: A syllable of id i stands in the packed features as the character SOUND_BASE + i, one of Unicode's private
#: use area (U+E000-U+F8FF), which no packed character n-gram holds: a syllable n-gram packs as the character
#: n-gram of its stand-ins, so that a window's two channels are read as one text (see PackedFeatures.rows_of).
SOUND_BASE = 0xE000
_PRIVATE_END = 0xF8FF
#: What a window must not hold to be read as integers: the separator, the sound channel's mark, a character
#: of the private use area (the syllables' stand-ins) or one outside the Basic Multilingual Plane (and U+FFFF).
_NOT_PACKED = regexes.lazy("[\0~\ue000-\uf8ff\uffff-\U0010ffff]")
#: At most this many characters' stand-ins are remembered (see TranslationTable).
STAND_INS_REMEMBERED = 20_000
#: A window's text and its syllables' stand-ins, read 4 code units from each position (as one integer, the
#: first unit in the top 16 bits) -> its 1-4-grams there: the top k units kept (one row per size k).
_GRAM_MASKS = np.array([((1 << 16 * k) - 1) << 16 * (4 - k) for k in CHAR_NGRAMS], dtype=np.uint64)[:, None]
#: A window with Latin letters (words cut into pinyin syllables) or a newline (read as no character) has
#: its syllables read by :func:`syllables`, not character by character.
_SPELLED = regexes.lazy("[A-Za-z\n]")
#: How many syllable n-grams :meth:`PackedFeatures.of` packs at a time.
_PACK_RUN = 8192
#: What a run of syllable n-grams ("~a b~c") cannot hold: an empty name or syllable.
_NO_SYLLABLE = ("~~", "~ ", " ~", "  ")


class TranslationTable(dict[int, str]):
    """A ``str.translate`` table filled as characters are first seen: code point -> what ``of_char`` gives for
    its character, at most ``limit`` code points remembered (cleared when full: a few hundred KB at most)."""

    def __init__(self, of_char: Callable[[str], str], limit: int = STAND_INS_REMEMBERED) -> None:
        super().__init__()
        self._of_char = of_char
        self._limit = limit

    def __missing__(self, code: int) -> str:
        found = self._of_char(chr(code))
        if len(self) >= self._limit:
            self.clear()
        self[code] = found
        return found


class _StandIns(TranslationTable):
    """Code point -> the stand-in of its character's syllable (``str.translate``'s table for a window's sound
    channel): a Han character's reading, "\\0" (a break) for anything else."""

    def __init__(self, syllable_ids: Mapping[str, int]) -> None:
        super().__init__(self._of_han)
        self._ids = syllable_ids
        #: the stand-in of each id (one string each), and of a syllable the model does not know
        self._chars = [chr(SOUND_BASE + i) for i in range(len(syllable_ids) + 2)]

    def _of_han(self, ch: str) -> str:
        return self.of_sound(model_reading(ch) if "\u3400" <= ch <= "\u9fff" else "")

    def of_sound(self, sound: str) -> str:
        """The stand-in of a syllable (or a Latin word) as :func:`syllables` reads it ("": a break)."""
        return self._chars[self._ids.get(sound, len(self._ids) + 1)] if sound else "\0"


@dataclass(frozen=True, eq=False)
class PackedFeatures:
    """The model's features as sorted 64-bit integers, so that a window's features are found without building
    them as strings (:meth:`rows_of`: a dozen numpy calls instead of ~80 strings built, hashed and compared
    one by one).

    A character n-gram (1-4 characters of Unicode's Basic Multilingual Plane, below U+FFFF, outside its
    private use area) is its characters' code points, 16 bits each, from the top bits down; a syllable
    n-gram (1-3) is the same of its syllables' stand-ins, characters of the private use area
    (:data:`SOUND_BASE` + the syllable's id, 1 and up, :attr:`syllable_ids`). No code point is 0, so a
    shorter n-gram is a longer one padded with zeros and each integer names one feature. A window holding a
    character outside the plane, U+FFFF, one of the private use area, a NUL or '~' is looked up by its
    strings, as before."""

    #: the packed features, ascending, and each one's row in the weights
    keys: np.ndarray
    rows: np.ndarray
    syllable_ids: Mapping[str, int]

    @cached_property
    def stand_ins(self) -> _StandIns:
        """The stand-in of each character's syllable (see :class:`_StandIns`)."""
        return _StandIns(self.syllable_ids)

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
        # character n-grams: those of the plane below U+FFFF, outside the private use area, without NUL or '~'
        # (no window that could hold
        # one of the others is packed)
        keys = np.zeros(len(begin), dtype=np.uint64)
        packable = ~sound & (size >= 1) & (size <= max(CHAR_NGRAMS))
        for k, shift in enumerate(_CHAR_SHIFTS):
            code = np.where(size > k, codes[np.minimum(begin + k, last)], 0)
            # (one of the private use area would read as syllables' stand-ins: no window that could hold
            # one is packed either)
            packable &= (code < SOUND_BASE) | ((code > _PRIVATE_END) & (code < 0xFFFF))
            packable &= ((code != 0) | (size <= k)) & (code != ord("~"))
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
            if int(sizes.max()) > max(SYLLABLE_NGRAMS):
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
            placed = np.zeros((len(rows), max(SYLLABLE_NGRAMS)), dtype=np.uint64)
            placed[row_of, place] = (ids + np.uint64(SOUND_BASE)) << _SOUND_SHIFT_COLUMN[place, 0]
            sound_keys.append(np.bitwise_or.reduce(placed, axis=1))
            sound_rows.append(rows)
        if SOUND_BASE + len(syllable_ids) + 1 > _PRIVATE_END:
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
        if _NOT_PACKED.search(plain):
            return None
        # The pieces' characters with a 0 between them and after them, then their syllables' stand-ins likewise
        # (0 is a break; an unknown syllable has a stand-in no feature has) and four 0s: every position's
        # 1-4-grams are asked. One that runs into a 0 is a shorter one (asked anyway) or holds a 0 before a character, one
        # that starts on a 0 is below 1 << 48, and one of four syllables or that crosses from the text into
        # its syllables holds a 0 or a stand-in with a character: no feature is any of them.
        text = "\0".join(pieces) + "\0\0\0"
        if _SPELLED.search(plain) is None:
            sounds = text.translate(self.stand_ins) + "\0"
        else:
            sounds = "".join([self._spelled(piece) for piece in pieces]) + "\0\0\0\0"
        # Both reversed, as little-endian 16-bit units: the 8 bytes from unit j, read as one little-endian
        # integer, are the 4 units from position len - 4 - j in reading order, the first in the top 16 bits
        # (the 4-gram there); the integers at every unit are one strided view of the bytes, and each size's
        # n-grams the same integers masked: a few numpy calls for the whole window, whatever its length (in a
        # reply each costs microseconds).
        encoded = (text + sounds)[::-1].encode("utf-16-le", "surrogatepass")
        grams = np.ndarray((len(encoded) // 2 - 3,), "<u8", encoded, 0, (2,)) & _GRAM_MASKS
        wanted = grams.ravel()
        wanted.sort()  # the same feature asked twice is asked once; sorted keys also search faster
        # (the 0s, the 4-gram of the last four 0s among them, go with the first: no feature is 0)
        rest = wanted[1:]
        wanted = rest[rest != wanted[:-1]]
        keys = self.keys
        at = keys.searchsorted(wanted)
        found = self.rows.take(at[keys.take(at, mode="clip") == wanted])
        found.sort()
        return found

    def _spelled(self, piece: str) -> str:
        """The stand-ins of a piece with Latin letters (a word is cut into pinyin syllables, see
        :func:`syllables`), and a 0 after them."""
        of_sound = self.stand_ins.of_sound
        return "".join([of_sound(sound) for sound in syllables(piece)]) + "\0"


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
    #: 0.55 since crisis_train_11 (crisisfa3): after that retrain, cross-validated crisis recall on the groups
    #: before it was 0.57: -3, 0.56: +-0, 0.55: +4 against the model before it (docs/crisis.md); 0.57 since
    #: crisis_train_10 (crisisfa2), 0.59 before
    crisis_at: float = 0.55
    distress_at: float = 0.83
    #: a cue or the safety net is overruled when the model's crisis probability is below this (None: never);
    #: 0.044 since crisis_train_11 (0.045 before): the retrain moved a reader's own "撑不住了" cue to 0.0448,
    #: and no message of the crisis files or ordinary sets lies between 0.044 and 0.045 (docs/crisis.md)
    veto_below: float | None = 0.044
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
#: The kind of its cache entries (also shipped in the package's analysis file, :mod:`faq.analysis_file`).
KIND = "crisis-model"


def _save_decoded(digest: str, model: CrisisModel) -> None:
    """The decoded model and its packed features (:class:`PackedFeatures`) in one entry of the on-disk cache
    (:mod:`faq.cache`), keyed by the digest of its file: reading it back skips the JSON, the vocabulary's
    index and the packing (~0.1 s of every start, whatever the knowledge base; ``faq train`` ships it in the
    analysis file, read at a first start, :mod:`faq.analysis_file`). Only models loaded from a file are kept
    (:meth:`CrisisModel.load`); models trained in the process never are."""
    if not isinstance(model.vocabulary, StringIndex):
        return
    text, bounds = model.vocabulary.joined()
    weights = np.ascontiguousarray(model.weights, dtype=np.float32)
    packed = model._packed
    cache.save_marshal(
        KIND,
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
    packing = f"packed v2 {SOUND_BASE} {CHAR_NGRAMS} {SYLLABLE_NGRAMS} {AMBIGUOUS_SOUNDS}"
    return hashlib.sha256(f"{_DECODED_FORMAT}\n{FEATURES_VERSION}\n{packing}\n{digest}".encode()).hexdigest()


def _decoded(digest: str) -> CrisisModel | None:
    """The model :func:`_save_decoded` kept for the file of this digest, or None (nothing kept, or anything
    unexpected in it: the file is decoded again)."""
    stored = cache.load_marshal(KIND, _digest_key(digest))
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
