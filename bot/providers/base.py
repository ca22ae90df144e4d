"""The provider interface. The Slack side only ever talks to these protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


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
        """The poll cursor that message advances to."""
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
