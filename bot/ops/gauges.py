"""Prometheus gauges read from the store and the budget when `GET /metrics` is scraped, so they are never stale.

Gauges: inbox backlog, poll lag and API budget; the counters they are served with are in bot/metrics.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.metrics import REGISTRY
from bot.models import Link
from bot.service import Service

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Gauges:
    """What a scrape reads from the running bridge."""

    backlog: Mapping[str, int] = field(default_factory=dict)  # pending Slack events, by provider
    poll_lag: Mapping[str, float] = field(default_factory=dict)  # seconds, by provider
    budget_used: Mapping[str, float] = field(default_factory=dict)  # API calls used in the window
    budget_limit: Mapping[str, float] = field(default_factory=dict)


def poll_lag(links: Iterable[Link], *, now: float, interval: float) -> dict[str, float]:
    """Per provider: how far its most overdue active link is behind a poll every `interval` seconds."""
    lag: dict[str, float] = {}
    for link in links:
        behind = now - (link.last_polled_at or link.created_at) - interval
        lag[link.provider] = max(lag.get(link.provider, 0.0), behind, 0.0)
    return lag


def _number(entry: Any, key: str) -> float | None:
    value = entry.get(key) if isinstance(entry, Mapping) else getattr(entry, key, None)
    return float(value) if isinstance(value, int | float) else None


def budget_figures(snapshot: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(used, limit, poll lag) by provider from the budget's snapshot: {provider: {used, limit, poll_lag_seconds}}.

    Entries may be mappings or objects with those attributes; missing figures are left out.
    """
    used: dict[str, float] = {}
    limit: dict[str, float] = {}
    lag: dict[str, float] = {}
    for provider, entry in snapshot.items():
        for key, target in (("used", used), ("limit", limit), ("poll_lag_seconds", lag)):
            value = _number(entry, key)
            if value is not None:
                target[str(provider)] = value
    return used, limit, lag


async def read_gauges(service: Service) -> Gauges:
    """Backlog from the inbox table; poll lag and budget from `service.budget.snapshot()` (bot/budget/ledger.py).

    Without a budget on the service, poll lag is computed from the links' last poll times.
    """
    links = {link.id: link for link in await service.store.links.active()}
    backlog = {name: 0 for name in service.providers}
    for link_id, events in (await service.store.events.pending()).items():
        provider = links[link_id].provider if link_id in links else "unlinked"
        backlog[provider] = backlog.get(provider, 0) + len(events)
    lag = poll_lag(links.values(), now=time.time(), interval=service.settings.poll_interval_seconds)
    used: dict[str, float] = {}
    limit: dict[str, float] = {}
    budget = getattr(service, "budget", None)
    if budget is not None and hasattr(budget, "snapshot"):
        used, limit, budget_lag = budget_figures(budget.snapshot())
        lag |= budget_lag
    return Gauges(backlog=backlog, poll_lag=lag, budget_used=used, budget_limit=limit)


class _Scrape(Collector):
    def __init__(self, gauges: Gauges) -> None:
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        for name, doc, values in (
            ("request_bridge_inbox_backlog", "Slack events stored but not applied yet, by provider",
             self._gauges.backlog),
            ("request_bridge_poll_lag_seconds", "How late the most overdue link's poll is, in seconds",
             self._gauges.poll_lag),
            ("request_bridge_api_budget_used", "Provider API calls used in the current budget window",
             self._gauges.budget_used),
            ("request_bridge_api_budget_limit", "Provider API calls allowed per budget window",
             self._gauges.budget_limit),
        ):
            family = GaugeMetricFamily(name, doc, labels=["provider"])
            for provider, value in sorted(values.items()):
                family.add_metric([provider], value)
            yield family


def render(gauges: Gauges) -> bytes:
    """The Prometheus text exposition of every counter and these gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(gauges))
    return generate_latest(registry)
