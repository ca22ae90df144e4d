"""GET /metrics (Prometheus text) and GET /readyz on the running bot, against the loopback fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import RateLimited, Unavailable
from bot.metrics import reason_of
from bot.models import Link
from bot.ops.gauges import budget_figures, poll_lag
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts


def scrape(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by (name, sorted labels)."""
    response = bot.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


RELAYED = "request_bridge_messages_relayed_total"
PROVIDER = "cloudforce-one"


def test_counters_move_when_messages_are_relayed_each_way(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    before = scrape(bot)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="hello"),
                   event_id="Ev1")
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    cf.add_message(request_id, content="analyst answer")
    bot.poll()
    assert "analyst answer" in thread_texts(slack, thread)[-1]
    after = scrape(bot)
    to_provider = dict(direction="to_provider", provider=PROVIDER, kind="created")
    to_slack = dict(direction="to_slack", provider=PROVIDER, kind="created")
    assert value(after, RELAYED, **to_provider) == value(before, RELAYED, **to_provider) + 1
    assert value(after, RELAYED, **to_slack) == value(before, RELAYED, **to_slack) + 1
    assert ("request_bridge_poll_lag_seconds", (("provider", PROVIDER),)) in after
    assert value(after, "request_bridge_inbox_backlog", provider=PROVIDER) == 0
    if getattr(bot.service, "budget", None) is not None:  # bot/budget/ledger.py: every provider call spends from it
        assert value(after, "request_bridge_api_budget_used", provider=PROVIDER) > 0
        assert value(after, "request_bridge_api_budget_limit", provider=PROVIDER) > 0


def test_failures_are_counted_by_reason(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    # A 5xx answer to a create leaves its outcome unknown: an ambiguous write, retried after a read-back.
    failures = dict(direction="to_provider", provider=PROVIDER, reason="ambiguous_write")
    before = value(scrape(bot), "request_bridge_failures_total", **failures)
    cf.fail_next("create_message", "503")
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="hello"),
                   event_id="Ev1")
    wait_for(lambda: bot.drain() or created_contents(cf, request_id), what="the create, after a 503")
    assert value(scrape(bot), "request_bridge_failures_total", **failures) == before + 1


def test_backlog_is_read_from_the_inbox_at_scrape(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    link = bot.run(bot.service.store.links.for_thread(CHANNEL, thread))
    assert link is not None
    bot.service.inbox.hold([link.id])  # as during catch-up: stored, not applied
    for n in range(3):
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=f"1800000000.00010{n}", text=f"m{n}"),
                       event_id=f"Ev{n}")
    assert value(scrape(bot), "request_bridge_inbox_backlog", provider=PROVIDER) == 3
    bot.service.inbox.release(link)
    bot.drain()
    assert len(created_contents(cf, request_id)) == 3
    assert value(scrape(bot), "request_bridge_inbox_backlog", provider=PROVIDER) == 0


@pytest.fixture
def slack_server() -> Iterator[tuple[FakeSlack, ServerThread]]:
    fake = FakeSlack()
    server = ServerThread(fake.app)
    fake.bind(server.start())
    yield fake, server
    server.stop()


def test_readyz_is_503_naming_slack_when_slack_is_down(
        slack_server: tuple[FakeSlack, ServerThread], cf: FakeCloudforceOne, db_path: Path) -> None:
    fake, server = slack_server
    bot = RunningBot(bot_settings(slack_url=fake.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path))
    try:
        ready = bot.http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "database": True, "slack": True}
        checks = len(fake.calls_to("auth.test"))
        assert bot.http.get("/readyz").status_code == 200
        assert len(fake.calls_to("auth.test")) == checks, "Slack's answer is cached between probes"
        server.stop()
        down = wait_for(lambda: (r := bot.http.get("/readyz")).status_code == 503 and r, timeout=15,
                        what="/readyz to notice Slack is gone")
        body = down.json()
        assert body["slack"] is False and body["database"] is True
        assert any(p.startswith("slack: auth.test") for p in body["problems"]), body
        assert bot.http.get("/healthz").status_code == 200, "liveness does not depend on Slack"
    finally:
        bot.stop()


def test_failure_reasons_and_poll_lag_are_plain_functions() -> None:
    assert reason_of(RateLimited("x", retry_after=1)) == "rate_limited"
    assert reason_of(Unavailable("x")) == "unavailable"
    assert reason_of(ValueError("x")) == "unexpected"

    def link(provider: str, polled: float | None, created: float) -> Link:
        return Link(id=1, provider=provider, request_id="r", channel_id="C", thread_ts="1.0", state="active",
                    title=None, request_status=None, created_by="U", created_at=created, poll_cursor=None,
                    polls=0, last_polled_at=polled)

    lag = poll_lag([link("a", 90.0, 0.0), link("a", 70.0, 0.0), link("b", None, 95.0)], now=100.0, interval=10)
    assert lag == {"a": 20.0, "b": 0.0}
    used, limit, budget_lag = budget_figures({"a": {"used": 12, "limit": 1200, "poll_lag_seconds": 3.5},
                                              "b": {"used": 1}})
    assert used == {"a": 12.0, "b": 1.0} and limit == {"a": 1200.0} and budget_lag == {"a": 3.5}
