"""faq/converters.py: OpenCC's Simplified -> Traditional converters with one merged segmentation dictionary
convert exactly as OpenCC's own, and fall back to them whenever the merged one cannot be had."""

from __future__ import annotations

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
    assert list(tmp_path.glob("opencc-segmentation-*.ocd2"))
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
