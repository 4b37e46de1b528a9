"""Deploys: the lock every PaaS installs, the platform files agreeing with the Procfile, and the Procfile's
``web`` process started from a fresh virtual environment that has only the lock installed, as a PaaS
build would run it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import REPO
from fake_telegram import BotTester, FakeTelegram, free_port

from bot.config import HEALTH_PATH
from bot.runner import SHUTDOWN_TIMEOUT

sys.path.insert(0, str(REPO / "scripts"))
import lock

INSTALL_TIMEOUT = 900
START_TIMEOUT = 90


def procfile() -> dict[str, str]:
    processes = {}
    for line in (REPO / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


def env_example_names() -> set[str]:
    names = set()
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0].strip())
    return names


# ----------------------------------------------------------------------------------------------- the lock


def test_lock_is_up_to_date_with_pyproject() -> None:
    problems = lock.check()
    assert problems == [], "\n".join(p.message for p in problems)


def test_lock_check_catches_a_changed_dependency(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    original = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    pyproject.write_text(original.replace('"rapidfuzz>=', '"rapidfuzz[all]>=', 1), encoding="utf-8")
    assert any("make lock" in p.message for p in lock.check(pyproject, REPO / "requirements.txt"))

    added = original.replace("dependencies = [", 'dependencies = [\n    "six>=1.16,<2",', 1)
    pyproject.write_text(added, encoding="utf-8")
    messages = [p.message for p in lock.check(pyproject, REPO / "requirements.txt")]
    assert any("six is not pinned" in m for m in messages), messages


def test_lock_check_catches_a_pin_outside_the_range(tmp_path: Path) -> None:
    text = (REPO / "requirements.txt").read_text(encoding="utf-8")
    pinned = lock.pins(text)["rapidfuzz"]
    stale = tmp_path / "requirements.txt"
    stale.write_text(text.replace(f"rapidfuzz=={pinned}", "rapidfuzz==2.0.0"), encoding="utf-8")
    messages = [p.message for p in lock.check(REPO / "pyproject.toml", stale)]
    assert messages == ["rapidfuzz==2.0.0 in requirements.txt is outside <4,>=3.9"], messages


def test_python_version_file_satisfies_requires_python() -> None:
    from packaging.specifiers import SpecifierSet

    minor = lock.python_minor()
    _, requires_python = lock.project_spec()
    assert minor.count(".") == 1, ".python-version holds a major.minor version (Heroku, Render, uv read it)"
    assert SpecifierSet(requires_python).contains(f"{minor}.0")


# ------------------------------------------------------------------------------------- platform files


def test_platform_files_run_the_procfiles_web_command() -> None:
    web = procfile()["web"]
    assert web == "python -m bot --mode webhook"

    cmd = [args for instruction, args in dockerfile_instructions() if instruction == "CMD"]
    assert len(cmd) == 1
    assert shlex.join(json.loads(cmd[0])) == web, "the Dockerfile's CMD (exec form) is the Procfile's web"

    render = yaml.safe_load((REPO / "render.yaml").read_text(encoding="utf-8"))
    (service,) = render["services"]
    assert service["type"] == "web"
    assert service["startCommand"] == web
    assert service["buildCommand"] == "pip install -r requirements.txt"
    assert service["healthCheckPath"] == HEALTH_PATH

    app = json.loads((REPO / "app.json").read_text(encoding="utf-8"))
    assert set(app["formation"]) <= set(procfile()), "app.json scales only process types the Procfile has"
    assert "web" in app["formation"]
    assert any(str(a.get("plan", a)).startswith("heroku-postgresql") for a in app["addons"])


def test_platform_files_describe_only_real_settings() -> None:
    known = env_example_names()
    app = json.loads((REPO / "app.json").read_text(encoding="utf-8"))
    assert set(app["env"]) <= known, set(app["env"]) - known
    # The web process cannot start without these two; app.json asks for them.
    for name in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_URL"):
        assert app["env"][name]["required"] is True

    render = yaml.safe_load((REPO / "render.yaml").read_text(encoding="utf-8"))
    render_env = {item["key"] for item in render["services"][0]["envVars"]}
    assert render_env <= known, render_env - known
    assert {"TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "DATABASE_URL"} <= render_env
    # Render's generated values are base64 (+ / =): not a valid webhook secret, so the token's is derived.
    generated = {item["key"] for item in render["services"][0]["envVars"] if item.get("generateValue")}
    assert "WEBHOOK_SECRET" not in generated


def test_dockerfile_builds_a_small_non_root_image_from_the_lock() -> None:
    instructions = dockerfile_instructions()
    kinds = [instruction for instruction, _ in instructions]
    base = next(args for instruction, args in instructions if instruction == "FROM")
    assert base == f"python:{lock.python_minor()}-slim"

    copies = [args for instruction, args in instructions if instruction == "COPY"]
    runs = [args for instruction, args in instructions if instruction == "RUN"]
    # Dependencies from the lock in a layer of their own, before the application is copied.
    assert copies[0].split()[0] == "requirements.txt"
    assert any("pip install -r requirements.txt" in run for run in runs)
    first_app_copy = next(i for i, (k, a) in enumerate(instructions) if k == "COPY" and a.startswith(". "))
    install = next(i for i, (k, a) in enumerate(instructions) if k == "RUN" and "requirements.txt" in a)
    assert install < first_app_copy

    user = [args for instruction, args in instructions if instruction == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert kinds.index("USER") < kinds.index("CMD")
    # The engine's cache is built at build time, as the user that runs the bot (its home holds the cache).
    last_user = max(i for i, (k, _) in enumerate(instructions) if k == "USER")
    assert any(k == "RUN" and "python -m faq check" in a for k, a in instructions[last_user:])
    # The project's bytecode is compiled at build time (PYTHONDONTWRITEBYTECODE: never written at run time).
    assert any("compileall" in run and "faq" in run.split() for run in runs)

    env = " ".join(args for instruction, args in instructions if instruction == "ENV")
    assert "PORT=8080" in env
    health = next(args for instruction, args in instructions if instruction == "HEALTHCHECK")
    assert HEALTH_PATH in health and "PORT" in health

    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", "data"} <= ignored
    assert not ignored & {"intents.yaml", "faq", "bot", "requirements.txt", "*.yaml"}


def test_fly_toml_checks_health_on_the_port_the_image_listens_on() -> None:
    fly = tomllib.loads((REPO / "fly.toml").read_text(encoding="utf-8"))
    service = fly["http_service"]
    assert str(service["internal_port"]) == fly["env"]["PORT"] == "8080"
    assert [check["path"] for check in service["checks"]] == [HEALTH_PATH]
    assert fly["build"]["dockerfile"] == "Dockerfile"
    # Fly kills 5 s after SIGTERM unless told otherwise; the bot's own shutdown may take longer.
    assert fly["kill_timeout"] > SHUTDOWN_TIMEOUT + 2


# -------------------------------------------------------------------------- the web process, as built


def _project_files() -> list[str]:
    """The files a PaaS build gets: what git tracks, plus new files not ignored (a working copy)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (REPO / name).is_file()]


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A copy of the project and a fresh virtual environment with only ``requirements.txt`` installed."""
    root = tmp_path_factory.mktemp("paas")
    app = root / "app"
    for name in _project_files():
        target = app / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, f"pip install -r requirements.txt failed:\n{install.stderr[-3000:]}"
    yield app, venv


def test_procfile_web_starts_from_the_lock_alone_and_is_healthy(
    built_app: tuple[Path, Path], fake_telegram: FakeTelegram, postgres_url: str, tmp_path: Path
) -> None:
    app, venv = built_app
    token = fake_telegram.new_token()
    port = free_port()
    env = {
        # What a PaaS sets, and nothing else (PATH so that the shell finds the build's `python`).
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "PORT": str(port),
        "TELEGRAM_BOT_TOKEN": token,
        "WEBHOOK_URL": "https://loan-faq-bot.example.com/telegram",
        "DATABASE_URL": postgres_url.replace("postgresql://", "postgres://", 1),  # as Heroku writes it
        "TELEGRAM_BASE_URL": fake_telegram.base_url,
    }
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["/bin/sh", "-c", procfile()["web"]],
            cwd=app,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        tester = BotTester(fake_telegram, token)
        try:
            registered = tester.wait_for_sync("setWebhook", timeout=START_TIMEOUT)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nweb process output:\n{log.read_text()[-3000:]}") from None
        assert registered.params["url"] == env["WEBHOOK_URL"]
        deadline = time.monotonic() + START_TIMEOUT
        status = None
        while time.monotonic() < deadline:
            assert process.poll() is None, f"web exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            try:
                status = httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=5, trust_env=False)
            except httpx.TransportError:
                status = None
            if status is not None and status.status_code == 200:
                break
            time.sleep(0.1)
        assert status is not None and status.status_code == 200, log.read_text()[-3000:]
    finally:
        # A PaaS stops a dyno by sending SIGTERM to every process in it.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # The shell dies of the signal itself; the bot under it stops cleanly.
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
