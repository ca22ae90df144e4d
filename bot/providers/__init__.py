"""Providers: the outside systems a Slack thread can be linked to, behind one interface."""

from bot.providers.base import (
    Provider,
    ProviderMessage,
    RequestInfo,
    SlackContext,
    SupportsDelete,
    SupportsUpdate,
)

__all__ = ["Provider", "ProviderMessage", "RequestInfo", "SlackContext", "SupportsDelete", "SupportsUpdate"]
