"""``python -m bot`` as a subprocess: webhook and polling against the fake Bot API server (health check,
secret, SIGTERM, SIGHUP, logs without secrets) and the console chat on piped stdin."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REPO
from fake_telegram import BotTester, FakeTelegram, free_port, webhook_poster_sync

from bot.config import derive_webhook_secret
from faq.engine import Engine
from faq.normalize import is_traditional
from faq.reply import ReplyKind

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

QUESTION = "拖了12天了会打给我老公吗"
STOP_WITHIN = 10.0


class BotProcess:
    def __init__(self, env: dict[str, str], tmp_path: Path, stdin: bytes | None = None) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.out_path = tmp_path / "stdout.txt"
        self.err_path = tmp_path / "stderr.txt"
        base = {
            k: v
            for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
        }
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=REPO,
                env={**base, "PYTHONUNBUFFERED": "1", **env},
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        if stdin is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()

    @property
    def logs(self) -> str:
        return self.out_path.read_text(errors="replace") + self.err_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.logs:
            assert self.proc.poll() is None, f"bot exited ({self.proc.returncode}):\n{self.logs[-3000:]}"
            assert time.monotonic() < deadline, f"{needle!r} not logged:\n{self.logs[-3000:]}"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=STOP_WITHIN + 5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.kill()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'usage.sqlite3'}"


def _assert_no_secrets(logs: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in logs, "a secret reached the logs"


def test_webhook_process_health_secret_reply_and_sigterm(
    fake_telegram: FakeTelegram, engine: Engine, tmp_path: Path, processes: list[BotProcess]
) -> None:
    token = fake_telegram.new_token()
    port = free_port()
    bot = BotProcess(
        {
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_BASE_URL": fake_telegram.base_url,
            "WEBHOOK_URL": "https://bot.example.com/hook",
            "LISTEN_HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": _sqlite_url(tmp_path),
            "LOG_LEVEL": "INFO",
        },
        tmp_path,
    )
    processes.append(bot)
    tester = BotTester(fake_telegram, token)
    registered = tester.wait_for_sync("setWebhook", timeout=30)
    secret = derive_webhook_secret(token)
    assert registered.params["url"] == "https://bot.example.com/hook"
    assert registered.params["secret_token"] == secret
    assert tester.calls("setMyCommands")

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30  # ready once setWebhook's answer is in, a moment after the call
    while (health := httpx.get(f"{base}/healthz", timeout=5, trust_env=False)).status_code != 200:
        assert health.json() == {"status": "starting"} and time.monotonic() < deadline, health.text
        time.sleep(0.05)
    assert health.json() == {"status": "ok"}
    assert httpx.get(f"{base}/livez", timeout=5, trust_env=False).status_code == 200

    update = {"update_id": 1, **tester.message(301, QUESTION)}
    wrong = httpx.post(
        f"{base}/hook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        timeout=5,
        trust_env=False,
    )
    missing = httpx.post(f"{base}/hook", json=update, timeout=5, trust_env=False)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    # Refused updates are never queued: the one answer recorded below (sqlite) is the accepted update's.

    tester.deliver = webhook_poster_sync(f"{base}/hook", secret)
    tester.push_sync(tester.message(301, QUESTION))
    reply = tester.pop_message_sync(301)
    assert engine.reply(QUESTION).parts[0].body.split("\n")[0] in reply.text

    code, took = bot.stop(signal.SIGTERM)
    assert code == 0, bot.logs[-3000:]
    assert took < STOP_WITHIN
    logs = bot.logs
    assert "started mode=webhook" in logs
    assert "intent=family_contact" in logs and "days=12" in logs and "latency_ms=" in logs
    assert "webhook_refused" in logs
    _assert_no_secrets(logs, token, token.split(":")[1], secret, QUESTION)
    with sqlite3.connect(tmp_path / "usage.sqlite3") as db:
        assert db.execute("select count(*) from faq_answers").fetchone()[0] == 1  # not the refused ones


def test_polling_process_reload_on_sighup_and_sigterm(
    fake_telegram: FakeTelegram, engine: Engine, tmp_path: Path, processes: list[BotProcess]
) -> None:
    token = fake_telegram.new_token()
    bot = BotProcess(
        {
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_BASE_URL": fake_telegram.base_url,
            "DATABASE_URL": _sqlite_url(tmp_path),
            "LOG_LEVEL": "DEBUG",
        },
        tmp_path,
    )
    processes.append(bot)
    tester = BotTester(fake_telegram, token)
    tester.wait_for_sync("getUpdates", timeout=30)
    tester.push_sync(tester.message(302, "逾期會不會打給家裡人"))
    reply = tester.pop_message_sync(302)
    assert is_traditional(reply.text)

    bot.proc.send_signal(signal.SIGHUP)
    bot.wait_for_log("reload ok=True")
    tester.push_sync(tester.message(302, QUESTION))
    assert tester.pop_message_sync(302).text

    code, took = bot.stop(signal.SIGTERM)
    assert code == 0, bot.logs[-3000:]
    assert took < STOP_WITHIN
    logs = bot.logs
    assert "started mode=polling" in logs
    _assert_no_secrets(logs, token, token.split(":")[1])


def test_polling_process_stops_on_sigint(
    fake_telegram: FakeTelegram, tmp_path: Path, processes: list[BotProcess]
) -> None:
    token = fake_telegram.new_token()
    bot = BotProcess(
        {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_BASE_URL": fake_telegram.base_url, "USAGE_LOG": "0"}, tmp_path
    )
    processes.append(bot)
    BotTester(fake_telegram, token).wait_for_sync("getUpdates", timeout=30)
    code, took = bot.stop(signal.SIGINT)
    assert code == 0 and took < STOP_WITHIN, bot.logs[-3000:]


def test_console_chat_on_piped_stdin(
    engine: Engine, tmp_path: Path, processes: list[BotProcess], unknown_question: str
) -> None:
    fallback = engine.reply(unknown_question)
    assert fallback.kind is ReplyKind.FALLBACK and fallback.suggestions
    chosen = engine.answer_intent(fallback.suggestions[0].intent)
    assert chosen is not None
    stdin = (
        "\n".join(
            [QUESTION, unknown_question, "1", "/stage 10 极融", "逾期會不會打給家裡人", "", "/help"]
        ).encode()
        + b"\n\xff\xfe\xc3 broken \xe4\xb8\n/topics\n"
    )
    bot = BotProcess({"DATABASE_URL": _sqlite_url(tmp_path)}, tmp_path, stdin=stdin)
    processes.append(bot)
    code = bot.proc.wait(timeout=60)
    out = bot.out_path.read_text(encoding="utf-8")
    err = bot.err_path.read_text(errors="replace")
    assert code == 0, err[-3000:]
    assert "Traceback" not in err
    assert engine.text("welcome").split("\n")[0] in out
    assert engine.reply(QUESTION).parts[0].body.split("\n")[0] in out
    assert f"1. {fallback.suggestions[0].title}" in out
    assert chosen.parts[0].body.split("\n")[0] in out
    heading = engine.stage_reply(10, "jirong").parts[0].heading
    assert heading and heading in out
    assert engine.reply("逾期會不會打給家裡人").parts[0].body.split("\n")[0] in out
    assert engine.text("help", traditional=True).split("\n")[0] in out  # the user wrote Traditional last
    assert out.rstrip().endswith(("再见,保重。", "再見,保重。"))


def test_console_exits_cleanly_on_ctrl_c(tmp_path: Path, processes: list[BotProcess]) -> None:
    bot = BotProcess({"USAGE_LOG": "0"}, tmp_path, stdin=None)
    processes.append(bot)
    # stdin is /dev/null here: the console reaches EOF by itself.
    assert bot.proc.wait(timeout=60) == 0
    out = bot.out_path.read_text(encoding="utf-8")
    assert "保重" in out

    sleeper = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "USAGE_LOG": "0", "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert sleeper.stdout is not None
        sleeper.stdout.readline()  # the welcome: it is running and reading stdin
        sleeper.send_signal(signal.SIGINT)
        assert sleeper.wait(timeout=STOP_WITHIN) == 0
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        sleeper.communicate()


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"BOT_MODE": "webhook", "TELEGRAM_BOT_TOKEN": "12345:SECRETsecretSECRETsecret"}, "WEBHOOK_URL"),
        ({"BOT_MODE": "sideways"}, "BOT_MODE"),
        ({"TELEGRAM_BOT_TOKEN": "12345:SECRETsecretSECRETsecret", "PORT": "http"}, "PORT"),
    ],
)
def test_configuration_errors_exit_2_with_a_clear_message(
    tmp_path: Path, processes: list[BotProcess], env: dict[str, str], needle: str
) -> None:
    bot = BotProcess(env, tmp_path)
    processes.append(bot)
    assert bot.proc.wait(timeout=30) == 2
    logs = bot.logs
    assert needle in logs and "Configuration error" in logs
    assert "SECRETsecret" not in logs


def test_refused_token_and_busy_port_exit_1_with_a_clear_message(
    fake_telegram: FakeTelegram, tmp_path: Path, processes: list[BotProcess]
) -> None:
    token = fake_telegram.new_token()
    fake_telegram.bot(token).fail_next("getMe", 401, "Unauthorized")
    refused = BotProcess(
        {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_BASE_URL": fake_telegram.base_url, "USAGE_LOG": "0"},
        tmp_path / "refused",
    )
    processes.append(refused)

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        in_use = BotProcess(
            {
                "TELEGRAM_BOT_TOKEN": fake_telegram.new_token(),
                "TELEGRAM_BASE_URL": fake_telegram.base_url,
                "WEBHOOK_URL": "https://bot.example.com/hook",
                "LISTEN_HOST": "127.0.0.1",
                "PORT": str(port),
                "USAGE_LOG": "0",
            },
            tmp_path / "in_use",
        )
        processes.append(in_use)
        assert refused.proc.wait(timeout=30) == 1
        assert in_use.proc.wait(timeout=30) == 1
    finally:
        busy.close()
    assert "refused TELEGRAM_BOT_TOKEN" in refused.logs
    assert f"cannot listen on 127.0.0.1:{port}" in in_use.logs
    _assert_no_secrets(refused.logs + in_use.logs, token, token.split(":")[1])
