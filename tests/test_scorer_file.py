"""The matcher's scorer shipped beside intents.yaml (faq/scorer_file.py): current, the same as training gives,
and ignored whenever it does not match the knowledge base being loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shipped_kb import copy_shipped_kb

from faq import scorer_file
from faq.engine import Engine
from faq.kb import load_knowledge_base
from faq.matcher import FEATURES, Matcher, Model

REPO = Path(__file__).resolve().parent.parent
SHIPPED_KB = REPO / "intents.yaml"
SHIPPED_SCORER = REPO / "intents.scorer.json"


def test_the_scorer_file_sits_beside_its_knowledge_base() -> None:
    assert scorer_file.path_for(SHIPPED_KB) == SHIPPED_SCORER
    assert scorer_file.path_for("/x/other.yaml") == Path("/x/other.scorer.json")


def test_shipped_scorer_matches_the_shipped_knowledge_base_and_is_used(engine: Engine) -> None:
    stored = scorer_file.read(SHIPPED_SCORER, engine.matcher.scorer_key(), len(FEATURES))
    assert stored is not None, "intents.scorer.json is stale: run `python -m faq train`"
    weights, threshold, calibration = stored
    assert engine.matcher.model == Model(weights, threshold, calibration)
    assert engine.matcher.threshold == threshold


def test_training_again_gives_the_shipped_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file holds what training produces (not merely a key): the weights to the last bits, the same
    threshold and calibration figures."""
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    shipped = json.loads(SHIPPED_SCORER.read_text(encoding="utf-8"))
    kb = load_knowledge_base(SHIPPED_KB)
    engine = Engine(kb)
    fresh = Matcher.from_kb(kb, engine.analyzer)  # (its own model comes from the file: train() is fresh)
    assert fresh.scorer_key() == shipped["key"]
    model = fresh.train()
    assert model.weights == pytest.approx(shipped["weights"], rel=1e-9, abs=1e-12)
    assert model.threshold == shipped["threshold"]
    assert list(model.calibration) == shipped["calibration"]


def test_a_stale_or_broken_scorer_file_is_ignored_and_the_scorer_trained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    kb_path = copy_shipped_kb(tmp_path, edit=True)
    engine = Engine.load(kb_path)
    key = engine.matcher.scorer_key()
    shipped = json.loads(SHIPPED_SCORER.read_text(encoding="utf-8"))
    assert key != shipped["key"]
    assert scorer_file.read(tmp_path / "intents.scorer.json", key, len(FEATURES)) is None
    # what it uses is what training these examples gives, not the file's weights
    trained = Matcher.from_kb(engine.kb, engine.analyzer).train()
    assert engine.matcher.model.weights == trained.weights
    assert engine.matcher.model.threshold == trained.threshold
    # a broken file, or one with the right key and the wrong shape, is no error either
    for broken in ("{not json", json.dumps({**shipped, "key": key, "weights": [1.0, 2.0]}), "[]"):
        (tmp_path / "intents.scorer.json").write_text(broken, encoding="utf-8")
        assert scorer_file.read(tmp_path / "intents.scorer.json", key, len(FEATURES)) is None
    assert Engine.load(kb_path).matcher.model.weights == trained.weights


def test_faq_train_writes_a_file_the_next_start_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq.cli import main

    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    kb_path = copy_shipped_kb(tmp_path, edit=True)
    assert main(["check", str(kb_path)]) == 0
    out = capsys.readouterr().out
    assert "intents.scorer.json was trained on another version" in out
    assert "intents.analysis.pack was packed for another version" in out
    assert main(["train", str(kb_path)]) == 0
    engine = Engine.load(kb_path)
    stored = scorer_file.read(tmp_path / "intents.scorer.json", engine.matcher.scorer_key(), len(FEATURES))
    assert stored is not None
    assert engine.matcher.model.weights == stored[0]
    assert main(["check", str(kb_path)]) == 0
    out = capsys.readouterr().out
    assert "intents.scorer.json was trained" not in out
    assert "intents.analysis.pack was packed" not in out
