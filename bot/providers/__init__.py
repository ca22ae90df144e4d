"""Providers: the outside systems a Slack thread can be linked to, behind one interface.

Holds the interface (base.py), what a plug-in declares (plugin.py), the one list of plug-ins (registry.py),
the one status-to-error mapping (errors.py), and one package per provider. May import: bot.errors, bot.http,
bot.text (formats), bot.budget.bucket (pure). Never the bridge core, the Slack side, the store or handlers/.
"""

from bot.providers.base import (
    Provider,
    ProviderMessage,
    RequestInfo,
    SlackContext,
    SupportsDelete,
    SupportsUpdate,
)

__all__ = ["Provider", "ProviderMessage", "RequestInfo", "SlackContext", "SupportsDelete", "SupportsUpdate"]
