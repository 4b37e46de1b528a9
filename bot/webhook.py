"""Webhook mode: a small Starlette app served by uvicorn, handing Telegram's updates to the application.

Following PTB's ``examples/customwebhookbot/starlettebot.py`` (the application runs without an updater,
the web server next to it in the same event loop), with what a bot that must lose nothing needs on top:

- **at-least-once in, exactly-once out**: an update is answered 200 only once it is safe: once it is
  durably in the update ledger (:mod:`bot.ledger`), from where this replica handles it at once and any
  replica after a restart; or, without a ledger (or with its database down), after it was handled. At most
  :data:`MAX_BACKLOG` accepted updates wait for handling; beyond that a request is
  answered only once its update was handled, so Telegram's ``max_connections`` (set with ``setWebhook``,
  ``WEBHOOK_MAX_CONNECTIONS``) is the backpressure, not an unbounded in-memory queue;
- **deduplication**: a redelivered ``update_id`` is answered 200 and not handled again (in memory, and
  across replicas through the ledger's unique key);
- **shutdown** (SIGTERM): new updates get 503 (Telegram delivers them again, to this replica after its
  restart or to another one); updates being handled get :data:`DRAIN_GRACE` seconds to finish, the rest
  are released in the ledger for the next replica; the process exits within 10 s;
- the ``X-Telegram-Bot-Api-Secret-Token`` header must equal the webhook secret (compared in constant
  time): anything else gets 403 and is not processed; bodies over :data:`MAX_BODY_BYTES` are refused
  while being read (413), whatever ``Content-Length`` says;
- ``GET /healthz`` (readiness) answers 200 only once ``setWebhook`` succeeded and until shutdown begins
  (503 otherwise); ``GET /livez`` (liveness) answers 200 whenever the process serves;
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
import time
from collections.abc import Generator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.app import ALLOWED_UPDATES, BotApplication
from bot.config import HEALTH_PATH, LIVENESS_PATH, Settings
from bot.ledger import Claim, RecentIds, UpdateLedger
from bot.log import log_event
from bot.runner import Signals, start_application, stop_with_timeout
from bot.service import EngineHolder

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # Telegram's updates are a few kB
#: Seconds the updates being handled get to finish at shutdown, and the whole shutdown may take (the
#: platform kills after ~10 s).
DRAIN_GRACE = 5.0
STOP_WITHIN = 9.0
#: Updates accepted ahead of handling at most (only those already durable in the ledger): replies go out
#: at SEND_RATE_LIMIT (30/s), so a burst is acknowledged at once and answered over the next minute.
MAX_BACKLOG = 2000
#: How often pending updates whose lease ran out are looked for (other replicas' leftovers).
RECOVER_INTERVAL = 2.0
#: How often the leases of the updates in hand are extended (well within bot.ledger.LEASE).
RENEW_INTERVAL = 15.0


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused (:class:`BodyTooLarge`) as soon as more than ``limit`` bytes arrived: a
    chunked body without ``Content-Length`` is never read whole."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


class Intake:
    """Accepts updates: deduplicates, claims them in the ledger, handles each inside its request, drains
    at shutdown and handles the ledger's leftovers (see the module docstring)."""

    def __init__(
        self, application: BotApplication, ledger: UpdateLedger | None = None, concurrency: int = 64
    ) -> None:
        self.application = application
        self.ledger = ledger
        self.recent = RecentIds()
        self.accepting = True
        self.slots = asyncio.Semaphore(max(1, concurrency))
        #: Durable updates answered before they were handled, at most (beyond, requests wait: backpressure).
        self.max_backlog = MAX_BACKLOG
        self.handled = 0
        self.duplicates = 0
        self._inflight: dict[asyncio.Task[bool], tuple[int, bool]] = {}
        self._recoverer: asyncio.Task[None] | None = None
        self._deferred: list[int] = []  # durable updates not started because shutdown began

    async def receive(self, update_id: int, data: dict[str, Any], body: bytes) -> int:
        """The HTTP status to answer Telegram with for one update."""
        if not self.accepting:
            return 503
        if update_id in self.recent:
            return self._duplicate(update_id)
        self.recent.add(update_id)
        claim = await self.ledger.claim(update_id, body) if self.ledger is not None else Claim.UNAVAILABLE
        if claim is Claim.DUPLICATE:
            return self._duplicate(update_id)
        if not self.accepting:  # stopped while claiming: hand it to the next replica
            if claim is Claim.NEW and self.ledger is not None:
                await self.ledger.release([update_id])
                return 200
            self.recent.discard(update_id)
            return 503
        durable = claim is Claim.NEW
        task = self._spawn(update_id, data, durable=durable)
        if durable and len(self._inflight) <= self.max_backlog:
            return 200  # in the ledger: handled now in the background, or after a restart by any replica
        safe = await asyncio.shield(task)  # not durable, or too much in hand: answer once handled
        return 200 if safe else 503

    def _duplicate(self, update_id: int) -> int:
        self.duplicates += 1
        log_event("duplicate_update", logger=__name__, id=update_id)
        return 200

    def _spawn(self, update_id: int, data: dict[str, Any], *, durable: bool) -> asyncio.Task[bool]:
        task = asyncio.get_running_loop().create_task(self._handle(update_id, data, durable))
        self._inflight[task] = (update_id, durable)
        task.add_done_callback(lambda t: self._inflight.pop(t, None))
        return task

    async def _handle(self, update_id: int, data: dict[str, Any], durable: bool) -> bool:
        """Handle one update; True when it is safe to tell Telegram it was received."""
        try:
            async with self.slots:
                if durable and not self.accepting:  # shutting down: not started, left to the next start
                    self._deferred.append(update_id)
                    return True
                update = Update.de_json(data, self.application.bot)
                await self.application.process_update(update)
        except asyncio.CancelledError:
            # Cut short at shutdown: safe only when the ledger holds it (released in drain()).
            if not durable:
                self.recent.discard(update_id)
            return durable
        except Exception:  # process_update routes handler errors to the error handler; this is PTB itself
            logger.exception("update id=%s could not be processed", update_id)
        self.handled += 1
        if self.ledger is not None:
            # Also when the claim timed out: it may still be written (the ledger writes in order), and
            # must not be taken over later as a pending update.
            await self.ledger.done(update_id)
        return True

    # --------------------------------------------------------------------------------------- recovery

    def start_recovery(self) -> None:
        if self.ledger is not None and self._recoverer is None:
            self._recoverer = asyncio.get_running_loop().create_task(self._recover_loop())

    async def recover_once(self) -> int:
        """Handle pending updates whose lease ran out (a stopped replica's, or this one's before a
        restart); the number taken over."""
        total = 0
        while self.ledger is not None and self.accepting:
            room = min(100, self.max_backlog - len(self._inflight))
            if room <= 0:
                break
            taken = await self._take_over(room)
            total += taken
            if taken < room:
                break
        return total

    async def _take_over(self, limit: int) -> int:
        assert self.ledger is not None
        taken = await self.ledger.take_over(limit)
        in_hand = {entry[0] for entry in self._inflight.values()}
        for update_id, body in taken:
            if update_id in in_hand:  # ours already (its lease ran out while it waited): renewed below
                continue
            try:
                data = json.loads(body)
            except ValueError:
                await self.ledger.done(update_id)
                continue
            self.recent.add(update_id)
            self._spawn(update_id, data, durable=True)
        if taken:
            log_event("recovered_updates", logger=__name__, count=len(taken))
        return len(taken)

    async def _recover_loop(self) -> None:
        last_renewal = time.monotonic()
        while self.accepting:
            try:
                if self.ledger is not None and time.monotonic() - last_renewal >= RENEW_INTERVAL:
                    last_renewal = time.monotonic()
                    await self.ledger.renew(entry[0] for entry in list(self._inflight.values()) if entry[1])
                await self.recover_once()
            except Exception:
                logger.exception("recovery of pending updates failed")
            await asyncio.sleep(RECOVER_INTERVAL)

    # ---------------------------------------------------------------------------------------- shutdown

    async def drain(self, grace: float = DRAIN_GRACE) -> None:
        """Stop accepting; let the updates being handled finish within ``grace`` seconds (those in the ledger
        and not started yet are not started); cut the rest short; release what is left in the ledger for
        the next start or another replica."""
        self.accepting = False
        if self._recoverer is not None:
            self._recoverer.cancel()
            with contextlib.suppress(BaseException):
                await self._recoverer
            self._recoverer = None
        tasks = list(self._inflight)
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        left = {task: self._inflight.get(task) for task in tasks if not task.done()}
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
        cut = [entry[0] for entry in left.values() if entry is not None and entry[1]]
        released = self._deferred + cut
        if released and self.ledger is not None:
            await self.ledger.release(released)
        log_event(
            "drained",
            logger=__name__,
            finished=len(tasks) - len(left) - len(self._deferred),
            released=len(released),
            dropped=len(left) - len(cut),
        )


def create_web_app(
    application: BotApplication, secret: str, path: str, intake: Intake | None = None, ready: Any = None
) -> Starlette:
    """The Starlette app. ``ready()`` says whether /healthz reports ready (default: the application runs)."""
    expected = secret.encode()
    intake = intake if intake is not None else Intake(application)

    def is_ready() -> bool:
        return bool(ready()) if ready is not None else application.running and intake.accepting

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
        if not intake.accepting:
            return Response(status_code=503)
        try:
            body = await read_body(request)
        except BodyTooLarge:
            log_event("webhook_refused", level=logging.WARNING, logger=__name__, reason="body too large")
            return Response(status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            data = json.loads(body)
            update_id = int(data["update_id"])
            if not isinstance(data, dict) or Update.de_json(data, application.bot) is None:
                raise ValueError("not an update")
        except Exception as exc:
            log_event("webhook_bad_update", level=logging.WARNING, logger=__name__, error=type(exc).__name__)
            return Response(status_code=400)
        return Response(status_code=await intake.receive(update_id, data, body))

    async def health(request: Request) -> Response:
        if is_ready():
            return JSONResponse({"status": "ok"})
        status = "stopping" if not intake.accepting else "starting"
        return JSONResponse({"status": status}, status_code=503)

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    routes = [
        Route(HEALTH_PATH, health, methods=["GET", "HEAD"]),
        Route(LIVENESS_PATH, live, methods=["GET", "HEAD"]),
    ]
    if path not in (HEALTH_PATH, LIVENESS_PATH):
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
    """The application + the web server (+ the update ledger), started and stopped together."""

    def __init__(
        self,
        application: BotApplication,
        settings: Settings,
        sock: socket.socket | None = None,
        ledger: UpdateLedger | None = None,
    ) -> None:
        if not settings.webhook_url or not settings.webhook_secret:
            raise ValueError("webhook mode needs WEBHOOK_URL and a webhook secret")
        self.application = application
        self.settings = settings
        self.sock = sock
        self.ledger = ledger
        self.intake = Intake(application, ledger, settings.concurrent_updates)
        self.ready = False
        self.web_app = create_web_app(
            application,
            settings.webhook_secret,
            settings.webhook_path,
            self.intake,
            ready=lambda: self.ready and self.intake.accepting,
        )
        config = uvicorn.Config(
            app=self.web_app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=1,
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
        """Initialise the application, open the ledger, start serving, register the webhook with Telegram,
        then report ready and handle what earlier runs left pending."""
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
        if self.ledger is not None:
            await self.ledger.start()
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
            max_connections=self.settings.max_connections,
        )
        self.ready = True
        self.intake.start_recovery()
        log_event(
            "started",
            logger=__name__,
            mode="webhook",
            bot=self.application.bot.username,
            listen=f"{self.settings.listen_host}:{port}",
            path=self.settings.webhook_path,
            max_connections=self.settings.max_connections,
        )

    async def stop(self) -> None:
        deadline = time.monotonic() + STOP_WITHIN
        self.ready = False
        await self.intake.drain()
        self.server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 1.5)
            except (Exception, asyncio.CancelledError, SystemExit) as exc:
                logger.warning("web server stop: %s", type(exc).__name__)
        await stop_with_timeout(self.application, max(1.0, deadline - time.monotonic() - 0.5))
        if self.ledger is not None:
            await self.ledger.close()
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


async def run_webhook(
    application: BotApplication,
    settings: Settings,
    holder: EngineHolder,
    ledger: UpdateLedger | None = None,
) -> None:
    """Serve the webhook until SIGTERM / SIGINT. Should the web server stop on its own, the application is
    shut down too and :class:`RuntimeError` raised (``python -m bot`` exits with 1)."""
    signals = Signals(holder)
    signals.install()
    try:
        async with WebhookServer(application, settings, ledger=ledger) as server:
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
