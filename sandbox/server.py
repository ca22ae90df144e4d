"""Run an aiohttp application (or any coroutine) on a private event loop in a daemon thread.

Tests are synchronous and talk to the servers with blocking clients, so the servers need a loop of
their own. The same class can host the bot's web app; ``run`` executes coroutines on that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from sandbox.base import LoopbackFake

T = TypeVar("T")
F = TypeVar("F", bound=LoopbackFake)


class ServerThread:
    """Serve ``app`` on 127.0.0.1 with an OS-chosen port from a background thread."""

    def __init__(
        self, app: web.Application, *, host: str = "127.0.0.1", shutdown_timeout: float = 2.0
    ) -> None:
        self._app = app
        self._host = host
        # Short graceful shutdown: a "slow" fault may still be sleeping when a test ends.
        self._shutdown_timeout = shutdown_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``; only valid after ``start``."""
        if self._url is None:
            raise RuntimeError("server not started")
        return self._url

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the server runs on."""
        if self._loop is None:
            raise RuntimeError("server not started")
        return self._loop

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; block until the socket listens and return the base URL."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._main, name="fake-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("server did not start in time")
        if self._error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise RuntimeError("server failed to start") from self._error
        return self.url

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the server's loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the site down, stop the loop and join the thread. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if self._runner is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(
                timeout + self._shutdown_timeout
            )
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None
        self._runner = None
        self._url = None

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # reported to start() in the calling thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._cancel_leftovers(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _listen(self) -> None:
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        site = web.TCPSite(runner, self._host, 0)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        self._url = f"http://{self._host}:{port}"

    @staticmethod
    def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
        # Tasks started through run() (e.g. a bot's background workers) must not outlive the loop.
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


@contextmanager
def serving(fake: F) -> Iterator[F]:
    """Serve a fake on loopback for the duration of the block, bound to its URL."""
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield fake
