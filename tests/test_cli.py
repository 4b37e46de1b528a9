"""The `faq` command line, through a subprocess as a maintainer runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEV_SET = REPO / "tests" / "data" / "dev.yaml"


def faq(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "faq", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_ask_json_stdin_one_object_a_line_never_stopping() -> None:
    lines = ["逾期十五天了咋办", "", "會爆通訊錄嗎", "<b>投诉</b>", "x" * 20000]
    data = "\n".join(lines).encode() + b"\n\xff\xfe broken utf-8\n"
    done = faq("ask", "--json", "-", stdin=data)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == len(lines) + 1
    assert out[0]["days"] == 15 and out[0]["stage"]["min_days"] == 8
    assert out[2]["intent"] == "contact_list"
    for row in out:
        assert set(row) >= {"intent", "confidence", "days", "platform", "stage", "suggestions", "answer"}
        assert row["answer"]


def test_ask_plain_text() -> None:
    done = faq("ask", "极融逾期5天会怎样")
    assert done.returncode == 0
    assert "极融" in done.stdout.decode()


def test_broken_kb_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    bad = tmp_path / "intents.yaml"
    bad.write_text(
        (REPO / "intents.yaml").read_text(encoding="utf-8").replace("related: [", "related: [nope, ", 1)
    )
    done = faq("ask", "--json", "--kb", str(bad), "会爆通讯录吗")
    assert done.returncode != 0
    assert "related: unknown intent 'nope'" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()


def test_eval_prints_the_report() -> None:
    done = faq("eval", str(DEV_SET), "--no-baseline")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    for heading in (
        "in-scope top-1 accuracy",
        "out-of-scope rejection",
        "threshold sweep",
        "leave-one-out",
        "prec",
    ):
        assert heading in out


def test_eval_refuses_a_missing_dataset_without_a_traceback(tmp_path: Path) -> None:
    done = faq("eval", "--no-baseline", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert "no such dataset" in done.stderr.decode() and "nope.yaml" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("crisis:\n  - 只是一段文字\n", "no labelled questions"),  # a file of another shape (a crisis file)
        ("- text: 一条测试消息\n  label: [contact_list\n", "not YAML or JSON Lines"),
        ("- 第一条测试消息\n- 第二条测试消息\n", "a row that is not a mapping"),
        ("", "expected a list of rows"),
    ],
)
def test_eval_refuses_a_file_that_is_no_dataset_without_a_traceback(tmp_path: Path, content: str, said: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(content, encoding="utf-8")
    done = faq("eval", "--no-baseline", "--summary", str(path))
    assert done.returncode == 2
    assert said in done.stderr.decode() and "set.yaml" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
