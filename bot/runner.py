"""Running the application: start-up and shutdown in the right order, signals, and long polling.

PTB's ``run_polling`` / ``run_webhook`` own the event loop and the signals; the bot needs more (SIGHUP
reloads the knowledge base, the webhook server also serves a health check), so it drives the application's
lifecycle itself, the way PTB's custom-webhook example does:
``initialize -> post_init -> start ... stop -> post_stop -> shutdown -> post_shutdown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable

from bot.app import ALLOWED_UPDATES, BotApplication
from bot.log import log_event
from bot.service import EngineHolder

logger = logging.getLogger(__name__)

#: Seconds the shutdown may take before the process gives up waiting (PaaS kill after ~10 s).
SHUTDOWN_TIMEOUT = 8.0


async def start_application(application: BotApplication) -> None:
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)


async def stop_application(application: BotApplication) -> None:
    """Stop whatever runs (updater, application), then shut down; every step runs even if one fails."""
    steps: list[tuple[str, Callable[[], object]]] = []
    if application.updater is not None:
        updater = application.updater
        steps.append(("updater.stop", lambda: updater.stop() if updater.running else None))
    steps.append(("stop", lambda: application.stop() if application.running else None))
    if application.post_stop is not None:
        post_stop = application.post_stop
        steps.append(("post_stop", lambda: post_stop(application)))
    steps.append(("shutdown", application.shutdown))
    if application.post_shutdown is not None:
        post_shutdown = application.post_shutdown
        steps.append(("post_shutdown", lambda: post_shutdown(application)))
    for name, step in steps:
        try:
            result = step()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            logger.exception("error during %s", name)


async def stop_with_timeout(application: BotApplication, timeout: float = SHUTDOWN_TIMEOUT) -> None:
    try:
        await asyncio.wait_for(stop_application(application), timeout)
    except TimeoutError:
        logger.error("shutdown took longer than %.0f s; exiting anyway", timeout)


@contextlib.asynccontextmanager
async def polling(application: BotApplication) -> AsyncIterator[BotApplication]:
    """The application running with long polling inside the ``async with`` block."""
    assert application.updater is not None, "polling needs an application with an updater"
    try:
        await start_application(application)
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        log_event("started", logger=__name__, mode="polling", bot=application.bot.username)
        yield application
    finally:
        await stop_with_timeout(application)


class Signals:
    """SIGTERM / SIGINT set :attr:`stop`; SIGHUP reloads the knowledge base. A second stop signal while
    shutting down exits at once."""

    def __init__(self, holder: EngineHolder | None = None, on_stop: Callable[[], None] | None = None) -> None:
        self.stop = asyncio.Event()
        self.holder = holder
        self.on_stop = on_stop
        self._installed: list[int] = []
        self._reloads: set[asyncio.Task[object]] = set()

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._stop, sig)
                self._installed.append(sig)
        sighup = getattr(signal, "SIGHUP", None)
        if sighup is not None and self.holder is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sighup, self._reload)
                self._installed.append(sighup)

    def remove(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        self._installed.clear()

    def _stop(self, sig: int) -> None:
        if self.stop.is_set():
            logger.warning("second %s: exiting now", signal.Signals(sig).name)
            os._exit(1)
        log_event("stopping", logger=__name__, signal=signal.Signals(sig).name)
        self.stop.set()
        if self.on_stop is not None:
            self.on_stop()

    def _reload(self) -> None:
        if self.holder is None:
            return
        holder = self.holder

        async def reload() -> None:
            result = await holder.reload()
            if not result.ok:
                logger.error("SIGHUP reload failed, keeping the previous knowledge base:\n%s", result.message)

        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(reload())
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)


async def run_polling(application: BotApplication, holder: EngineHolder) -> None:
    """Long polling until SIGTERM / SIGINT."""
    signals = Signals(holder)
    signals.install()
    try:
        async with polling(application):
            await signals.stop.wait()
    finally:
        signals.remove()
