"""The composition root: builds every part of the bridge from settings and wires them together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bridge.access import Access
from bot.bridge.ack_priority import AckPriority
from bot.bridge.catch_up import CatchUp, CatchUpResult
from bot.bridge.forwarding import Forwarder
from bot.bridge.home_tab import HomeTab
from bot.bridge.inbox import Inbox
from bot.bridge.leases import Leases, replica_id
from bot.bridge.linking import Linker
from bot.bridge.locks import LinkLocks
from bot.bridge.new_request import RequestCreator
from bot.bridge.notifications import Notifications
from bot.bridge.outage import Outage
from bot.bridge.outbound import Outbound
from bot.bridge.poller import Poller
from bot.bridge.recovery import Recovery
from bot.bridge.relay_rule import RelayRule
from bot.bridge.shortcuts import Shortcuts
from bot.budget.ledger import Budget
from bot.errors import BridgeError, ConfigError, Rejected
from bot.logs import Redactor
from bot.providers import registry
from bot.providers.base import Provider
from bot.providers.plugin import BuildContext
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, build_web_client
from bot.store.database import Store
from bot.store.startup import open_store

log = logging.getLogger(__name__)


def build_providers(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                    budget: Budget | None = None) -> dict[str, Provider]:
    """Every configured provider, by the name people type; with a budget, every call spends from it."""
    def spending(name: str) -> httpx.AsyncBaseTransport | None:
        return budget.transport(name, transport) if budget is not None else transport

    providers: dict[str, Provider] = {}
    for plugin in registry.plugins():
        own = settings.provider_settings.get(plugin.name)
        context = BuildContext(timeout=settings.http_timeout_seconds, transport=spending(plugin.name))
        provider = plugin.build(own, context) if own is not None else None
        if provider is not None:
            providers[provider.name] = provider
    return providers


@dataclass
class Service:
    settings: Settings
    store: Store
    providers: Mapping[str, Provider]
    slack: SlackGateway
    locks: LinkLocks
    outbound: Outbound
    inbox: Inbox
    poller: Poller
    linker: Linker
    catch_up: CatchUp
    leases: Leases
    budget: Budget
    bot_user_id: str
    bot_id: str
    scheduler: AsyncIOScheduler | None = field(default=None)
    acks: AckPriority = field(default_factory=AckPriority)
    recovery: Recovery = field(init=False)
    catching_up: asyncio.Task[CatchUpResult] | None = field(default=None, init=False)
    notifications: Notifications = field(init=False)
    shortcuts: Shortcuts = field(init=False)
    requests: RequestCreator = field(init=False)
    home: HomeTab = field(init=False)

    def __post_init__(self) -> None:
        # Built from the parts above, here rather than in create(), so tests and tools that build a
        # Service get them too.
        self.notifications = Notifications(store=self.store, linker=self.linker, slack=self.slack)
        forwarder = Forwarder(store=self.store, providers=self.providers, slack=self.slack, inbox=self.inbox,
                              access=Access(settings=self.settings, slack=self.slack))
        self.requests = RequestCreator(store=self.store, providers=self.providers, slack=self.slack,
                                       linker=self.linker, access=Access(settings=self.settings, slack=self.slack))
        self.home = HomeTab(store=self.store, providers=self.providers, slack=self.slack)
        self.shortcuts = Shortcuts(providers=self.providers, slack=self.slack, linker=self.linker,
                                   forwarder=forwarder)
        self.recovery = Recovery(store=self.store, leases=self.leases, outage=self.inbox.outage,
                                 catch_up=self.catch_up)

    @classmethod
    async def create(cls, settings: Settings) -> Service:
        """Check the Slack token and the providers' settings, open the store (migrating it), build the parts."""
        # Everything that can be checked without writing is checked first: a start that fails on the Slack
        # token or a provider's settings leaves no database (file) behind.
        assert settings.slack_bot_token is not None
        slack = SlackGateway(build_web_client(token=settings.slack_bot_token.get_secret_value(),
                                              base_url=settings.slack_api_url, timeout=settings.http_timeout_seconds),
                             replies_per_minute=settings.slack_replies_per_minute,
                             redactor=Redactor(settings.secrets()))
        try:
            identity = await slack.auth_test()
        except Rejected as exc:
            raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack ({exc})") from None
        except BridgeError as exc:
            raise ConfigError(f"cannot reach Slack at SLACK_API_URL={settings.slack_api_url} ({exc})") from None
        for checked in build_providers(settings).values():  # raises ConfigError on a provider's bad settings
            await checked.aclose()
        store = await open_store(settings.sqlalchemy_url)
        pauses = {p.name: p.default_pause_seconds for p in registry.plugins() if p.default_pause_seconds}
        budget = Budget(store=store, limits=settings.request_budgets(), pauses=pauses)
        providers = build_providers(settings, budget=budget)
        await budget.start(providers)
        locks = LinkLocks()
        leases = Leases(store=store, owner=replica_id(configured=settings.replica_id, port=settings.port),
                        seconds=settings.lease_seconds, heartbeat=settings.heartbeat_seconds)
        await leases.start()
        access = Access(settings=settings, slack=slack)
        outbound = Outbound(store=store, providers=providers, slack=slack, edit_follow_up=settings.edit_follow_up,
                            relay=RelayRule(access=access, slack=slack))
        poller = Poller(store=store, providers=providers, slack=slack, locks=locks, settings=settings, leases=leases,
                        budget=budget)
        acks = AckPriority()
        inbox = Inbox(store=store, outbound=outbound, locks=locks, settings=settings, leases=leases, acks=acks,
                      outage=Outage())
        # A sweep spends at most a quarter of the conversations.replies budget of its period.
        sweep_reads = max(1, int(settings.slack_replies_per_minute * settings.catch_up_sweep_seconds / 60 / 4))
        catch_up = CatchUp(store=store, slack=slack, inbox=inbox, sweep_reads=sweep_reads,
                           recent_seconds=settings.catch_up_recent_seconds)
        return cls(
            settings=settings, store=store, providers=providers, slack=slack, locks=locks, outbound=outbound,
            inbox=inbox, poller=poller, catch_up=catch_up,
            linker=Linker(store=store, providers=providers, slack=slack, poller=poller, locks=locks,
                          access=access, leases=leases),
            leases=leases, budget=budget, acks=acks,
            bot_user_id=str(identity.get("user_id", "")), bot_id=str(identity.get("bot_id", "")),
        )

    def start_background(self) -> None:
        """Start the clock: the heartbeat, the poller's tick (it polls the links that are due), retries of
        deferred Slack events, the sweep of recently active threads. While the database is down only the
        heartbeat runs (bot/bridge/recovery.py)."""
        scheduler = AsyncIOScheduler()
        guard = self.recovery.guard
        scheduler.add_job(self.recovery.heartbeat, "interval", seconds=self.settings.heartbeat_seconds,
                          id="heartbeat", max_instances=1, coalesce=True)
        scheduler.add_job(guard, "interval", args=[self.poller.poll_due],
                          seconds=min(1.0, self.settings.poll_interval_seconds),
                          id="poll", max_instances=1, coalesce=True, next_run_time=datetime.now())
        # Often enough that events stored by another replica reach this link's leaseholder within seconds.
        scheduler.add_job(guard, "interval", args=[self.inbox.tick],
                          seconds=min(self.settings.retry_interval_seconds, 2.0), id="inbox", max_instances=1,
                          coalesce=True, next_run_time=datetime.now())
        if self.settings.catch_up_sweep_seconds:
            scheduler.add_job(guard, "interval", args=[self.catch_up.sweep], id="sweep", max_instances=1,
                              seconds=self.settings.catch_up_sweep_seconds, coalesce=True)
        scheduler.start()
        self.scheduler = scheduler

    async def start(self) -> None:
        """Start working, as `serve` does: every linked thread is read back (its live events waiting for
        that read, which they hurry), events stored before a restart are applied, and the clock starts."""
        await self.catch_up.hold_all()
        self.start_background()
        self.inbox.kick()
        self.catching_up = asyncio.get_running_loop().create_task(self.catch_up.run())

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.catching_up is not None:
            self.catching_up.cancel()
        await self.catch_up.stop()
        await self.shortcuts.background.wait_idle()
        await self.requests.background.wait_idle()
        await self.poller.wait_idle()
        await self.inbox.wait_idle()
        await self.leases.release_all()
        for provider in self.providers.values():
            await provider.aclose()
        await self.store.close()
