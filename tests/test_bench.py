"""The bench measures what a deployment runs: its synthetic knowledge bases load the crisis model."""

from __future__ import annotations

from faq import bench
from faq.engine import DEFAULT_KB_PATH
from faq.kb import load_knowledge_base


def test_synthetic_knowledge_bases_sit_beside_the_shipped_one_and_load_its_crisis_model() -> None:
    size = load_knowledge_base(DEFAULT_KB_PATH).example_count + 20  # one synthetic intent more
    beside = bench.synthetic_kb(DEFAULT_KB_PATH, size)
    elsewhere = bench.synthetic_kb(DEFAULT_KB_PATH, size, beside=False)
    try:
        assert beside.parent == DEFAULT_KB_PATH.parent and beside.name.startswith(".bench-synthetic-")
        kb = load_knowledge_base(beside)
        assert kb.example_count >= size and kb.crisis is not None and kb.crisis.model is not None
        other = load_knowledge_base(elsewhere)  # the bench's figures before: the crisis rules alone
        assert other.example_count == kb.example_count and other.crisis is not None and other.crisis.model is None
    finally:
        beside.unlink(missing_ok=True)
        elsewhere.unlink(missing_ok=True)
