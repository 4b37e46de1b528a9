"""The engine's figures on the dev set (tests/data/dev.yaml, written independently of intents.yaml).

These are the issue's targets; the README reports the measured numbers (`python -m faq eval`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.engine import Engine
from faq.evaluate import EvalReport, evaluate, load_dataset, predict

DATA = Path(__file__).resolve().parent / "data"
DEV_SET = DATA / "dev.yaml"
#: Two dev sets by two authors, neither of whom saw intents.yaml's examples.
DEV_SETS = [DATA / "dev.yaml", DATA / "dev2.yaml"]


@pytest.fixture(scope="module", params=DEV_SETS, ids=lambda p: p.stem)
def report(engine: Engine, request: pytest.FixtureRequest) -> EvalReport:
    return evaluate(engine, load_dataset(request.param), with_baseline=True)


@pytest.mark.parametrize("path", DEV_SETS, ids=lambda p: p.stem)
def test_dev_set_is_large_and_independent(engine: Engine, path: Path) -> None:
    dataset = load_dataset(path)
    assert len(dataset) >= 150
    styles = {ex.style for ex in dataset}
    assert {"traditional", "colloquial", "typo", "pinyin", "oos"} <= styles
    examples = {q for intent in engine.kb.intents for q in intent.questions}
    examples |= {q for group in engine.kb.out_of_scope for q in group.questions}
    assert not examples & {ex.text for ex in dataset}, "dev questions must never be copied into intents.yaml"


def test_top1_accuracy(report: EvalReport) -> None:
    assert report.metrics.accuracy >= 0.90, report.metrics


def test_out_of_scope_rejection(report: EvalReport) -> None:
    assert report.metrics.rejection >= 0.85, report.metrics


def test_day_count_platform_and_stage(report: EvalReport) -> None:
    assert report.metrics.day_accuracy >= 0.95, report.day_misses
    assert report.metrics.false_day_counts <= 0.02 * report.metrics.no_day_messages, report.day_misses


def test_clearly_above_tfidf_baseline(report: EvalReport) -> None:
    assert report.baseline is not None
    accuracy, rejection = report.baseline
    assert report.metrics.accuracy >= accuracy + 0.08
    assert report.metrics.accuracy + report.metrics.rejection >= accuracy + rejection + 0.10


def test_leave_one_out_over_the_knowledge_base(report: EvalReport) -> None:
    assert report.leave_one_out >= 0.65  # true leave-one-out: the example's words are forgotten too


def test_prediction_is_deterministic(engine: Engine) -> None:
    assert predict(engine, "逾期十五天会爆通讯录吗") == predict(engine, "逾期十五天会爆通讯录吗")


def test_other_dataset_shapes_load(tmp_path: Path) -> None:
    """A held-out set written by someone else may use other key names or JSON Lines."""
    path = tmp_path / "held_out.jsonl"
    path.write_text(
        '{"question": "会爆通讯录吗", "expected": "contact_list"}\n{"message": "今天天气", "label": "none"}\n',
        encoding="utf-8",
    )
    rows = load_dataset(path)
    assert [(r.text, r.intent) for r in rows] == [("会爆通讯录吗", "contact_list"), ("今天天气", None)]


def test_any_label_accepts_every_intent_and_oos_label_rejects(tmp_path: Path) -> None:
    """The real-query set labels questions `any` (any in-scope answer is right) and `oos`."""
    from faq.evaluate import ANY, is_right

    path = tmp_path / "real.yaml"
    path.write_text('- {"text": "a", "label": "any"}\n- {"text": "b", "label": "oos"}\n', encoding="utf-8")
    rows = load_dataset(path)
    assert [r.intent for r in rows] == [ANY, None]
    assert is_right(ANY, "lawsuit") and not is_right(ANY, None)
    assert is_right(None, None) and not is_right(None, "lawsuit")
