"""Which messages of a linked thread the bridge carries (pure).

A thread linked by the "Link thread to request" shortcut existed before: what it held up to the link's
announcement (`Link.linked_ts`) stays in Slack, unless someone sends a message on purpose ("Send to
request"), which maps it like any reply.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bot.models import Link


def predates_link(ts: str, link: Link) -> bool:
    """Whether a message of the link's thread was written before the thread was linked."""
    if link.linked_ts is None:
        return False
    try:
        return Decimal(ts) < Decimal(link.linked_ts)
    except InvalidOperation:
        return False
