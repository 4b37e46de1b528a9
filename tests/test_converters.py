"""faq/converters.py: OpenCC's Simplified -> Traditional converters reading merged dictionaries (the
segmentation's union, and short-circuit groups ending in single characters) convert exactly as OpenCC's own,
and fall back to them whenever the merged ones cannot be had."""

from __future__ import annotations

import json
import random
from pathlib import Path

import opencc
import pytest

from faq import converters

REPO = Path(__file__).resolve().parent.parent
CONFIGS = ("s2tw", "s2twp", "s2hk")


def _texts() -> list[str]:
    """Every line users can be shown (the knowledge base, the tools' texts), every dev-set line, and
    random runs of their characters and pieces of two lines joined (phrases across a boundary)."""
    files = [REPO / "intents.yaml", REPO / "rate.yaml", REPO / "complaints.yaml", *sorted((REPO / "tests" / "data").glob("*.yaml"))]
    lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    chars = sorted({c for line in lines for c in line if "\u4e00" <= c <= "\u9fff"})
    rng = random.Random(5)
    lines += ["".join(rng.choice(chars) for _ in range(rng.randint(2, 24))) for _ in range(20_000)]
    lines += [rng.choice(lines)[-12:] + rng.choice(lines)[:12] for _ in range(20_000)]
    return lines


@pytest.mark.parametrize("config", CONFIGS)
def test_merged_segmentation_converts_exactly_as_opencc(
    config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    path = converters._config_path(config)
    assert path is not None and path.is_file(), "the merged dictionary could not be built"
    assert list(tmp_path.glob("opencc-merged-*.ocd2"))
    mine, stock = converters.traditional(config), opencc.OpenCC(config)
    different = [text for text in _texts() if mine.convert(text) != stock.convert(text)]
    assert different == []
    # phrases only the second dictionary holds (抑郁症 -> 抑鬱症), and a phrase whose segmentation decides
    # the Taiwan vocabulary (发信息 stays 發信息, 信息 alone becomes 資訊)
    for text in ("我得了抑郁症", "打电话、发信息催收", "信息"):
        assert mine.convert(text) == stock.convert(text)
    assert converters._config_path(config) == path  # made once, then read


def test_without_a_cache_directory_or_the_tool_the_stock_converter_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    assert converters._config_path("s2twp") is None
    assert converters.traditional("s2twp").convert("发信息") == opencc.OpenCC("s2twp").convert("发信息")
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(converters, "_TOOL", tmp_path / "no-such-tool")
    assert converters._config_path("s2twp") is None
    assert converters.traditional("s2hk").convert("抑郁症") == opencc.OpenCC("s2hk").convert("抑郁症")
    assert converters._config_path("t2s") is None  # a configuration without that union: stock


def test_prepare_builds_what_every_converter_reads_so_a_process_builds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faq import normalize

    assert set(converters.CONFIGS) == set(normalize._CONFIGS.values())
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    assert converters.prepare()
    built = sorted(p.name for p in tmp_path.iterdir())
    # one segmentation dictionary, one for the first conversion step (with STCharacters), one each for the
    # Taiwan and Hong Kong variants (their phrases and characters): shared by the converters that read them
    assert len([n for n in built if n.startswith("opencc-merged-")]) == 4
    assert {n.split("-")[1] for n in built if n.endswith(".json")} == set(converters.CONFIGS)
    # a process's converters now read those files without building anything (no tool needed)
    monkeypatch.setattr(converters, "_TOOL", tmp_path / "no-such-tool")
    for config in converters.CONFIGS:
        path = converters._config_path(config)
        assert path is not None and path.parent == tmp_path
        assert converters.traditional(config).convert("后台发信息") == opencc.OpenCC(config).convert("后台发信息")
    assert sorted(p.name for p in tmp_path.iterdir()) == built
    monkeypatch.setenv("FAQ_CACHE_DIR", "off")
    assert not converters.prepare()  # no cache directory: the stock converters serve, no error


def test_the_image_prepares_the_converters_after_its_last_user_switch() -> None:
    text = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text(encoding="utf-8")
    steps = [line for line in text.splitlines() if line.startswith(("USER", "RUN"))]
    last_user = max(i for i, line in enumerate(steps) if line.startswith("USER"))
    assert any("converters.prepare()" in line for line in steps[last_user:])


def _phrases(name: str, folder: Path) -> list[str]:
    """Every phrase of one of OpenCC's dictionaries, written out as text by its own tool."""
    text = folder / f"{name}.txt"
    converters._run("-i", str(converters._SHARE / name), "-o", str(text), "-f", "ocd2", "-t", "text")
    return [line.partition("\t")[0] for line in text.read_text(encoding="utf-8").splitlines()]


def test_the_conversion_chain_reads_the_merged_dictionary_and_converts_every_phrase_as_opencc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where both dictionaries of the union hold a phrase, or only the second one does, the merged one
    must give what OpenCC's union gives: every phrase of both, alone and between two characters."""
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path / "cache"))
    first, second = _phrases("STPhrases.ocd2", tmp_path), _phrases("STPhrases_GeneratedFromRegionalPhrases.ocd2", tmp_path)
    assert len(first) > 40_000 and len(second) > 100
    both = set(first) & set(second)
    characters = _phrases("STCharacters.ocd2", tmp_path)  # (folded into the same dictionary)
    texts = [*first, *second, *(f"我{p}了" for p in second), *(f"说{p}吗" for p in both)]
    texts += [*characters, *(f"{c}{p}" for c, p in zip(characters, first, strict=False))]
    for config in CONFIGS:
        path = converters._config_path(config)
        assert path is not None
        chain = json.loads(path.read_text(encoding="utf-8"))["conversion_chain"]
        assert chain[0]["dict"]["type"] == "ocd2" and Path(chain[0]["dict"]["file"]).name.startswith("opencc-merged-")
        assert "STPhrases.ocd2" not in json.dumps(chain) and "STCharacters.ocd2" not in json.dumps(chain)
        mine, stock = converters.traditional(config), opencc.OpenCC(config)
        assert [t for t in texts if mine.convert(t) != stock.convert(t)] == []


def test_short_circuit_groups_are_folded_only_where_their_last_dictionary_holds_single_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQ_CACHE_DIR", str(tmp_path))
    steps = {}
    for config in CONFIGS:
        path = converters._config_path(config)
        assert path is not None
        steps[config] = [step["dict"] for step in json.loads(path.read_text(encoding="utf-8"))["conversion_chain"]]
    # the phrases and STCharacters: one dictionary, the same file for the three converters
    assert all(chain[0]["type"] == "ocd2" for chain in steps.values())
    assert len({chain[0]["file"] for chain in steps.values()}) == 1
    # the Taiwan and Hong Kong variants (phrases, then characters): one dictionary each
    assert steps["s2tw"][1]["type"] == "ocd2" and steps["s2hk"][1]["type"] == "ocd2"
    # s2twp's Taiwan phrases come before variant phrases of several characters: left a group (the variant
    # phrases and characters behind them merged)
    group = steps["s2twp"][1]
    assert group["type"] == "group" and group.get("match_policy", "short_circuit") == "short_circuit"
    assert Path(group["dicts"][0]["file"]).name == "TWPhrases.ocd2"
    assert group["dicts"][1]["file"] == steps["s2tw"][1]["file"]
    # a group whose last dictionary holds phrases is never merged: asked directly, the merge refuses
    assert converters._merged(tmp_path, ["TWVariantsPhrases.ocd2", "TWPhrases.ocd2"], characters_from=1) is None
