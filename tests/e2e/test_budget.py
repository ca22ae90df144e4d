"""The request budget and adaptive polling against a Cloudforce One fake that enforces Cloudflare's rate limit
(calls per window, 429 + Retry-After + Ratelimit headers, every call blocked after going over)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import metrics
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.databases import ADMIN_URL, postgres_database
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts


@pytest.fixture
def make_bot(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[Any]:
    bots: list[RunningBot] = []

    def make(**overrides: Any) -> RunningBot:
        bots.append(RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                            cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path,
                                            **overrides)))
        return bots[-1]

    yield make
    for bot in bots:
        bot.stop()


async def _start(bot: RunningBot) -> None:
    bot.service.start_background()


def _busiest_window(times: list[float], seconds: float) -> int:
    """The most calls in any `seconds`-long stretch."""
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times)), default=0)


def test_many_links_on_a_tight_budget_never_get_a_429(make_bot: Any, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    limit = cf.set_rate_limit(requests=20, window=2, block=2)
    # Eight busy links polled every 0.1 s would be 80 calls a second; the budget allows 8.
    bot = make_bot(poll_interval_seconds=0.1, cloudflare_request_budget="16/2")
    links = [link_request(bot, slack, cf) for _ in range(8)]
    bot.run(_start(bot))
    for n, (request_id, _) in enumerate(links):
        cf.add_message(request_id, content=f"analyst {n}")
    for n, (_, thread) in enumerate(links):
        wait_for(lambda thread=thread: thread_texts(slack, thread), timeout=30, what=f"link {n}'s message")
        assert thread_texts(slack, thread)[-1].endswith(f"analyst {n}")
    # Several windows' worth of calls at the limit's pace, and not one refused.
    wait_for(lambda: limit.admitted >= 70, timeout=30, what="several windows of polling")
    assert limit.throttled == 0
    # The bucket's own bound, tighter than the fake's 20: one token of burst plus 2 s of refill.
    assert _busiest_window(limit.admitted_at, 2) <= 17
    figures = bot.service.budget.snapshot()["cloudforce-one"]
    assert figures["limit"] == 16 and figures["throttled"] == 0


def test_a_429_pauses_every_call_for_its_retry_after_and_slack_replies_wait_their_turn(
        make_bot: Any, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    limit = cf.set_rate_limit(requests=1000, window=60, block=3)
    bot = make_bot(poll_interval_seconds=0.1)
    request_id, thread = link_request(bot, slack, cf)
    bot.run(_start(bot))
    wait_for(lambda: limit.admitted >= 10, what="the scheduler polling")

    limit.block_now(3)  # the same Cloudflare user went over elsewhere (the dashboard): blocked for 3 s
    for n in range(3):
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=f"1800000000.00010{n}", text=f"reply {n}"),
                       event_id=f"EvB{n}")
    cf.add_message(request_id, content="written during the block")

    wait_for(lambda: len(created_contents(cf, request_id)) >= 4, timeout=30, what="the replies")
    assert [c.rsplit(": ", 1)[-1] for c in created_contents(cf, request_id)[1:]] == ["reply 0", "reply 1", "reply 2"]
    wait_for(lambda: any(t.endswith("written during the block") for t in thread_texts(slack, thread)),
             timeout=30, what="the analyst's message after the block")
    # Only calls already under way met the block: the first 429 paused everything until Retry-After (read on
    # the fake's own clock: no allowance for how fast this machine happens to be).
    assert 1 <= limit.throttled <= 2
    assert all(t < min(limit.refused_at) or t >= limit.blocked_until for t in limit.admitted_at)
    link = bot.run(bot.service.store.links.for_thread(CHANNEL, thread))
    assert link is not None and link.last_slack_reply_at is not None  # the replies made the link busy
    assert bot.service.budget.snapshot()["cloudforce-one"]["throttled"] >= 1


def test_the_tick_polls_only_links_that_are_due(make_bot: Any, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    bot = make_bot(poll_interval_seconds=60)
    request_id, _ = link_request(bot, slack, cf)  # linking polled it (the back-fill) a moment ago
    cf.clear_calls()
    assert bot.tick() == []
    assert [c for c in cf.calls if request_id in c["path"]] == []  # only the change list was read
    assert list(bot.poll()) == [1]  # a forced sweep still polls every link


@pytest.mark.skipif(not ADMIN_URL, reason="needs TEST_DATABASE_URL (CI sets it)")
def test_two_replicas_spend_from_one_budget(slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    limit = cf.set_rate_limit(requests=20, window=2, block=2)
    with postgres_database() as url:
        settings = bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                cf_url=cf.base_url.removesuffix("/client/v4"), database_url=url,
                                poll_interval_seconds=0.1, cloudflare_request_budget="16/2", replica_id="replica-1")
        one = RunningBot(settings)
        two = RunningBot(settings.model_copy(update={"replica_id": "replica-2"}))
        try:
            # Each replica links (and so holds and polls) half the requests.
            links = [link_request(bot, slack, cf) for bot in (one, two, one, two, one, two)]
            one.run(_start(one))
            two.run(_start(two))
            for n, (request_id, _) in enumerate(links):
                cf.add_message(request_id, content=f"analyst {n}")
            for n, (_, thread) in enumerate(links):
                wait_for(lambda thread=thread: thread_texts(slack, thread), timeout=30, what=f"link {n}'s message")
            wait_for(lambda: limit.admitted >= 70, timeout=30, what="several windows of polling")
            assert limit.throttled == 0
            # Both replicas together within one bucket's bound: one token of burst plus 2 s of refill.
            assert _busiest_window(limit.admitted_at, 2) <= 17
            owners = {link.lease_owner for link in one.run(one.service.store.links.active())}
            assert owners == {"replica-1", "replica-2"}
        finally:
            two.stop()
            one.stop()


# A change list read on every tick (1e-9 s apart), or never.
@pytest.mark.parametrize("hints, touched", [(1e-9, True), (0.0, True), (1e-9, False)])
def test_a_change_list_brings_a_quiet_links_poll_forward_and_never_replaces_it(
        make_bot: Any, slack: FakeSlack, cf: FakeCloudforceOne, hints: float, touched: bool) -> None:
    cf.messages_touch_request = touched  # whether the provider's `updated` follows its conversations
    bot = make_bot(poll_interval_seconds=60, change_hint_seconds=hints)
    request_id, thread = link_request(bot, slack, cf)
    assert bot.tick() == []  # not due (the back-fill just polled it); the list read
    cf.add_message(request_id, author="ana@cloudflare.com", content="an answer")
    found = {"provider": "cloudforce-one", "cause": "hint", "found": "yes"}
    before = metrics.REGISTRY.get_sample_value("request_bridge_polls_total", found) or 0.0
    started = bot.tick()
    hinted = hints > 0 and touched
    assert started == ([1] if hinted else [])
    assert (metrics.REGISTRY.get_sample_value("request_bridge_polls_total", found) or 0.0) == before + hinted
    assert any(t.endswith("an answer") for t in thread_texts(slack, thread)) == hinted
    bot.poll()  # the polls' own schedule still brings it, hint or not
    assert thread_texts(slack, thread)[-1].endswith("an answer")


def test_a_backfilled_conversation_is_as_quiet_as_its_messages_not_busy_because_it_was_just_linked(
        make_bot: Any, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    bot = make_bot()
    request_id = cf.add_request(created=datetime.now(UTC) - timedelta(days=20))
    answered = datetime.now(UTC) - timedelta(days=19)
    cf.add_message(request_id, content="an old answer", created=answered)
    bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, what="the link command's answer")
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.last_activity_at == pytest.approx(answered.timestamp())
