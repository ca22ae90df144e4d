"""Hints from providers that tell in one call which of many requests have new messages (SupportsBatchPoll,
e.g. Huawei's ListNewInstantMessages): the poller reads those requests at once and the rest only at the
staleness bound, to reconcile, instead of polling every request on its own pace.

A provider is asked at most once per `every` seconds; a request stays hinted until a poll of it succeeds.
When the batch call fails, the tick falls back to polling request by request; when it is refused for good
(not found, rejected, denied: an account or region without the API), hints stop for that provider.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from bot.budget.ledger import polling
from bot.errors import BridgeError, ProviderError
from bot.providers.base import Provider, SupportsBatchPoll

log = logging.getLogger(__name__)


class BatchHints:
    def __init__(self, *, every: float) -> None:
        self._every = every
        self._asked: dict[str, float] = {}
        self._hinted: dict[str, set[str]] = {}
        self._refused: set[str] = set()

    async def hinted(self, name: str, provider: Provider, request_ids: Sequence[str], *, now: float) -> set[str] | None:
        """The requests with news, or None: this provider gives no hints (or the batch call just failed)."""
        if not isinstance(provider, SupportsBatchPoll) or name in self._refused:
            return None
        if now - self._asked.get(name, -math.inf) >= self._every:
            self._asked[name] = now
            try:
                with polling():
                    changed = await provider.changed_requests(request_ids)
            except BridgeError as exc:  # the budget running short included
                if isinstance(exc, ProviderError) and not exc.transient:
                    self._refused.add(name)
                    log.warning("batch poll refused: polling request by request from now on",
                                extra={"provider": name, "error": str(exc)})
                else:
                    log.warning("batch poll failed; polling request by request", extra={"provider": name,
                                                                                       "error": str(exc)})
                return None
            self._hinted.setdefault(name, set()).update(changed)
        return self._hinted.get(name, set()) & set(request_ids)

    def polled(self, name: str, request_id: str) -> None:
        """A poll of the request succeeded: its hint is spent."""
        self._hinted.get(name, set()).discard(request_id)
