"""The provider interface. The Slack side only ever talks to these protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.text.formats import TextFormat


@dataclass(frozen=True)
class RequestInfo:
    """What the bridge shows about a request."""

    id: str
    title: str | None = None
    status: str | None = None
    readable_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ProviderMessage:
    """One message of a request conversation, in provider-neutral form."""

    id: str  # stable across polls; synthesised by the provider module when the API gives none
    author: str
    content: str
    created: str | None
    updated: str | None
    # How the author is presented in Slack besides the name, e.g. "Huawei engineer", "approver", "AI".
    role: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SlackContext:
    """Where a bridged Slack message came from; providers that keep metadata store it with the message."""

    channel: str
    user: str | None
    permalink: str | None = None


@runtime_checkable
class Provider(Protocol):
    """Create and list messages of a request. Every provider can do this much."""

    name: str  # as typed in `/request link <name> <id>`
    display_name: str  # as shown to people
    # Longest message content the provider accepts; a longer Slack reply is sent as numbered parts.
    max_content_length: int | None
    # Whether create_message stores the Slack context: only then is the message's permalink looked up.
    keeps_slack_context: bool
    # The format of message content (bot/text/formats.py): Slack markup is converted to it and back.
    text_format: TextFormat

    def validate_request_id(self, raw: str) -> str:
        """The canonical id, or InvalidInput before any outbound call."""
        ...

    async def get_request(self, request_id: str) -> RequestInfo: ...

    async def create_message(self, request_id: str, content: str, *,
                             context: SlackContext | None = None) -> ProviderMessage | None:
        """Create a message. None: created, but the API does not say under which id (the next poll finds
        it by its content). Raises AmbiguousWrite when the outcome is unknown."""
        ...

    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]:
        """Messages oldest first; with `after` (a cursor from `cursor_of`), at least those newer than it."""
        ...

    def cursor_of(self, message: ProviderMessage) -> str | None:
        """The poll cursor that message advances to: an ISO 8601 time (the poller keeps the later one)."""
        ...

    async def probe(self) -> str:
        """One cheap authenticated read (`request-bridge doctor`): what answered, or a ProviderError."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SupportsUpdate(Protocol):
    async def update_message(self, request_id: str, message_id: str, content: str) -> ProviderMessage: ...


@runtime_checkable
class SupportsDelete(Protocol):
    async def delete_message(self, request_id: str, message_id: str) -> None: ...


@runtime_checkable
class SupportsBatchPoll(Protocol):
    """Providers that tell in one call which of many requests have new messages (the poller then reads
    only those, and the rest at the slowest pace, to reconcile)."""

    async def changed_requests(self, request_ids: Sequence[str]) -> set[str]: ...


@runtime_checkable
class SupportsLearning(Protocol):
    """Providers that learn from answers what no document settles (e.g. where pages start); the bridge
    keeps what they learned in the store (bot/store/facts.py), so a restart does not learn it again."""

    def learned(self) -> dict[str, str]:
        """What was learned so far, as names and values."""
        ...

    def recall(self, facts: Mapping[str, str]) -> None:
        """Start from what an earlier run learned."""
        ...


@dataclass(frozen=True)
class Finding:
    """One assumption about the real account, as `request-bridge doctor --live` found it."""

    ok: bool
    what: str
    detail: str
    fix: str = ""  # what to set, or what the bridge does about it, when the assumption does not hold


@runtime_checkable
class SupportsLiveCheck(Protocol):
    """Providers that check, on the real account, what the bridge assumes about their API."""

    async def check_assumptions(self, request_id: str, *, write_test: bool) -> list[Finding]:
        """Read-only (a few calls) unless `write_test`: then one marked message is created, and deleted
        where the provider allows it."""
        ...


@dataclass(frozen=True)
class RequestChange:
    """A request as a provider's change list shows it: its id and when it last changed (the provider's clock)."""

    request_id: str
    updated: str  # RFC 3339


@runtime_checkable
class SupportsChangeList(Protocol):
    """Providers that list their requests by last change, newest first. A cheap hint of which conversations
    moved (bot/bridge/hints.py); polls still guarantee that nothing is missed when it says nothing."""

    change_page_size: int

    async def recently_changed(self, *, page: int) -> list[RequestChange]:
        """Page `page` (from 1) of the requests, most recently changed first."""
        ...


@dataclass(frozen=True)
class NewRequest:
    """What a person fills in to open a request; None leaves the choice to the provider's default."""

    summary: str
    content: str
    priority: str | None = None
    request_type: str | None = None
    tlp: str | None = None


@dataclass(frozen=True)
class RequestOptions:
    """The choices a new request offers, as the provider lists them (empty: the provider lists none)."""

    request_types: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    tlps: tuple[str, ...] = ()


@runtime_checkable
class SupportsCreateRequest(Protocol):
    """Providers on which the bridge can open a request (`/request new`)."""

    async def request_options(self) -> RequestOptions: ...

    async def create_request(self, new: NewRequest) -> RequestInfo:
        """Create the request. Raises AmbiguousWrite when the outcome is unknown."""
        ...
