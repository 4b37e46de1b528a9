"""OpenCC's Simplified -> Traditional converters in ~10 MB less memory, converting exactly as OpenCC's own.

OpenCC's ``s2tw``, ``s2twp`` and ``s2hk`` cut a text into phrases (maximum matching) over a *union* of two
phrase dictionaries (``STPhrases`` and ``STPhrases_GeneratedFromRegionalPhrases``), and OpenCC builds a
union group's look-up structure in memory: together the three converters hold ~43 MB, ~16 MB of it that
union. Maximum matching only asks for the longest phrase of either dictionary that starts a text, which is
the longest phrase of one dictionary holding both: :func:`traditional` gives each converter such a
dictionary for its segmentation (the same segments, so the same conversion; ~33 MB for the three).

The same union also opens each converter's conversion chain (the phrases to convert, before the characters):
there too OpenCC asks only for the longest phrase of either dictionary that starts a segment, and takes the
first dictionary's value when both have it, which is what the merged dictionary holds (a phrase of both
keeps the first one's line). So the chain reads the merged dictionary too: OpenCC loads a dictionary file
once per process, and the three converters then hold one phrase dictionary instead of that file and a union
beside it (~27 MB instead of ~32 for the three, in every process that gives a Traditional reply).

That dictionary is built once per installed OpenCC with OpenCC's own ``opencc_dict`` tool (the two
dictionaries written out as text, their phrases merged, compiled back) into the cache directory
(:mod:`faq.cache`), keyed by the two files' bytes, with a configuration file beside it. Whenever anything
differs from what this expects (no cache directory, no tool, another configuration layout, a failed
build), the stock converter is used: only memory is at stake, never a reply. ``tests/test_converters.py``
checks both convert every line of the knowledge base, the tools' texts and the dev sets alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import opencc

from faq import cache

#: Part of the key: how the segmentation dictionary is made.
FORMAT = "opencc-segmentation-2"  # 2: the conversion chain's union reads it too
_SHARE = Path(opencc.__file__).resolve().parent / "clib" / "share" / "opencc"
_TOOL = Path(opencc.__file__).resolve().parent / "clib" / "bin" / "opencc_dict"


def traditional(config: str) -> opencc.OpenCC:
    """``opencc.OpenCC(config)``, for ``"s2tw"``, ``"s2twp"`` or ``"s2hk"``, with one segmentation
    dictionary instead of a union of two (see the module docstring); the stock converter when that cannot
    be had."""
    path = _config_path(config)
    if path is not None:
        try:
            return opencc.OpenCC(str(path))
        except RuntimeError:
            pass
    return opencc.OpenCC(config)


#: The converters :func:`traditional` is asked for (faq.normalize: no region, Taiwan, Hong Kong).
CONFIGS = ("s2tw", "s2twp", "s2hk")


def prepare() -> bool:
    """Build the merged segmentation dictionary and the three converters' configuration files into the
    cache directory now (the container image's build does, as the user that runs the bot), so that no
    process builds them on its first Traditional reply (~0.1 s, ~1 MB of files). True when all three are
    there; False (never an error) when they cannot be had: the stock converters are used then."""
    return all(_config_path(config) is not None for config in CONFIGS)


def _config_path(config: str) -> Path | None:
    """A configuration file like OpenCC's ``config`` whose segmentation reads one merged dictionary, made
    in the cache directory when missing; None when it cannot be made."""
    root = cache.directory()
    try:
        stock: dict[str, Any] = json.loads((_SHARE / f"{config}.json").read_text(encoding="utf-8"))
        union = stock["segmentation"]["dict"]
        files = [entry["file"] for entry in union["dicts"]]
        if root is None or union.get("type") != "group" or union.get("match_policy") != "union":
            return None
        if not all(entry == {"type": "ocd2", "file": name} for entry, name in zip(union["dicts"], files, strict=True)):
            return None
        digest = hashlib.sha256(f"{FORMAT}\n{_SHARE}\n".encode())
        for name in files:
            digest.update(name.encode() + b"\0" + (_SHARE / name).read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    key = digest.hexdigest()[:40]
    merged = root / f"opencc-segmentation-{key}.ocd2"
    target = root / f"opencc-{config}-{key}.json"
    if target.is_file() and merged.is_file():
        return target
    if not merged.is_file() and not _build(files, merged):
        return None
    encoded = json.dumps(_absolute(_with_merged(stock, union, str(merged))), ensure_ascii=False).encode()
    return target if cache.write_atomically(target, lambda handle: handle.write(encoded)) else None


def _with_merged(node: Any, union: dict[str, Any], merged: str) -> Any:
    """A configuration with every group equal to ``union`` (the segmentation's, and the same one in the
    conversion chain) replaced by the one dictionary ``merged`` (see the module docstring)."""
    if node == union:
        return {"type": "ocd2", "file": merged}
    if isinstance(node, dict):
        return {key: _with_merged(value, union, merged) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_merged(item, union, merged) for item in node]
    return node


def _absolute(node: Any) -> Any:
    """A configuration with every dictionary file named by its full path in OpenCC's data folder."""
    if isinstance(node, dict):
        return {
            key: str(_SHARE / value) if key == "file" and not Path(value).is_absolute() else _absolute(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute(item) for item in node]
    return node


def _build(files: list[str], merged: Path) -> bool:
    """The phrases of ``files`` in one OpenCC dictionary at ``merged`` (True when it was made)."""
    if not os.access(_TOOL, os.X_OK):
        return False
    try:
        merged.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=merged.parent) as work:
            texts = [Path(work) / f"{k}.txt" for k in range(len(files))]
            for name, text in zip(files, texts, strict=True):
                _run("-i", str(_SHARE / name), "-o", str(text), "-f", "ocd2", "-t", "text")
            # Each phrase once, its first dictionary's line kept, streamed (the phrases of all but the
            # largest dictionary, the first, are held to tell which lines come again: a few hundred).
            later: set[str] = set()
            for text in texts[1:]:
                with text.open(encoding="utf-8") as lines:
                    later.update(line.partition("\t")[0] for line in lines)
            source = Path(work) / "merged.txt"
            with source.open("w", encoding="utf-8") as out:
                seen: set[str] = set()
                for text in texts:
                    with text.open(encoding="utf-8") as lines:
                        for line in lines:
                            phrase, tab, _ = line.partition("\t")
                            if not tab or not phrase:
                                return False
                            if phrase in later:
                                if phrase in seen:
                                    continue
                                seen.add(phrase)
                            out.write(line if line.endswith("\n") else line + "\n")
            built = Path(work) / "merged.ocd2"
            _run("-i", str(source), "-o", str(built), "-f", "text", "-t", "ocd2")
            os.replace(built, merged)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return False
    return True


def _run(*arguments: str) -> None:
    subprocess.run([str(_TOOL), *arguments], check=True, capture_output=True, timeout=10)
