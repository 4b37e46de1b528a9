"""Small knowledge-base sections that tests build their own intents.yaml from."""

from __future__ import annotations

from typing import Any


def minimal_crisis(offer_intent: str = "family_contact") -> dict[str, Any]:
    """The smallest valid ``crisis:`` section: one cue, and one sourced help line per region."""

    def region(number: str) -> dict[str, Any]:
        return {
            "lines": [{"number": number, "name": "热线", "source": "https://example.org"}],
            "answer": f"请拨打 {number}",
            "offer": "准备好了再聊",
            "offer_button": "聊聊",
            "footer": f"热线 {number}",
            "distress": f"辛苦了,可以打 {number}",
            "elsewhere": f"在这里打 {number}",
        }

    return {
        "direct": ["不想活"],
        "offer_intent": offer_intent,
        "help": {"mainland": region("12356"), "hong_kong": region("18111"), "taiwan": region("1925")},
    }
