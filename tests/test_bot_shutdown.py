"""SIGTERM during a burst: the real ``python -m bot --mode webhook`` against the fake Bot API, a client that
plays Telegram (40 connections, redelivers whatever was not answered 200), a restart on the same database:
every update is answered exactly once."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_telegram import BotTester, FakeTelegram, Faults, free_port, update_body, webhook_headers
from test_bot_process import STOP_WITHIN, BotProcess

from bot.config import derive_webhook_secret

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

QUESTION = "逾期多久会打电话给家里人"
BURST = 500
CONNECTIONS = 40  # Telegram's default max_connections


class Telegram:
    """Delivers updates like Telegram: ``CONNECTIONS`` at a time; an update is delivered when the webhook
    answered 200, else it is kept for redelivery."""

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.headers = webhook_headers(secret)
        self.accepted: set[int] = set()
        self.refused: dict[int, int | str] = {}  # update_id -> last status or error

    async def deliver(self, updates: list[dict[str, Any]]) -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for update in updates:
            queue.put_nowait(update)
        limits = httpx.Limits(max_connections=CONNECTIONS)
        async with httpx.AsyncClient(timeout=30, trust_env=False, limits=limits) as client:

            async def worker() -> None:
                while not queue.empty():
                    update = queue.get_nowait()
                    update_id = update["update_id"]
                    try:
                        response = await client.post(self.url, content=update_body(update), headers=self.headers)
                        status: int | str = response.status_code
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    if status == 200:
                        self.accepted.add(update_id)
                        self.refused.pop(update_id, None)
                    else:
                        self.refused[update_id] = status

            await asyncio.gather(*[worker() for _ in range(CONNECTIONS)])


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.kill()


def _count(db: Path, query: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(query).fetchone()[0])


async def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(0.05)


async def test_sigterm_during_a_burst_loses_nothing_and_repeats_nothing(
    fake_telegram: FakeTelegram, tmp_path: Path, processes: list[BotProcess]
) -> None:
    token = fake_telegram.new_token()
    tester = BotTester(fake_telegram, token)
    # Some chats get a long 429 first: their updates are still being handled when SIGTERM comes, so the
    # shutdown must hand them over (ledger) rather than finish them.
    tester.state.inject(Faults(rate=0.05, kinds=("429",), retry_after=8, max_per_chat=1, seed=7))
    port = free_port()
    db = tmp_path / "usage.sqlite3"
    ledger = tmp_path / "usage-updates.sqlite3"  # the ledger's own file next to the usage log
    env = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": fake_telegram.base_url,
        "WEBHOOK_URL": "https://bot.example.com/hook",
        "LISTEN_HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{db}",
        "FLOOD_LIMIT": "0",
        "LOG_LEVEL": "INFO",
    }
    first = BotProcess(env, tmp_path / "first")
    processes.append(first)
    await asyncio.to_thread(tester.wait_for_sync, "setWebhook", None, 30)
    assert tester.calls("setWebhook")[0].params["max_connections"] == CONNECTIONS

    users = list(range(40_000, 40_000 + BURST))
    updates = [{"update_id": 1 + i, **tester.message(u, QUESTION)} for i, u in enumerate(users)]
    telegram = Telegram(f"http://127.0.0.1:{port}/hook", derive_webhook_secret(token))
    burst = asyncio.create_task(telegram.deliver(updates))
    await _wait(lambda: len(telegram.accepted) >= BURST // 5, 60, "a fifth of the burst accepted")
    first.proc.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(first.proc.wait, STOP_WITHIN + 5)
    await burst
    assert code == 0, first.logs[-3000:]
    assert "Traceback" not in first.logs
    assert 0 < len(telegram.accepted) < BURST and telegram.refused, "SIGTERM came during the burst"
    accepted_before = set(telegram.accepted)

    second = BotProcess(env, tmp_path / "second")
    processes.append(second)
    await asyncio.to_thread(second.wait_for_log, "started mode=webhook", 30)
    # Telegram redelivers what was not accepted; it also repeats a few accepted ones (harmless).
    while telegram.refused:
        await telegram.deliver([u for u in updates if u["update_id"] in telegram.refused])
    await telegram.deliver(updates[:50])
    assert len(telegram.accepted) == BURST

    def answered() -> int:
        return len({c.chat_id for c in tester.state.delivered if c.method == "sendMessage"})

    await _wait(lambda: answered() == BURST, 60, "every user answered")
    await _wait(
        lambda: _count(ledger, "select count(*) from bot_updates where state = 'done'") == BURST,
        30,
        "every update marked done",
    )
    code = await asyncio.to_thread(second.stop)
    assert code[0] == 0, second.logs[-3000:]
    delivered = [c.chat_id for c in tester.state.delivered if c.method == "sendMessage"]
    twice = sorted({chat for chat in delivered if delivered.count(chat) > 1})
    assert not twice, f"{len(twice)} users answered more than once"
    assert sorted(delivered) == users
    assert accepted_before <= telegram.accepted
    drained = re.search(r"drained finished=(\d+) released=(\d+) dropped=(\d+)", first.logs)
    assert drained is not None and drained.group(3) == "0", "nothing accepted was dropped"
    if int(drained.group(2)):  # handed over to the next start: it said so
        assert "recovered_updates" in second.logs
    assert _count(ledger, "select count(*) from bot_updates where body is not null") == 0


async def test_two_replica_processes_on_one_postgres_share_dedupe_and_reload(
    fake_telegram: FakeTelegram, postgres_url: str, tmp_path: Path, processes: list[BotProcess]
) -> None:
    """Two ``python -m bot`` webhook processes (replicas behind a load balancer) with one DATABASE_URL:
    every update sent to both is answered once, and SIGHUP on one reloads the other too."""
    token = fake_telegram.new_token()
    tester = BotTester(fake_telegram, token)
    ports = [free_port(), free_port()]
    replicas = []
    for n, port in enumerate(ports):
        env = {
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_BASE_URL": fake_telegram.base_url,
            "WEBHOOK_URL": "https://bot.example.com/hook",
            "LISTEN_HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": postgres_url,
            "LOG_LEVEL": "INFO",
        }
        replica = BotProcess(env, tmp_path / f"replica{n}")
        processes.append(replica)
        replicas.append(replica)
    for replica in replicas:
        await asyncio.to_thread(replica.wait_for_log, "started mode=webhook", 30)

    users = list(range(41_000, 41_100))
    updates = [{"update_id": 7000 + i, **tester.message(u, QUESTION)} for i, u in enumerate(users)]
    secret = derive_webhook_secret(token)
    to_a = Telegram(f"http://127.0.0.1:{ports[0]}/hook", secret)
    to_b = Telegram(f"http://127.0.0.1:{ports[1]}/hook", secret)
    await asyncio.gather(to_a.deliver(updates), to_b.deliver(updates[::-1]))  # each update to both
    assert len(to_a.accepted) == len(to_b.accepted) == len(users)

    def answered() -> int:
        return len({c.chat_id for c in tester.state.delivered if c.method == "sendMessage"})

    await _wait(lambda: answered() == len(users), 60, "every user answered")
    replicas[0].proc.send_signal(signal.SIGHUP)
    await asyncio.to_thread(replicas[1].wait_for_log, "reload_requested", 30)
    await asyncio.to_thread(replicas[1].wait_for_log, "reload ok=True", 30)
    for replica in replicas:
        code, _took = await asyncio.to_thread(replica.stop)
        assert code == 0, replica.logs[-3000:]
    delivered = [c.chat_id for c in tester.state.delivered if c.method == "sendMessage"]
    assert sorted(delivered) == users, "each user answered exactly once"
    logs = replicas[0].logs + replicas[1].logs
    assert "Traceback" not in logs
    assert token not in logs and secret not in logs and QUESTION not in logs
