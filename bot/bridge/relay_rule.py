"""RELAY_FROM, applied where a linked thread's replies and edits are about to go to the provider.

Checked when an event is applied rather than on Slack's ack path, so a user-group lookup never delays an
ack. A message sent with "Send to request" was checked against its sender when it was accepted (the person
who used the shortcut speaks for it, whoever wrote it): its event is not checked again here. The person
refused is told why once per thread (per process: after a restart, once more).
"""

from __future__ import annotations

import logging

from bot.bridge.access import Access
from bot.models import EventKind, Link, SlackEvent
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)
# Dedup keys of messages sent with "Send to request" (bot/bridge/forwarding.py) begin with this.
FORWARD_PREFIX = "forward:"


class RelayRule:
    def __init__(self, *, access: Access, slack: SlackGateway) -> None:
        self._access = access
        self._slack = slack
        self._told: set[tuple[int, str]] = set()

    async def refused(self, event: SlackEvent, link: Link) -> bool:
        """True when the event must not reach the provider; its author has been told (once per thread)."""
        if event.kind not in (EventKind.REPLY, EventKind.EDIT) or event.dedup_key.startswith(FORWARD_PREFIX):
            return False
        reason = await self._access.may_relay(user=event.user_id)
        if reason is None:
            return False
        log.info("not relayed: RELAY_FROM", extra={"link_id": link.id, "kind": event.kind, "user": event.user_id})
        if event.user_id and (link.id, event.user_id) not in self._told:
            self._told.add((link.id, event.user_id))
            await self._slack.ephemeral(channel=link.channel_id, user=event.user_id, thread_ts=link.thread_ts,
                                        text=f":no_entry: Your messages here are not sent to request "
                                             f"`{link.request_id}`. {reason}")
        return True
