"""What every loopback fake shares: its aiohttp app, and the URL it was bound to once started."""

from __future__ import annotations

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
