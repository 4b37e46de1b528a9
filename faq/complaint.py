"""Complaint letters about debt collection, from a few answers: the platform, since when, what happened.

>>> templates = load_templates()                                   # doctest: +SKIP
>>> request = ComplaintRequest("某某借", dt.date(2026, 11, 1), ("night_calls", "contacts"))
>>> lender, regulator = write_letters(request, templates, today=dt.date(2026, 11, 26))  # doctest: +SKIP

Two letters: one to the lender's complaint channel, one to 12378 / the local financial regulator. Each
names the facts, the rules they break, the requests and the evidence to attach; 【...】 marks what the
borrower fills in (no personal data is ever invented). Every text comes from ``complaints.yaml``, which
maintainers edit; :func:`load_templates` validates it with errors that name the file and the key. Pure
functions: nothing here stores or logs anything.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from faq import yamlfile
from faq.normalize import safe_text

DEFAULT_COMPLAINTS_PATH = Path(__file__).resolve().parent.parent / "complaints.yaml"
#: The issue keys, in the order the letters list them (complaints.yaml must define exactly these).
ISSUE_KEYS = (
    "too_many_calls",
    "night_calls",
    "contacts",
    "threats",
    "insults",
    "impersonation",
    "fees",
    "home_visit",
    "personal_account",
)
LETTER_KEYS = ("lender", "regulator")
LETTER_FIELDS = (
    "title",
    "opening",
    "intro",
    "facts_heading",
    "rules_heading",
    "requests_heading",
    "evidence_heading",
    "closing",
)
PLACEHOLDERS = frozenset({"platform", "since", "today"})
MAX_PLATFORM_CHARS = 40
MAX_REQUEST_CHARS = 300
#: The earliest plausible "since" date (online lending in this form did not exist before).
EARLIEST = dt.date(2000, 1, 1)


class ComplaintError(ValueError):
    """A bad input (unknown issue, bad date, empty platform) or a broken complaints.yaml."""


@dataclass(frozen=True, slots=True)
class Issue:
    key: str
    label: str  # the button text
    fact: str
    rules: tuple[str, ...]
    evidence: tuple[str, ...]
    requests: tuple[str, ...]  # request keys this issue implies


@dataclass(frozen=True, slots=True)
class Templates:
    issues: dict[str, Issue]  # in ISSUE_KEYS order
    requests: dict[str, str]  # request key -> sentence
    letters: dict[str, dict[str, str]]  # "lender"/"regulator" -> field -> text
    footer: str


@dataclass(frozen=True, slots=True)
class ComplaintRequest:
    """What the borrower told us. ``requests``: request keys or the borrower's own sentences; empty means
    the requests the chosen issues imply."""

    platform: str
    since: dt.date
    issues: tuple[str, ...]
    requests: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- loading


def load_templates(path: str | Path | None = None) -> Templates:
    """Read and validate complaints.yaml (raises :class:`ComplaintError` naming the file and the key)."""
    path = Path(path or DEFAULT_COMPLAINTS_PATH)
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ComplaintError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ComplaintError(f"{path}: expected a mapping with issues, requests, letters and footer")
    _only(path, "", data, {"issues", "requests", "letters", "footer"})
    requests = _mapping(path, "requests", data.get("requests"))
    for key, text in requests.items():
        _text(path, f"requests.{key}", text)
    issues_data = _mapping(path, "issues", data.get("issues"))
    missing = [k for k in ISSUE_KEYS if k not in issues_data]
    if missing:
        raise ComplaintError(f"{path}: issues: missing {', '.join(missing)}")
    _only(path, "issues", issues_data, set(ISSUE_KEYS))
    issues: dict[str, Issue] = {}
    for key in ISSUE_KEYS:
        where = f"issues.{key}"
        item = _mapping(path, where, issues_data[key])
        _only(path, where, item, {"label", "fact", "rules", "evidence", "requests"})
        implied = tuple(_list(path, f"{where}.requests", item.get("requests"), check_text=False))
        unknown = [r for r in implied if r not in requests]
        if unknown:
            raise ComplaintError(f"{path}: {where}.requests: unknown request key(s) {', '.join(unknown)}")
        issues[key] = Issue(
            key=key,
            label=_text(path, f"{where}.label", item.get("label")),
            fact=_text(path, f"{where}.fact", item.get("fact")),
            rules=tuple(_list(path, f"{where}.rules", item.get("rules"))),
            evidence=tuple(_list(path, f"{where}.evidence", item.get("evidence"))),
            requests=implied,
        )
    letters_data = _mapping(path, "letters", data.get("letters"))
    _only(path, "letters", letters_data, set(LETTER_KEYS))
    letters: dict[str, dict[str, str]] = {}
    for name in LETTER_KEYS:
        fields = _mapping(path, f"letters.{name}", letters_data.get(name))
        _only(path, f"letters.{name}", fields, set(LETTER_FIELDS))
        letters[name] = {f: _text(path, f"letters.{name}.{f}", fields.get(f)) for f in LETTER_FIELDS}
    return Templates(issues, dict(requests), letters, _text(path, "footer", data.get("footer")))


def _only(path: Path, where: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        prefix = f"{where}: " if where else ""
        raise ComplaintError(
            f"{path}: {prefix}unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _mapping(path: Path, where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ComplaintError(f"{path}: {where}: expected a non-empty mapping")
    return value


def _list(path: Path, where: str, value: object, check_text: bool = True) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ComplaintError(f"{path}: {where}: expected a non-empty list")
    return [_text(path, f"{where}[{i}]", v) if check_text else str(v) for i, v in enumerate(value)]


def _text(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ComplaintError(f"{path}: {where}: missing or empty text")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ComplaintError(f"{path}: {where}: broken braces: {exc}") from exc
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise ComplaintError(
            f"{path}: {where}: unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"allowed: {{platform}}, {{since}}, {{today}}"
        )
    return value.strip()


# ------------------------------------------------------------------------------------------------ input


def parse_since(text: str, today: dt.date | None = None) -> dt.date:
    """A ``YYYY-MM-DD`` date, not in the future (raises :class:`ComplaintError` with a clear message)."""
    today = today or dt.date.today()
    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        raise ComplaintError(f"日期格式不对:{value!r},请用 YYYY-MM-DD,例如 {today.isoformat()}")
    try:
        date = dt.date(*(int(part) for part in value.split("-")))
    except ValueError as exc:
        raise ComplaintError(f"没有这一天:{value!r}") from exc
    if date > today:
        raise ComplaintError(f"日期 {value} 还没到(今天是 {today.isoformat()})")
    if date < EARLIEST:
        raise ComplaintError(f"日期 {value} 太早了,请检查")
    return date


def clean_platform(text: str) -> str:
    """The platform name as typed, on one line and bounded; raises when nothing is left."""
    name = " ".join(safe_text(text, MAX_PLATFORM_CHARS * 4).split())[:MAX_PLATFORM_CHARS]
    name = name.replace("{", "(").replace("}", ")")
    if not name:
        raise ComplaintError("请写上平台或APP的名字")
    return name


def check_issues(keys: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The issue keys in canonical order without repeats (raises on an unknown key or none at all)."""
    unknown = [k for k in keys if k not in ISSUE_KEYS]
    if unknown:
        raise ComplaintError(f"未知的问题类型:{', '.join(unknown)};可选:{', '.join(ISSUE_KEYS)}")
    if not keys:
        raise ComplaintError("请至少选择一个问题")
    return tuple(k for k in ISSUE_KEYS if k in keys)


# ---------------------------------------------------------------------------------------------- letters


def chinese_date(date: dt.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


def requests_of(request: ComplaintRequest, templates: Templates) -> list[str]:
    """The request sentences: the borrower's own (keys or free text), else those the issues imply."""
    chosen = list(request.requests)
    if not chosen:
        chosen = [key for issue in request.issues for key in templates.issues[issue].requests]
    out: list[str] = []
    for item in chosen:
        sentence = templates.requests.get(item)
        if sentence is None:
            sentence = " ".join(safe_text(item, MAX_REQUEST_CHARS).split())
        if sentence and sentence not in out:
            out.append(sentence)
    return out


def write_letter(
    kind: str, request: ComplaintRequest, templates: Templates, today: dt.date | None = None
) -> str:
    """One letter: ``kind`` "lender" (the platform's complaint channel) or "regulator" (12378 / 地方金融管理局)."""
    issues = [templates.issues[key] for key in check_issues(request.issues)]
    values = {
        "platform": request.platform,
        "since": chinese_date(request.since),
        "today": chinese_date(today or dt.date.today()),
    }
    t = {field: text.format(**values) for field, text in templates.letters[kind].items()}
    rules: list[str] = []
    evidence: list[str] = []
    for issue in issues:
        rules += [r for r in issue.rules if r not in rules]
        evidence += [e for e in issue.evidence if e not in evidence]
    lines = [t["title"], "", t["opening"], t["intro"], "", t["facts_heading"]]
    lines += [f"{n}. {issue.fact.format(**values)}" for n, issue in enumerate(issues, start=1)]
    lines += ["", t["rules_heading"], *(f"• {r}" for r in rules)]
    lines += ["", t["requests_heading"]]
    lines += [f"{n}. {r}" for n, r in enumerate(requests_of(request, templates), start=1)]
    lines += ["", t["evidence_heading"], *(f"• {e}" for e in evidence), "", t["closing"]]
    return "\n".join(lines)


def write_letters(
    request: ComplaintRequest, templates: Templates, today: dt.date | None = None
) -> tuple[str, str]:
    """The letter to the lender and the one to the regulator."""
    return (
        write_letter("lender", request, templates, today),
        write_letter("regulator", request, templates, today),
    )
