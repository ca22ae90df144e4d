"""The running bot: Bolt app, HTTP endpoints (/slack/events, /healthz, /readyz, /metrics), Socket Mode, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

import handlers
from bot.bridge.outage import unavailable
from bot.logs import Redactor
from bot.ops.gauges import CONTENT_TYPE, Gauges, read_gauges, render
from bot.ops.readiness import Readiness
from bot.service import Service
from bot.settings import Settings
from bot.slack.inbound import Malformed, parse_body, signature_ok

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


@contextlib.contextmanager
def _out_of_bolts_sight(name: str) -> Iterator[None]:
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given our client as well, warns on every
    start that the token will be unused. The client carries the token; the app is built without it in view."""
    value = os.environ.pop(name, None)
    try:
        yield
    finally:
        if value is not None:
            os.environ[name] = value


class MaskedApp(AsyncApp):
    """The Bolt app, with every acknowledgement's body masked like the logs: an ack's text, a modal's field
    errors (bot/slack/gateway.py masks everything else the bot sends to Slack). HTTP and Socket Mode alike
    take their answer from here."""

    def __init__(self, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._redactor = redactor

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        response = await super().async_dispatch(req)
        if isinstance(response.body, str) and response.body:
            try:
                parsed = json.loads(response.body)
            except ValueError:
                response.body = self._redactor.mask(response.body)
            else:
                response.body = json.dumps(self._redactor.mask_value(parsed))
        return response


def build_bolt_app(service: Service) -> AsyncApp:
    """A Bolt app with every listener registered; it persists before it acknowledges."""
    settings = service.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    with _out_of_bolts_sight("SLACK_BOT_TOKEN"):
        app = MaskedApp(
            service.slack.redactor,
            client=service.slack.client,
            signing_secret=secret,
            # Listeners store the event durably before Slack gets its 200; slow work runs after the ack.
            process_before_response=True,
            # build_web_app checks the signature on the raw bytes before anything parses them (bot/slack/inbound.py).
            request_verification_enabled=False,
            logger=logging.getLogger("slack_bolt"),
        )

    @app.middleware
    async def acks_first(next_: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        # Stored events wait while Slack's requests are answered (bot/bridge/ack_priority.py).
        with service.acks.acking():
            return await next_()

    @app.error
    async def on_error(error: Exception, logger: logging.Logger) -> BoltResponse | None:
        if unavailable(error):
            # The database is down: noted once (bot/bridge/outage.py), not a traceback per event. Slack gets a
            # 503, retries, gives up; the thread is read back once the database is back.
            return BoltResponse(status=503, body="")
        logger.exception(f"Failed to run listener function (error: {error})")  # Bolt's default, then a 500
        return None

    handlers.register(app, service)
    return app


def build_web_app(service: Service, bolt_app: AsyncApp | None) -> web.Application:
    """aiohttp routes: Slack's events/commands/interactivity endpoint (HTTP mode) and the health check."""

    secret = service.settings.slack_signing_secret.get_secret_value() if service.settings.slack_signing_secret else ""

    async def slack_events(request: web.Request) -> web.Response:
        assert bolt_app is not None
        # Anyone can send anything here. The signature is checked on the raw bytes before any parsing (401),
        # then the body's shape (400), so Bolt never sees a body it would answer with a 500 and a traceback.
        body = await request.read()  # bounded by client_max_size: larger bodies get 413
        if not signature_ok(secret=secret, body=body, timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                            signature=request.headers.get("X-Slack-Signature"), now=time.time()):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            _, text = parse_body(body, request.headers.get("Content-Type"))
        except Malformed as exc:
            log.warning("refused a signed but malformed request", extra={"reason": str(exc)})
            return web.json_response({"error": str(exc)}, status=400)
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                        headers=request.headers)  # type: ignore[arg-type]
        bolt_response = await bolt_app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        try:
            db_ok = await service.store.ping()
        except Exception:  # a broken database is exactly what this endpoint reports
            db_ok = False
        status = 200 if db_ok else 503
        return web.json_response({"status": "ok" if db_ok else "degraded", "database": db_ok}, status=status)

    readiness = Readiness(ping_database=service.store.ping, auth_test=service.slack.auth_test,
                          database_outage=service.inbox.outage.problem)

    async def readyz(_: web.Request) -> web.Response:
        ready, body = await readiness.check()
        return web.json_response(body, status=200 if ready else 503)

    async def metrics(_: web.Request) -> web.Response:
        try:
            gauges = await read_gauges(service)
        except Exception as exc:  # counters are still worth a scrape while the database is away
            log.warning("metrics: cannot read the store's gauges", extra={"error": type(exc).__name__})
            gauges = Gauges()
        return web.Response(body=render(gauges), headers={"Content-Type": CONTENT_TYPE})

    app = web.Application(client_max_size=1024 * 1024)
    if bolt_app is not None:
        app.router.add_post(EVENTS_PATH, slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_http(service: Service, bolt_app: AsyncApp | None, *, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(build_web_app(service, bolt_app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM."""
    service = await Service.create(settings)
    await service.catch_up.hold_all()  # live events for a link wait until its thread has been read back
    bolt_app = build_bolt_app(service)
    runner = await start_http(service, None if settings.socket_mode else bolt_app, host=settings.host,
                              port=settings.port)
    await service.start()  # catch-up, events stored before a restart, the clock
    socket_handler = None
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert settings.slack_app_token is not None
        socket_handler = AsyncSocketModeHandler(bolt_app, settings.slack_app_token.get_secret_value())
        await socket_handler.connect_async()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Said once a stop signal is handled: a supervisor that stops the bot as soon as it is up stops it cleanly.
    log.info("request-bridge is up", extra={"mode": "socket" if settings.socket_mode else "http",
                                            "port": settings.port, "providers": ",".join(service.providers),
                                            "bot_user_id": service.bot_user_id})
    await stop.wait()
    log.info("shutting down")
    if socket_handler is not None:
        await socket_handler.close_async()
    await runner.cleanup()
    await service.inbox.wait_idle()
    await service.close()
