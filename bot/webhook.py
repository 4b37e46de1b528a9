"""Webhook mode: a small Starlette app served by uvicorn, feeding the application's update queue.

Following PTB's ``examples/customwebhookbot/starlettebot.py``: the application runs without an updater,
``POST <path of WEBHOOK_URL>`` puts ``Update.de_json(...)`` on ``application.update_queue``, and the web
server runs next to the application in the same event loop. On top of the example:

- the ``X-Telegram-Bot-Api-Secret-Token`` header must equal the webhook secret (``WEBHOOK_SECRET`` or one
  derived from the token): anything else gets 403 and is not processed;
- ``GET /healthz`` answers 200 ``{"status": "ok"}`` once the application runs (503 before), for PaaS
  health checks;
- signals: uvicorn's own handlers re-raise SIGTERM after ``serve()`` returns, which would kill the process
  before the application shuts down; this server never installs them (:class:`QuietServer`) and the bot's
  :class:`~bot.runner.Signals` stop it instead, so ``application.stop()/shutdown()`` always run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Generator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.app import ALLOWED_UPDATES, BotApplication
from bot.config import HEALTH_PATH, Settings
from bot.log import log_event
from bot.runner import Signals, start_application, stop_with_timeout
from bot.service import EngineHolder

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # Telegram's updates are a few kB


def create_web_app(application: BotApplication, secret: str, path: str) -> Starlette:
    expected = secret.encode()

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", errors="replace")
        if not hmac.compare_digest(given, expected):
            log_event(
                "webhook_refused",
                level=logging.WARNING,
                logger=__name__,
                reason="wrong secret" if given else "missing secret",
                client=request.client.host if request.client else None,
            )
            return Response(status_code=403)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return Response(status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, application.bot)
        except Exception as exc:
            log_event("webhook_bad_update", level=logging.WARNING, logger=__name__, error=type(exc).__name__)
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    async def health(request: Request) -> Response:
        if application.running:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting"}, status_code=503)

    routes = [Route(HEALTH_PATH, health, methods=["GET", "HEAD"])]
    if path != HEALTH_PATH:
        routes.insert(0, Route(path, telegram, methods=["POST"]))
    return Starlette(routes=routes)


class QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers (see the module docstring)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class WebhookServer:
    """The application + the web server, started and stopped together."""

    def __init__(
        self, application: BotApplication, settings: Settings, sock: socket.socket | None = None
    ) -> None:
        if not settings.webhook_url or not settings.webhook_secret:
            raise ValueError("webhook mode needs WEBHOOK_URL and a webhook secret")
        self.application = application
        self.settings = settings
        self.sock = sock
        self.web_app = create_web_app(application, settings.webhook_secret, settings.webhook_path)
        config = uvicorn.Config(
            app=self.web_app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=3,
        )
        self.server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port listened on (read once: uvicorn closes the socket when it stops)."""
        if self._port is None:
            assert self.sock is not None
            self._port = int(self.sock.getsockname()[1])
        return self._port

    @property
    def done(self) -> asyncio.Task[None] | None:
        return self._task

    async def start(self) -> None:
        """Initialise the application, start serving, then register the webhook with Telegram."""
        if self.sock is None:
            try:
                self.sock = bind_socket(self.settings.listen_host, self.settings.port)
            except OSError as exc:
                raise RuntimeError(
                    f"cannot listen on {self.settings.listen_host}:{self.settings.port}: "
                    f"{exc.strerror or exc}"
                ) from exc
        port = self.port  # before uvicorn owns the socket
        await start_application(self.application)
        await self.application.start()
        self._task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("the webhook server stopped during start-up")
            await asyncio.sleep(0.01)
        await self.application.bot.set_webhook(
            url=self.settings.webhook_url or "",
            secret_token=self.settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        log_event(
            "started",
            logger=__name__,
            mode="webhook",
            bot=self.application.bot.username,
            listen=f"{self.settings.listen_host}:{port}",
            path=self.settings.webhook_path,
        )

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except (Exception, asyncio.CancelledError, SystemExit) as exc:
                logger.warning("web server stop: %s", type(exc).__name__)
        await stop_with_timeout(self.application)
        if self.sock is not None:
            self.sock.close()

    async def __aenter__(self) -> WebhookServer:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def run_webhook(application: BotApplication, settings: Settings, holder: EngineHolder) -> None:
    """Serve the webhook until SIGTERM / SIGINT. Should the web server stop on its own, the application is
    shut down too and :class:`RuntimeError` raised (``python -m bot`` exits with 1)."""
    signals = Signals(holder)
    signals.install()
    try:
        async with WebhookServer(application, settings) as server:
            stop_wait = asyncio.create_task(signals.stop.wait())
            assert server.done is not None
            await asyncio.wait({stop_wait, server.done}, return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop_wait
            if not signals.stop.is_set():
                # Not asked to stop: exit non-zero (after the clean shutdown) so that the platform restarts us.
                raise RuntimeError("the webhook server stopped unexpectedly")
    finally:
        signals.remove()
