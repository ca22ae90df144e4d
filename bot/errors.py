"""The one exception tree of the bridge.

    BridgeError
    ├── ConfigError            a setting is missing or malformed (start-up stops with one line)
    ├── InvalidInput           the person typed something we refuse before any outbound call
    ├── AlreadyLinked          the store refused a second live link of a request or a thread
    └── ProviderError          the provider refused or could not be reached
        ├── RateLimited        429; carries retry_after seconds             (transient)
        ├── Unavailable        5xx, timeout, connection reset, garbled body  (transient)
        │   └── AmbiguousWrite a create may or may not have been applied     (transient, reconcile first)
        ├── NotFound           the request or message does not exist         (permanent)
        ├── PermissionDenied   credentials lack access                       (permanent)
        └── Rejected           any other 4xx: the provider said no           (permanent)

Transient errors are retried later and never dropped; permanent ones are reported once to the person
whose action caused them. `user_message()` is the short text that person sees.
"""

from __future__ import annotations

from bot.models import Link


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""

    def user_message(self) -> str:
        return str(self)


class ConfigError(BridgeError):
    """A setting is missing or malformed."""


class InvalidInput(BridgeError):
    """Input refused before any outbound call (malformed id, unknown sub-command, ...)."""


class AlreadyLinked(BridgeError):
    """The database refused a link: the request (or the thread) already has a live one, `existing`.

    `existing` is None when that link went away between the refusal and the read that looks for it."""

    def __init__(self, existing: Link | None, *, thread: bool = False) -> None:
        super().__init__("already linked")
        self.existing = existing
        self.thread = thread  # True: it is the thread that is taken, by another request


class ProviderError(BridgeError):
    """The provider refused a call or could not be reached."""

    transient = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status

    def user_message(self) -> str:
        where = f"{self.provider}: " if self.provider else ""
        return f"{where}{self}"


class RateLimited(ProviderError):
    transient = True

    def __init__(self, message: str, *, retry_after: float, provider: str = "", status: int | None = 429):
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    transient = True


class AmbiguousWrite(Unavailable):
    """A write whose outcome is unknown: check the provider before trying it again."""


class NotFound(ProviderError):
    pass


class PermissionDenied(ProviderError):
    pass


class Rejected(ProviderError):
    pass
