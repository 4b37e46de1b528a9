"""Pure helpers that shape an answer for a phone screen: the direct sentence first, a short first message,
the rest behind "详细说明". They read the knowledge base's texts, the same few hundred for every reply:
each result is remembered (``functools.lru_cache``; the results are strings and tuples, never changed).

- :func:`first_sentence` is the fallback summary of an intent that has none yet (its answer's first sentence).
- :func:`split_to_budget` keeps the answer's first paragraphs within a character budget; the rest goes to the
  details.
- :func:`stage_lead` picks the line of a stage block that answers the question (family_contact at day 20:
  "可能开始联系你预留的紧急联系人"), so that the stage leads when it decides the answer.

>>> first_sentence("先说结论:正规平台一般不会一逾期就打给家人。\\n\\n据文章一...")
('先说结论:正规平台一般不会一逾期就打给家人。', '据文章一...')
>>> split_to_budget("一。\\n\\n二二。\\n\\n三三三。", 8)
('一。\\n\\n二二。', '三三三。')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from faq import regexes

#: The first message (summary + answer + stage block) stays within this many characters.
FIRST_MESSAGE_BUDGET = 480
MAX_SUMMARY_CHARS = 80
_SENTENCE_END = regexes.lazy(r"[。!?!?\n]")
_CLAUSE_END = regexes.lazy(r"[,,;;::]")
_BULLET = regexes.lazy(r"^\s*(?:[•·\-*]|\d+[.、)])\s*")
_SOURCE_NOTE = regexes.lazy(r"[((][^()()]*(?:文章|条)[^()()]*[))]")


@lru_cache(maxsize=1024)
def first_sentence(answer: str, limit: int = MAX_SUMMARY_CHARS) -> tuple[str, str]:
    """(the answer's first sentence, the rest). A sentence over ``limit`` characters is cut at a clause end,
    else not taken at all (the summary is then empty and the answer stays whole)."""
    text = answer.strip()
    if not text:
        return "", ""
    end = _SENTENCE_END.search(text)
    cut = end.end() if end else len(text)
    sentence = text[:cut].strip()
    if len(sentence) > limit:
        clauses = [m.end() for m in _CLAUSE_END.finditer(sentence) if m.end() <= limit]
        if not clauses:
            return "", text
        cut = clauses[-1]
        sentence = text[:cut].strip()
    sentence = re.sub(r"[,,;;::]+$", "", sentence)
    return sentence, text[cut:].strip()


def paragraphs(text: str) -> list[str]:
    return list(_paragraphs(text))


@lru_cache(maxsize=1024)
def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())


@lru_cache(maxsize=1024)
def split_to_budget(text: str, budget: int) -> tuple[str, str]:
    """(the leading paragraphs that fit in ``budget`` characters, the rest). The first paragraph is kept
    even when it alone is over budget but shorter than half a screen (200 characters)."""
    parts = _paragraphs(text)
    kept: list[str] = []
    size = 0
    for i, paragraph in enumerate(parts):
        extra = len(paragraph) + (2 if kept else 0)
        if size + extra > budget and not (i == 0 and len(paragraph) <= 200):
            return "\n\n".join(kept), "\n\n".join(parts[i:])
        kept.append(paragraph)
        size += extra
    return "\n\n".join(kept), ""


def bullets(block: str) -> list[str]:
    """The lines of a stage block field without their bullet marks."""
    return list(_bullets(block))


@lru_cache(maxsize=1024)
def _bullets(block: str) -> tuple[str, ...]:
    return tuple(_BULLET.sub("", line).strip() for line in block.splitlines() if line.strip())


def stage_lead(words: Iterable[str], expect: str) -> str | None:
    """The first line of a stage's "what usually happens" that speaks of the question's words (an
    intent's keywords), or None. Stage lines are written most important first."""
    return _stage_lead(tuple(words), expect)


@lru_cache(maxsize=1024)
def _stage_lead(words: tuple[str, ...], expect: str) -> str | None:
    vocabulary = [w for w in dict.fromkeys(words) if len(w) >= 2]
    return next((line for line in _bullets(expect) if any(word in line for word in vocabulary)), None)


@lru_cache(maxsize=1024)
def clean_lead(line: str) -> str:
    """A stage line as a sentence: source notes in brackets dropped, a full stop at the end."""
    line = re.sub(r"[。.;;,,]+$", "", _SOURCE_NOTE.sub("", line).strip())
    return line + "。" if line else line


def quote(text: str, limit: int) -> str:
    """The user's own words, on one line, cut with "…" when long."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"
