"""The deploy lock: ``requirements.txt``, every runtime dependency pinned, generated from ``pyproject.toml``.

    python scripts/lock.py          # regenerate (``make lock``; needs uv and the package index)
    python scripts/lock.py --check  # offline: is the lock up to date with pyproject.toml? (exit 1 if not)

PaaS builders (Heroku, Render, Railway, Fly, Koyeb) and the Dockerfile install ``requirements.txt``;
``pyproject.toml`` keeps its compatible ranges. The lock's first line records a digest of the dependency
list and ``requires-python`` it was made from, so a change to either without ``make lock`` is caught.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.txt"
PYTHON_VERSION = ROOT / ".python-version"
DIGEST_PREFIX = "# pyproject.toml dependencies sha256: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class LockProblem:
    message: str


def project_spec(pyproject: Path = PYPROJECT) -> tuple[list[str], str]:
    """The runtime dependencies and ``requires-python`` of the project."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"]), str(project["requires-python"])


def spec_digest(dependencies: list[str], requires_python: str) -> str:
    """A digest that changes when a dependency, its range or extras, or requires-python changes."""
    canonical = sorted(str(Requirement(d)) for d in dependencies)
    payload = "\n".join([f"requires-python {requires_python}", *canonical])
    return hashlib.sha256(payload.encode()).hexdigest()


def pins(lock_text: str) -> dict[str, str]:
    """Package name (canonical) -> pinned version, from a requirements file of ``name==version`` lines."""
    found: dict[str, str] = {}
    for line in lock_text.splitlines():
        match = _PIN.match(line.strip())
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def check(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> list[LockProblem]:
    """Why the lock does not match ``pyproject.toml`` (empty when it does)."""
    if not lock.exists():
        return [LockProblem(f"{lock.name} is missing: run `make lock`")]
    dependencies, requires_python = project_spec(pyproject)
    text = lock.read_text(encoding="utf-8")
    problems: list[LockProblem] = []
    first = text.splitlines()[0] if text else ""
    expected = DIGEST_PREFIX + spec_digest(dependencies, requires_python)
    if first != expected:
        problems.append(
            LockProblem(f"{lock.name} was made from other dependencies than pyproject.toml's: run `make lock`")
        )
    pinned = pins(text)
    for dependency in dependencies:
        requirement = Requirement(dependency)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(LockProblem(f"{requirement.name} is not pinned in {lock.name}: run `make lock`"))
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(
                LockProblem(f"{requirement.name}=={version} in {lock.name} is outside {requirement.specifier}")
            )
    return problems


def python_minor(path: Path = PYTHON_VERSION) -> str:
    return path.read_text(encoding="utf-8").strip()


def generate(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> None:
    """Resolve the runtime dependencies with uv for the deploy Python (``.python-version``), any platform."""
    dependencies, requires_python = project_spec(pyproject)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "requirements.txt"
        subprocess.run(
            [
                sys.executable, "-m", "uv", "pip", "compile", str(pyproject.relative_to(ROOT)),
                "--universal", "--python-version", python_minor(), "--quiet",
                "--custom-compile-command", "make lock", "-o", str(out),
            ],
            check=True,
            cwd=ROOT,
        )
        body = out.read_text(encoding="utf-8")
    lock.write_text(f"{DIGEST_PREFIX}{spec_digest(dependencies, requires_python)}\n{body}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the lock is up to date")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem.message, file=sys.stderr)
        if not problems:
            print(f"{LOCK.name} is up to date with pyproject.toml")
        return 1 if problems else 0
    generate()
    print(f"wrote {LOCK.name} ({len(pins(LOCK.read_text(encoding='utf-8')))} pinned packages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
