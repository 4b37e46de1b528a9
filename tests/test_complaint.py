"""Complaint letters (faq/complaint.py, complaints.yaml) and `python -m faq complaint`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from faq.complaint import (
    ISSUE_KEYS,
    ComplaintError,
    ComplaintRequest,
    check_issues,
    clean_platform,
    load_templates,
    parse_since,
    write_letters,
)

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 26)


def faq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faq", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def templates():  # type: ignore[no-untyped-def]
    return load_templates()


# ------------------------------------------------------------------------------------------ the letters

#: What each issue must bring into both letters: a rule named with its article, and evidence.
EXPECTED_RULES = {
    "too_many_calls": ["不宜超过6次", "《治安管理处罚法》第五十条"],
    "night_calls": ["22:00至次日8:00", "《民法典》第1032、1033条"],
    "contacts": ["《个人信息保护法》第10条", "《民法典》第1033条", "联系不上债务人本人"],
    "threats": ["《治安管理处罚法》第五十条", "禁止接触", "第二百九十三条之一", "非法债务"],
    "insults": ["《民法典》第1024条"],
    "impersonation": ["不得冒充国家机关"],
    "fees": ["《民法典》第670条", "24%", "LPR 4倍"],
    "home_visit": ["不少于两人", "《民法典》第1033条"],
    "personal_account": ["官方的还款渠道", "金规〔2025〕9号"],
}


@pytest.mark.parametrize("key", ISSUE_KEYS)
def test_each_issue_names_its_rules_and_evidence(templates, key: str) -> None:  # type: ignore[no-untyped-def]
    request = ComplaintRequest("测试借", dt.date(2026, 9, 3), (key,))
    for letter in write_letters(request, templates, today=TODAY):
        for words in EXPECTED_RULES[key]:
            assert words in letter, (key, words)
        for item in templates.issues[key].evidence:
            assert item in letter
        assert "测试借" in letter and "2026年11月26日" in letter
        assert "【你的姓名】" in letter and "{" not in letter
    # the rule for illegal debts is named only where it belongs
    if key != "threats":
        assert all("第二百九十三条之一" not in letter for letter in write_letters(request, templates, TODAY))


def test_lender_and_regulator_versions_differ(templates) -> None:  # type: ignore[no-untyped-def]
    request = ComplaintRequest("某某花", dt.date(2026, 10, 1), ("night_calls", "contacts"))
    lender, regulator = write_letters(request, templates, today=TODAY)
    assert lender.startswith("【给某某花的投诉信】")
    assert "12378" in regulator and "地方金融管理局" in regulator and "12378" not in lender
    assert "自2026年10月1日起" in lender and "自2026年10月1日起" in regulator
    # facts in canonical order; no rule or evidence twice
    assert lender.index("22点以后") < lender.index("家人、朋友、同事")
    bullets = [line for line in regulator.splitlines() if line.startswith("• ")]
    assert len(bullets) == len(set(bullets)) and "《民法典》第1033条" in regulator


def test_requests_default_to_the_issues_and_accept_own_words(templates) -> None:  # type: ignore[no-untyped-def]
    implied = ComplaintRequest("甲", dt.date(2026, 10, 1), ("contacts",))
    lender, _ = write_letters(implied, templates, TODAY)
    assert templates.requests["stop_contacts"] in lender
    own = ComplaintRequest(
        "甲", dt.date(2026, 10, 1), ("contacts",), ("negotiate", "把我的号码从外包名单删除")
    )
    lender, _ = write_letters(own, templates, TODAY)
    assert templates.requests["negotiate"] in lender and "把我的号码从外包名单删除" in lender
    assert templates.requests["stop_contacts"] not in lender


def test_input_checks() -> None:
    assert parse_since("2026-11-26", TODAY) == TODAY
    assert parse_since("2026-1-5", TODAY) == dt.date(2026, 1, 5)
    for bad in ["2026/11/01", "yesterday", "2026-02-30", "2026-11-27", "1999-12-31", ""]:
        with pytest.raises(ComplaintError):
            parse_since(bad, TODAY)
    with pytest.raises(ComplaintError):
        check_issues(["night_calls", "calls_at_night"])
    with pytest.raises(ComplaintError):
        check_issues([])
    assert check_issues(["fees", "night_calls", "fees"]) == ("night_calls", "fees")
    assert clean_platform("  某某\n借 {x} ") == "某某 借 (x)"
    with pytest.raises(ComplaintError):
        clean_platform(" \n ")


def test_broken_templates_are_refused_with_the_key(tmp_path: Path) -> None:
    good = (REPO / "complaints.yaml").read_text(encoding="utf-8")
    cases = {
        "placeholder": (good.replace("自{since}起,{platform}(或其委托的催收人员)频繁", "自{date}起,频繁", 1),
                        "issues.too_many_calls.fact"),
        "request": (good.replace("requests: [stop, identify, confirm_account]", "requests: [stop, nope]", 1),
                    "issues.personal_account.requests"),
        "missing issue": (good.replace("  insults:\n", "  insult:\n", 1), "insults"),
        "letter field": (good.replace("    closing: \"请依法", "    ending: \"请依法", 1), "letters.regulator"),
        "no evidence": (
            good.replace(
                '      - "借款合同、借款详情页截图"\n      - "放款到账记录(银行流水)"\n      - "还款计划和已还款记录"\n',
                "",
                1,
            ).replace("    evidence:\n    requests: [explain_fees", "    evidence: []\n    requests: [explain_fees", 1),
            "issues.fees.evidence",
        ),
    }  # fmt: skip
    for name, (text, where) in cases.items():
        assert text != good, name
        path = tmp_path / "complaints.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ComplaintError) as caught:
            load_templates(path)
        assert str(path) in str(caught.value) and where in str(caught.value), (name, caught.value)


# --------------------------------------------------------------------------------------------- the CLI


def test_cli_prints_both_letters() -> None:
    done = faq(
        "complaint", "--platform", "某某借", "--since", "2026-10-01",
        "--issue", "night_calls", "--issue", "threats", "--request", "stop",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("【给某某借的投诉信】") == 1 and "12378" in out
    assert out.count("22:00至次日8:00") == 2 and out.count("第二百九十三条之一") == 2
    assert "立即停止上述违规催收行为" in out and "告知催收人员所属机构名称" not in out
    assert "不保存" in out and "不构成法律意见" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-10-01", "--issue", "night_call"], "unknown issue key 'night_call'"),
        (["--since", "2026-10-01", "--issue", "fees,nope"], "unknown issue key 'nope'"),
        (["--since", "2026/10/01", "--issue", "night_calls"], "YYYY-MM-DD"),
        (["--since", "2026-02-30", "--issue", "night_calls"], "没有这一天"),
        (["--since", "2999-01-01", "--issue", "night_calls"], "还没到"),
        (["--since", "2026-10-01"], "--issue"),
    ],
)
def test_cli_bad_input_exits_2(args: list[str], message: str) -> None:
    done = faq("complaint", "--platform", "某某借", *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_cli_comma_separated_issues_and_json() -> None:
    done = faq(
        "complaint", "--platform", "某某借", "--since", "2026-10-01", "--issue", "fees,home_visit", "--json"
    )
    assert done.returncode == 0, done.stderr
    letters = json.loads(done.stdout)
    assert set(letters) == {"lender", "regulator", "footer"}
    assert "《民法典》第670条" in letters["lender"] and "不少于两人" in letters["regulator"]


def test_cli_broken_templates_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("issues: {}\n", encoding="utf-8")
    done = faq(
        "complaint", "--platform", "x", "--since", "2026-10-01", "--issue", "fees", "--templates", str(bad)
    )
    assert done.returncode == 2 and str(bad) in done.stderr and "Traceback" not in done.stderr
