"""The console chat: the bot on stdin / stdout, with the same reply logic as Telegram (no account needed).

Suggestions and related questions are printed as numbered choices; typing the number picks one.
``/start``, ``/help``, ``/topics``, ``/stage N [platform]`` (``/days``), ``/more`` (the details behind
Telegram's "详细说明" button), ``/reload``, ``/stats`` and ``/quit`` work as on Telegram (the console user is
the maintainer). The console is one conversation: follow-ups use the turns before, as in a Telegram chat. It exits cleanly at end of input (EOF, Ctrl-D),
on Ctrl-C and on SIGTERM. Input is read as bytes and decoded with replacement, so broken UTF-8 cannot
crash it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import BinaryIO, TextIO

from bot.render import MAX_RELATED
from bot.service import (
    Answered,
    Assistant,
    EngineHolder,
    Stats,
    localize,
    script_of,
    start_store,
)
from bot.tools import ConsoleTools
from faq.reply import ReplyKind, Suggestion
from faq.usage import Feedback, UsageStore

CONSOLE_USER = "console"
CONSOLE_CHAT = "console"
NONE_OF_THESE = "__none_of_these__"
MAX_LINE_BYTES = 64 * 1024
CHOOSE_HINT = "(输入编号选择)"
BYE = "再见,保重。"


class Console:
    def __init__(self, assistant: Assistant, out: TextIO) -> None:
        self.assistant = assistant
        self.out = out
        self.traditional = False
        self.choices: list[Suggestion] = []
        self.last_answer_id: str | None = None
        self.tools = ConsoleTools(self.say, lambda: assistant.engine, assistant.is_crisis)

    # --- output ---------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n\n")
        self.out.flush()

    def show_choices(
        self, heading: str | None, choices: Sequence[Suggestion], traditional: bool | None = None
    ) -> None:
        self.choices = list(choices)
        if not self.choices:
            return
        trad = self.traditional if traditional is None else traditional
        lines = [localize(heading, trad)] if heading else []
        lines += [f"{n}. {s.title}" for n, s in enumerate(self.choices, start=1)]
        lines.append(localize(CHOOSE_HINT, trad))
        self.say("\n".join(lines))

    def show(self, answered: Answered) -> None:
        reply = answered.reply
        hint = self.assistant.text("more_hint", reply.traditional) if reply.details else ""
        self.say(f"{reply.text}\n{hint}" if hint and reply.kind is not ReplyKind.DETAILS else reply.text)
        self.last_answer_id = answered.answer_id
        if reply.suggestions:
            none = Suggestion(NONE_OF_THESE, self.assistant.text("none_of_these", reply.traditional))
            self.show_choices(None, [*reply.suggestions, none], reply.traditional)
        else:
            # As many as Telegram shows, so that a number means the same button there.
            related = reply.related[:MAX_RELATED]
            self.show_choices(self.assistant.engine.text("related_heading"), related, reply.traditional)
        self.assistant.finish(answered, update="console")

    # --- input ----------------------------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Answer one line; False to quit."""
        text = line.strip()
        seen = script_of(text)
        if seen is not None:
            self.traditional = seen
        if self.tools.handle(text, self.traditional):
            return True
        if text.isdigit() and self.choices and 1 <= int(text) <= len(self.choices):
            self.choose(self.choices[int(text) - 1])
            return True
        if text.startswith("/"):
            return self.command(text)
        self.show(
            self.assistant.ask(
                text,
                user_id=CONSOLE_USER,
                chat_type="console",
                traditional=self.traditional,
                chat=CONSOLE_CHAT,
            )
        )
        return True

    def choose(self, choice: Suggestion) -> None:
        if choice.intent == NONE_OF_THESE:
            if self.last_answer_id:
                self.assistant.feedback(self.last_answer_id, CONSOLE_USER, Feedback.NONE_OF_THESE)
            self.choices = []
            self.say(self.assistant.text("none_of_these_reply", self.traditional))
            return
        answered = self.assistant.choose(
            choice.intent, self.traditional, user_id=CONSOLE_USER, chat_type="console", chat=CONSOLE_CHAT
        )
        if answered is None:
            self.choices = []
            self.say(self.assistant.text("fallback", self.traditional))
            return
        self.show(answered)

    def command(self, text: str) -> bool:
        name, _, args = text.partition(" ")
        name = name.lower().split("@", 1)[0]
        trad = self.traditional
        if name in ("/quit", "/exit"):
            return False
        if self.tools.command(name, args, trad if script_of(args) is None else bool(script_of(args))):
            return True
        if name == "/start":
            welcome = self.assistant.text("welcome", trad)
            disclaimer = self.assistant.text("disclaimer", trad)
            self.say(welcome if disclaimer in welcome else f"{welcome}\n\n{disclaimer}")
            self.show_choices(
                self.assistant.engine.text("topics_heading"), self.assistant.engine.topics(trad)
            )
        elif name == "/topics":
            self.show_choices(
                self.assistant.engine.text("topics_heading"), self.assistant.engine.topics(trad)
            )
        elif name in ("/stage", "/days"):
            seen = script_of(args)
            answered = self.assistant.stage(
                args,
                trad if seen is None else seen,
                user_id=CONSOLE_USER,
                chat_type="console",
                chat=CONSOLE_CHAT,
            )
            if answered is None:
                self.say(self.assistant.engine.text("stage_usage", trad))
            else:
                self.show(answered)
        elif name == "/more":
            self.show(self.assistant.more(trad, user_id=CONSOLE_USER, chat_type="console", chat=CONSOLE_CHAT))
        elif name == "/stats":
            self.say(self.assistant.stats.render())
        else:
            self.say(self.assistant.text("help", trad))
        return True

    async def reload(self) -> None:
        result = await self.assistant.holder.reload()
        self.say(
            result.message
            if result.ok
            else f"{localize('新的知识库有错误,没有加载:', self.traditional)}\n{result.message}"
        )


def _lines_from_fd(fd: int) -> Iterator[bytes]:
    """Lines from a file descriptor with os.read (no buffered-reader lock that a daemon thread could hold
    while the interpreter shuts down); overlong lines are cut at MAX_LINE_BYTES."""
    pending = b""
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        pending += data
        while True:
            newline = pending.find(b"\n")
            if newline < 0:
                break
            yield pending[: newline + 1]
            pending = pending[newline + 1 :]
        while len(pending) > MAX_LINE_BYTES:
            yield pending[:MAX_LINE_BYTES]
            pending = pending[MAX_LINE_BYTES:]
    if pending:
        yield pending


def _reader(stream: BinaryIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
    """Read lines in a daemon thread (a blocked read never keeps the process alive at exit)."""

    def put(item: bytes | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: we are exiting anyway
            loop.call_soon_threadsafe(queue.put_nowait, item)

    try:
        try:
            lines: Iterator[bytes] = _lines_from_fd(stream.fileno())
        except (AttributeError, OSError, ValueError):  # not a real file (tests): its own readline
            lines = iter(lambda: stream.readline(MAX_LINE_BYTES), b"")
        for line in lines:
            put(line)
    except (OSError, ValueError):
        pass
    finally:
        put(None)


async def run_console(
    holder: EngineHolder,
    store: UsageStore,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    out = stdout or sys.stdout
    reconfigure = getattr(out, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="replace")
    stream = stdin or sys.stdin.buffer
    assistant = Assistant(holder, await start_store(store), Stats())
    console = Console(assistant, out)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, queue.put_nowait, None)
    threading.Thread(target=_reader, args=(stream, loop, queue), name="console-stdin", daemon=True).start()
    interactive = _isatty(stream)

    console.command("/start")
    try:
        while True:
            if interactive:
                out.write("> ")
                out.flush()
            raw = await queue.get()
            if raw is None:
                break
            line = raw.decode("utf-8", errors="replace")
            if line.strip().lower().split(" ", 1)[0] == "/reload":
                await console.reload()
                continue
            if not console.handle(line):
                break
    finally:
        if interactive:
            out.write("\n")
        out.write(localize(BYE, console.traditional) + "\n")
        out.flush()
        await assistant.drain()
        with contextlib.suppress(Exception):
            await assistant.store.close()
    return 0


def _isatty(stream: BinaryIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
