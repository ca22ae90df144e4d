"""The running bot: Bolt app, HTTP endpoints (/slack/events, /healthz, /readyz, /metrics), Socket Mode, shutdown."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

import handlers
from bot.bridge.outage import unavailable
from bot.ops.gauges import CONTENT_TYPE, Gauges, read_gauges, render
from bot.ops.readiness import Readiness
from bot.service import Service
from bot.settings import Settings

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def build_bolt_app(service: Service) -> AsyncApp:
    """A Bolt app with every listener registered; it persists before it acknowledges."""
    settings = service.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = AsyncApp(
        client=service.slack.client,
        signing_secret=secret,
        # Listeners store the event durably before Slack gets its 200; slow work runs after the ack.
        process_before_response=True,
        request_verification_enabled=not settings.socket_mode,
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

    async def slack_events(request: web.Request) -> web.Response:
        assert bolt_app is not None
        # Malformed requests are refused here: anyone can send them, and Bolt would answer them with a
        # 500 and a traceback (it parses the timestamp with int() and decodes the body as UTF-8).
        try:
            (await request.read()).decode("utf-8")  # bounded by client_max_size: larger bodies get 413
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        if not _TIMESTAMP.fullmatch(request.headers.get("X-Slack-Request-Timestamp", "")):
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
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
    log.info("request-bridge is up", extra={"mode": "socket" if settings.socket_mode else "http",
                                            "port": settings.port, "providers": ",".join(service.providers),
                                            "bot_user_id": service.bot_user_id})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    if socket_handler is not None:
        await socket_handler.close_async()
    await runner.cleanup()
    await service.inbox.wait_idle()
    await service.close()
