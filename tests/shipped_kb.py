"""The shipped knowledge base copied to a temporary folder, for tests of the files `python -m faq train` writes."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED_KB = REPO / "intents.yaml"
#: The files a knowledge base reads beside it.
BESIDE = ("crisis_model.json", "rate.yaml", "complaints.yaml", "intents.scorer.json", "intents.analysis.pack")


def copy_shipped_kb(tmp_path: Path, edit: bool) -> Path:
    """The shipped knowledge base and the files beside it copied to ``tmp_path``; with ``edit`` one example
    added (a maintainer's edit after `faq train` wrote its files)."""
    kb = tmp_path / "intents.yaml"
    text = SHIPPED_KB.read_text(encoding="utf-8")
    if edit:
        marker = "    questions:\n"
        at = text.index(marker) + len(marker)
        text = text[:at] + "      - 逾期了催收天天打电话到底怎么办才好呢\n" + text[at:]
    kb.write_text(text, encoding="utf-8")
    for name in BESIDE:
        if (REPO / name).exists():
            shutil.copy(REPO / name, tmp_path / name)
    return kb


def written_question(text: str, question: str) -> str:
    """The line of ``text`` (a knowledge base's YAML) that lists the example ``question``, as it is written
    there: plain (``- 问题``) or in double quotes (``- "a question: in English"``)."""
    return next(line for line in (f"- {question}\n", f'- "{question}"\n') if line in text)
