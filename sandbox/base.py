"""What every loopback fake shares: its aiohttp app, and the URL it was bound to once started."""

from __future__ import annotations

import copy
import threading
from typing import Any

from aiohttp import web


class LoopbackFake:
    """Subclasses set `self._app` in `__init__`; `BASE_PATH` is what clients append to the server URL."""

    BASE_PATH = ""
    _app: web.Application
    _base_url: str | None = None

    @property
    def app(self) -> web.Application:
        return self._app

    def bind(self, url: str) -> None:
        """Remember where the server listens (as returned by ``ServerThread.start``)."""
        self._base_url = url.rstrip("/")

    def _bound(self) -> str:
        if self._base_url is None:
            raise RuntimeError("call bind(url) first")
        return self._base_url

    @property
    def base_url(self) -> str:
        """The base URL clients are configured with."""
        return self._bound() + self.BASE_PATH


class CallLog:
    """Mixed into a provider fake: the HTTP calls it received, for tests to look at."""

    _lock: threading.Lock
    _calls: list[dict[str, Any]]

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every HTTP call received: method, path, query, json, body, headers, injected (fault kind or None)."""
        with self._lock:
            return copy.deepcopy(self._calls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()
