"""Loading and validating the knowledge base: every broken file is refused with file, line and intent id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kb_fixtures import minimal_crisis

from faq import kb as kb_module
from faq.cli import main as faq_main
from faq.engine import DEFAULT_KB_PATH
from faq.kb import TEXT_KEYS, KnowledgeBaseError, check_knowledge_base, load_knowledge_base
from faq.normalize import normalize_example

SHIPPED = Path(__file__).resolve().parent.parent / "intents.yaml"


def _stage(low: int, high: int | None) -> dict[str, object]:
    return {"min_days": low, "max_days": high, "title": "t", "expect": "e", "rights": "r", "todo": "d"}


def minimal_kb() -> dict[str, object]:
    questions = [f"会不会联系家人问题{i}" for i in range(8)]
    return {
        "version": 1,
        "texts": {key: f"{{days}}{key}" if key.startswith("stage_") else key for key in TEXT_KEYS},
        "crisis": minimal_crisis(),
        "platforms": [{"id": "jirong", "names": ["极融"]}],
        "stages": {
            "general": [_stage(0, 0), _stage(1, 7), _stage(8, None)],
            "jirong": [_stage(0, 3), _stage(4, None)],
        },
        "synonyms": {"爸妈": "家人"},
        "out_of_scope": [{"id": "unrelated", "questions": ["今天天气怎么样"]}],
        "intents": [
            {
                "id": "family_contact",
                "title": "联系家人",
                "questions": questions,
                "answer": "答案",
                "related": ["contact_list"],
                "sources": ["文章一"],
            },
            {
                "id": "contact_list",
                "title": "爆通讯录",
                "questions": [f"会不会爆通讯录问题{i}" for i in range(8)],
                "answer": "答案二",
                "related": ["family_contact"],
                "sources": ["文章二"],
            },
        ],
    }


def write(tmp_path: Path, doc: dict[str, object] | str) -> Path:
    path = tmp_path / "intents.yaml"
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(path)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_minimal_kb_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(write(tmp_path, minimal_kb()))
    assert [i.id for i in kb.intents] == ["family_contact", "contact_list"]
    assert kb.stage_for(5).max_days == 7
    assert kb.stage_for(100).max_days is None
    assert kb.stage_for(-2).min_days == 0
    assert kb.stage_for(2, "jirong").platform == "jirong"
    assert kb.synonyms == {"爸妈": "家人"}


def test_examples_normalised_by_the_check_are_handed_over_once(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[0]["questions"] += ["這句測試用的例句寫成繁體", "  written with spaces around  "]
    kb = load_knowledge_base(write(tmp_path, doc))
    taken = kb.take_normalized_examples()
    questions = {q for intent in kb.intents for q in intent.questions}
    questions |= {q for group in kb.out_of_scope for q in group.questions}
    # every example the matcher reads, but the one written with spaces around it (held stripped)
    assert set(taken) - {"  written with spaces around  "} == questions - {"written with spaces around"}
    for question in questions & set(taken):
        assert taken[question] == normalize_example(question)
    assert taken["這句測試用的例句寫成繁體"] == "这句测试用的例句写成繁体"
    assert kb.take_normalized_examples() == {}  # handed over once, not kept


def test_beyond_the_bound_no_normalised_example_is_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kb_module, "HAND_OVER_NORMALIZED_UP_TO", 3)
    assert load_knowledge_base(write(tmp_path, minimal_kb())).take_normalized_examples() == {}


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nintents:\n  - id: a\n    questions: [unclosed\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:")
    assert "YAML syntax error" in problem


def test_duplicate_intent_id(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[1]["id"] = "family_contact"
    intents[1]["related"] = []
    path = write(tmp_path, doc)
    found = problems_of(path)
    expected_line = line_of(path, "- id: family_contact", 2)
    assert any(
        p.startswith(f"{path}:{expected_line}: [family_contact] duplicate intent id") for p in found
    ), found


def test_unknown_key_missing_answer_and_questions(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[0]["anwser"] = "typo"
    del intents[1]["answer"]
    intents[1]["questions"] = []
    path = write(tmp_path, doc)
    found = "\n".join(problems_of(path))
    assert f":{line_of(path, 'anwser:')}: [family_contact] unknown key 'anwser'" in found
    assert "[contact_list] intent: missing 'answer'" in found
    assert "[contact_list] intent without questions" in found


def test_answer_over_telegram_limit(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[0]["answer"] = "长" * 4097
    found = "\n".join(problems_of(write(tmp_path, doc)))
    assert "[family_contact] answer is 4097 characters, over Telegram's 4096" in found


def test_related_to_unknown_intent(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[0]["related"] = ["no_such_intent"]
    path = write(tmp_path, doc)
    found = problems_of(path)
    assert (
        f"{path}:{line_of(path, 'related:')}: [family_contact] related: unknown intent 'no_such_intent'"
        in found
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_stage(0, 0), _stage(2, None)], "gap between 0 and 2 days"),
        ([_stage(0, 3), _stage(3, None)], "overlaps the one before"),
        ([_stage(0, 0), _stage(1, 7)], "the last range must be open"),
        ([_stage(1, None)], "the first range must start at 0 days"),
    ],
)
def test_stage_ranges(tmp_path: Path, rows: list[dict[str, object]], message: str) -> None:
    doc = minimal_kb()
    doc["stages"] = {"general": rows}
    assert any(message in p for p in problems_of(write(tmp_path, doc)))


def test_duplicate_examples_across_intents_after_script_conversion(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[1]["questions"] = [
        *intents[1]["questions"],
        "會不會聯系家人問題3",
    ]  # Traditional of an example above
    path = write(tmp_path, doc)
    found = problems_of(path)
    line = line_of(path, "會不會聯系家人問題3")
    assert (
        f"{path}:{line}: [contact_list] example question '會不會聯系家人問題3' is also an example of family_contact"
        in found
    )


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nversion: 2\n")
    assert any("duplicate key 'version'" in p for p in problems_of(path))


def test_few_examples_is_a_warning_not_an_error(tmp_path: Path) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[0]["questions"] = intents[0]["questions"][:3]
    kb, problems = check_knowledge_base(write(tmp_path, doc))
    assert kb is not None
    assert [p.severity for p in problems] == ["warning"]
    assert "only 3 example questions" in str(problems[0])


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    assert "cannot read the file" in problems_of(path)[0]
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"version: 1\n\xff\xfe broken")
    assert "cannot read the file" in problems_of(bad)[0]


def test_shipped_kb_passes_check_without_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert faq_main(["check", str(SHIPPED)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("0 errors, 0 warnings"), out


def test_check_command_fails_on_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = minimal_kb()
    intents = doc["intents"]
    assert isinstance(intents, list)
    intents[0]["related"] = ["nope"]
    path = write(tmp_path, doc)
    assert faq_main(["check", str(path)]) == 1
    assert "[family_contact] related: unknown intent 'nope'" in capsys.readouterr().out


def test_check_warns_about_an_example_that_belongs_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    anchor = "      - 怎么保留催收证据\n"
    assert anchor in text
    path = tmp_path / "intents.yaml"
    path.write_text(text.replace(anchor, anchor + "      - 会不会爆通讯录啊\n", 1), encoding="utf-8")
    assert faq_main(["check", str(path)]) == 0  # a warning, not an error
    out = capsys.readouterr().out
    line = line_of(path, "会不会爆通讯录啊")
    assert f"{path}:{line}: [evidence] warning: example '会不会爆通讯录啊' matches contact_list" in out
    assert out.strip().endswith("0 errors, 1 warnings")


def _with_lines(value: object) -> object:
    """A parsed document with every line number the loader remembers, for comparing two readings."""
    from faq.kb import _LineDict, _LineList

    if isinstance(value, _LineDict):
        return ("map", value.line, [(k, value.key_lines[k], _with_lines(v)) for k, v in value.items()])
    if isinstance(value, _LineList):
        return ("seq", value.line, value.item_lines, [_with_lines(v) for v in value])
    return (type(value).__name__, value)


def _reading(read: Callable[[str], object], raw: str) -> object:
    try:
        return _with_lines(read(raw))
    except Exception as exc:  # the same error, the same message and line
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "just text\n",
        "- a\n- 1\n- [x, {y: 2}]\n",
        "a: 1\nb: true\nc: ~\nd: 2026-11-26\ne: 1.5\nf: '007'\ng: 0x1F\nh: .inf\n",
        "a:\n  b: [1, 2]\n  c:\n    - d: e\n      f: |\n        two\n        lines\n",
        "a: 1\nb: 2\na: 3\n",  # duplicate key
        "a: 1\na: 2\nb: [unclosed\n",  # duplicate key, then a syntax error further on: the syntax error
        "a: {x: 1, x: 2}\nb: {y: 1, y: 2}\n",  # the first duplicate
        "a: 1\n---\nb: 2\n",  # two documents
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # anchors, aliases and a merge key
        "a: !!str 12\nb: !!set {x, y}\n",  # explicit tags
        "? [a, b]\n: c\n",  # a collection as a key
        "a: 2026-13-45\n",  # a date that is none
        "a: [1, 2\n",
        "\t- bad\n",
    ],
)
def test_the_event_reader_reads_what_pyyaml_composes(raw: str) -> None:
    from faq.kb import _LineLoader, _read_yaml

    def composed(text: str) -> object:
        return yaml.load(text, Loader=_LineLoader)

    assert _reading(_read_yaml, raw) == _reading(composed, raw)


def test_the_event_reader_reads_the_shipped_knowledge_base_as_pyyaml_does() -> None:
    from faq.kb import _LineLoader, _read_yaml

    raw = DEFAULT_KB_PATH.read_text(encoding="utf-8")
    assert _with_lines(_read_yaml(raw)) == _with_lines(yaml.load(raw, Loader=_LineLoader))
