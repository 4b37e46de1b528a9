"""OpenCC's Simplified -> Traditional converters in ~30 MB less memory, converting exactly as OpenCC's own.

OpenCC's ``s2tw``, ``s2twp`` and ``s2hk`` cut a text into phrases (maximum matching) over a *union* of two
phrase dictionaries (``STPhrases`` and ``STPhrases_GeneratedFromRegionalPhrases``), and OpenCC builds a
union group's look-up structure in memory: together the three converters hold ~43 MB, ~16 MB of it that
union. Maximum matching only asks for the longest phrase of either dictionary that starts a text, which is
the longest phrase of one dictionary holding both: :func:`traditional` gives each converter such a
dictionary for its segmentation (the same segments, so the same conversion).

The conversion chain's steps are groups too, read *short-circuit*: the longest phrase the first dictionary
has at a place, else the second's, and so on (the first step: those two phrase dictionaries, then
``STCharacters``; Taiwan's and Hong Kong's steps: their variant phrases, then their variant characters).
OpenCC answers a single dictionary from its own compact trie, but builds for every group a look-up tree of
its own, a node per character of every phrase (~21 MB for the first step's). When the last dictionary of a
short-circuit group holds single characters only, the group reads exactly as one dictionary holding the
one before it and that last one, the one before's line kept for a phrase of both: where the one before has
a phrase at a place, it is at least one character long, so it is also the longest of the two (a tie: its
own line); where it has none, the characters answer, as the group would. So that pair is read from one
merged dictionary (for the first step: the two phrase dictionaries and ``STCharacters``), and a group left
with one dictionary is that dictionary: ~11 MB for the three converters instead of ~27 (in every process
that gives a Traditional reply), and they load twice as fast. Each merged dictionary is loaded once per
process (OpenCC keeps a file it read), shared by the three converters.

The merged dictionaries are built once per installed OpenCC with OpenCC's own ``opencc_dict`` tool (the
dictionaries written out as text, their phrases merged, compiled back) into the cache directory
(:mod:`faq.cache`), keyed by the files' bytes, with a configuration file per converter beside them. Whenever
anything differs from what this expects (no cache directory, no tool, another configuration layout, a
dictionary expected to hold single characters that holds a longer key, a failed build), that part is left
as OpenCC's own (or the stock converter is used): only memory is at stake, never a reply.
``tests/test_converters.py`` checks both convert every line of the knowledge base, the tools' texts and the
dev sets alike.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import opencc

from faq import cache

#: Part of the keys: how the merged dictionaries and configuration files are made.
FORMAT = "opencc-merged-3"  # 3: a short-circuit group's trailing single characters folded into the one before
_SHARE = Path(opencc.__file__).resolve().parent / "clib" / "share" / "opencc"
_TOOL = Path(opencc.__file__).resolve().parent / "clib" / "bin" / "opencc_dict"


def traditional(config: str) -> opencc.OpenCC:
    """``opencc.OpenCC(config)``, for ``"s2tw"``, ``"s2twp"`` or ``"s2hk"``, reading merged dictionaries
    instead of groups (see the module docstring); the stock converter when that cannot be had."""
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
    """Build the merged dictionaries and the three converters' configuration files into the cache directory
    now (the container image's build does, as the user that runs the bot), so that no process builds them
    on its first Traditional reply (~0.2 s, ~2 MB of files). True when all three are there; False (never an
    error) when they cannot be had: the stock converters are used then."""
    return all(_config_path(config) is not None for config in CONFIGS)


def _config_path(config: str) -> Path | None:
    """A configuration file like OpenCC's ``config`` that reads merged dictionaries instead of its union and
    its short-circuit groups (see the module docstring), made in the cache directory when missing (or when
    a dictionary it names is gone); None when it cannot be made."""
    root = cache.directory()
    try:
        stock: dict[str, Any] = json.loads((_SHARE / f"{config}.json").read_text(encoding="utf-8"))
        union = stock["segmentation"]["dict"]
        files = [entry["file"] for entry in union["dicts"]]
        if root is None or union.get("type") != "group" or union.get("match_policy") != "union":
            return None
        if not all(entry == {"type": "ocd2", "file": name} for entry, name in zip(union["dicts"], files, strict=True)):
            return None
        digest = hashlib.sha256(f"{FORMAT}\n{_SHARE}\n{json.dumps(stock, sort_keys=True)}\n".encode())
        for name in sorted(_files(stock)):
            digest.update(name.encode() + b"\0" + (_SHARE / name).read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    target = root / f"opencc-{config}-{digest.hexdigest()[:40]}.json"
    try:
        if all(Path(name).is_file() for name in _files(json.loads(target.read_text(encoding="utf-8")))):
            return target
    except (OSError, ValueError):
        pass
    segmentation = _merged(root, files)
    if segmentation is None:
        return None
    made = _with_merged(stock, union, {"type": "ocd2", "file": str(segmentation)})
    for step in made.get("conversion_chain", []):
        if isinstance(step, dict) and isinstance(step.get("dict"), dict):
            step["dict"] = _folded(root, step["dict"], {str(segmentation): files})
    encoded = json.dumps(_absolute(made), ensure_ascii=False).encode()
    return target if cache.write_atomically(target, lambda handle: handle.write(encoded)) else None


def _files(node: Any) -> list[str]:
    """Every dictionary file a configuration (or a part of one) names."""
    if isinstance(node, dict):
        return [value for key, value in node.items() if key == "file" and isinstance(value, str)] + [
            name for key, value in node.items() if key != "file" for name in _files(value)
        ]
    if isinstance(node, list):
        return [name for item in node for name in _files(item)]
    return []


def _with_merged(node: Any, union: dict[str, Any], merged: dict[str, Any]) -> Any:
    """A configuration with every group equal to ``union`` (the segmentation's, and the same one in the
    conversion chain) replaced by the one dictionary ``merged``."""
    if node == union:
        return dict(merged)
    if isinstance(node, dict):
        return {key: _with_merged(value, union, merged) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_merged(item, union, merged) for item in node]
    return node


def _folded(root: Path, group: dict[str, Any], sources: dict[str, list[str]]) -> dict[str, Any]:
    """A conversion step's dictionary with a short-circuit group's last dictionary, when it holds single
    characters only, merged into the one before it, again while that holds (see the module docstring); a
    group left with one dictionary becomes that dictionary. ``sources``: the files a merged dictionary
    already stands for (by its path; another dictionary stands for its own file). Unchanged when anything
    differs from what this expects."""
    if group.get("type") != "group" or group.get("match_policy", "short_circuit") != "short_circuit":
        return group
    dicts = group.get("dicts")
    if not isinstance(dicts, list) or not all(isinstance(d, dict) and set(d) == {"type", "file"} for d in dicts):
        return group
    if not all(d["type"] == "ocd2" and isinstance(d["file"], str) for d in dicts):
        return group
    dicts = list(dicts)
    while len(dicts) >= 2:
        before, last = (sources.get(d["file"], [d["file"]]) for d in dicts[-2:])
        merged = _merged(root, [*before, *last], characters_from=len(before))
        if merged is None:
            break
        sources[str(merged)] = [*before, *last]
        dicts[-2:] = [{"type": "ocd2", "file": str(merged)}]
    return dicts[0] if len(dicts) == 1 else {**group, "dicts": dicts}


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


def _merged(root: Path, files: list[str], characters_from: int | None = None) -> Path | None:
    """One OpenCC dictionary in the cache directory ``root`` holding the phrases of ``files`` (names in
    OpenCC's data folder), each phrase's line from the first file that has it; built when missing. With
    ``characters_from``, None when a file from that place on holds a key of more than one character (they
    could not be folded, see :func:`_folded`); None when it cannot be built."""
    digest = hashlib.sha256(f"{FORMAT}\n{_SHARE}\n{characters_from}\n".encode())
    try:
        for name in files:
            digest.update(name.encode() + b"\0" + (_SHARE / name).read_bytes())
    except OSError:
        return None
    merged = root / f"opencc-merged-{digest.hexdigest()[:40]}.ocd2"
    if merged.is_file() or _build(files, merged, characters_from):
        return merged
    return None


def _build(files: list[str], merged: Path, characters_from: int | None = None) -> bool:
    """The phrases of ``files`` in one OpenCC dictionary at ``merged`` (True when it was made; False, and
    nothing made, when a file from the place ``characters_from`` on holds a key of more than one character)."""
    if not os.access(_TOOL, os.X_OK):
        return False
    try:
        merged.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=merged.parent) as work:
            texts = [Path(work) / f"{k}.txt" for k in range(len(files))]
            for name, text in zip(files, texts, strict=True):
                _run("-i", str(_SHARE / name), "-o", str(text), "-f", "ocd2", "-t", "text")
            # Each phrase once, its first dictionary's line kept, streamed (the phrases of all but the
            # largest dictionary, the first, are held to tell which lines come again: a few thousand).
            later: set[str] = set()
            for text in texts[1:]:
                with text.open(encoding="utf-8") as lines:
                    later.update(line.partition("\t")[0] for line in lines)
            for text in texts[len(texts) if characters_from is None else characters_from :]:
                with text.open(encoding="utf-8") as lines:
                    if any(len(line.partition("\t")[0]) != 1 for line in lines):
                        return False
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


@functools.cache
def stock_digest() -> str | None:
    """A digest of what the converters of :data:`CONFIGS` convert with (OpenCC's version, their stock
    configuration files and the bytes of every dictionary they name): conversions stored under it
    (:mod:`faq.conversions`) are what these converters give. None when a file cannot be read. Read once
    per process (~1 MB)."""
    digest = hashlib.sha256(f"{FORMAT}\n{getattr(opencc, '__version__', '')}\n".encode())
    try:
        for config in CONFIGS:
            stock = (_SHARE / f"{config}.json").read_bytes()
            digest.update(config.encode() + b"\0" + stock + b"\0")
        for name in sorted(_stock_files()):
            digest.update(name.encode() + b"\0" + (_SHARE / name).read_bytes() + b"\0")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return digest.hexdigest()


@functools.cache
def key_characters() -> frozenset[str] | None:
    """Every character of every key of every dictionary the converters of :data:`CONFIGS` read (their
    stock files: the merged ones hold the same keys), read with OpenCC's own tool (~0.3 s); None when
    that cannot be done. A character that no key holds splits a text into parts OpenCC converts alone
    (:mod:`faq.conversions`)."""
    if not os.access(_TOOL, os.X_OK):
        return None
    found: set[str] = set()
    try:
        with tempfile.TemporaryDirectory(prefix="faq-opencc-keys-") as work:
            for k, name in enumerate(sorted(_stock_files())):
                text = Path(work) / f"{k}.txt"
                _run("-i", str(_SHARE / name), "-o", str(text), "-f", "ocd2", "-t", "text")
                with text.open(encoding="utf-8") as lines:
                    for line in lines:
                        found.update(line.partition("\t")[0].rstrip("\n"))
    except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    return frozenset(found)


def _stock_files() -> set[str]:
    """The dictionary files the stock configurations of :data:`CONFIGS` name."""
    return {
        name for config in CONFIGS for name in _files(json.loads((_SHARE / f"{config}.json").read_text(encoding="utf-8")))
    }
