"""A fourth provider that exists only in the tests: the proof that a provider is a plug-in.

"Ticket Desk" keeps its conversations in memory (it is the system under test's neighbour, not a fake of a
real API). Everything the bridge needs to know about it is here: its settings, how to build it, its help
texts; tests register it with bot.providers.registry.register and nothing else in bot/ changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import SecretStr

from bot.errors import InvalidInput, NotFound
from bot.providers.base import ProviderMessage, RequestInfo, SlackContext
from bot.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings
from bot.text.formats import TextFormat

_ID = re.compile(r"^TD-[0-9]{1,6}$")


class TicketDeskSettings(ProviderSettings):
    BUDGET_FIELD: ClassVar[str] = "ticket_desk_request_budget"
    STARTED_BY: ClassVar[tuple[str, ...]] = ("ticket_desk_token",)

    ticket_desk_token: SecretStr | None = None
    ticket_desk_request_budget: str = "100/10"

    def missing(self) -> list[str]:
        return [] if self.ticket_desk_token else ["TICKET_DESK_TOKEN"]


@dataclass
class Desk:
    """The outside system's state: tickets and their messages."""

    tickets: dict[str, list[ProviderMessage]] = field(default_factory=dict)

    def open(self, ticket_id: str) -> None:
        self.tickets[ticket_id] = []

    def write(self, ticket_id: str, author: str, content: str) -> ProviderMessage:
        number = sum(len(m) for m in self.tickets.values()) + 1
        stamp = datetime.now(UTC).isoformat()  # a cursor is an ISO 8601 time (Provider.cursor_of)
        message = ProviderMessage(id=f"m{number}", author=author, content=content, created=stamp, updated=stamp,
                                  role="agent")
        self.tickets[ticket_id].append(message)
        return message


class TicketDesk:
    name = "ticket-desk"
    display_name = "Ticket Desk"
    max_content_length: int | None = None
    keeps_slack_context = False
    text_format = TextFormat.PLAIN

    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def validate_request_id(self, raw: str) -> str:
        value = raw.strip().upper()
        if not _ID.match(value):
            raise InvalidInput("a Ticket Desk id looks like TD-123")
        return value

    def _messages(self, request_id: str) -> list[ProviderMessage]:
        if request_id not in self._desk.tickets:
            raise NotFound(f"no ticket {request_id}", provider=self.display_name)
        return self._desk.tickets[request_id]

    async def get_request(self, request_id: str) -> RequestInfo:
        self._messages(request_id)
        return RequestInfo(id=request_id, title=f"Ticket {request_id}", status="open")

    async def create_message(self, request_id: str, content: str, *,
                             context: SlackContext | None = None) -> ProviderMessage | None:
        self._messages(request_id)
        return self._desk.write(request_id, "bridge", content)

    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]:
        return [m for m in self._messages(request_id) if after is None or (m.created or "") > after]

    def cursor_of(self, message: ProviderMessage) -> str | None:
        return message.created

    async def probe(self) -> str:
        return "desk open"

    async def aclose(self) -> None:
        return None


def plugin(desk: Desk) -> ProviderPlugin:
    """The plug-in, over a desk the test holds."""

    def build(settings: ProviderSettings, context: BuildContext) -> TicketDesk | None:
        assert isinstance(settings, TicketDeskSettings)
        return TicketDesk(desk) if settings.ticket_desk_token else None

    return ProviderPlugin(
        name=TicketDesk.name, summary="Ticket Desk tickets (tests only)", settings=TicketDeskSettings,
        build=build, env_help="  TICKET_DESK_TOKEN        the Ticket Desk token (tests only)",
        credentials_help="TICKET_DESK_TOKEN", endpoint_setting="TICKET_DESK_TOKEN",
        minimal_settings="TICKET_DESK_TOKEN")
