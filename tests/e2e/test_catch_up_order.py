"""Catch-up never holds a live reply for long: after a restart with 1,000 linked threads read back at the
default pace (SLACK_REPLIES_PER_MINUTE=40, so 25 minutes for all of them), a new reply in any thread
reaches the provider within seconds, after what was written in that thread while the bot was down.
Prints the figure."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request

LINKS = 1000
# The requirement: a live reply reaches the provider within this long, whichever thread it is in.
WITHIN_SECONDS = 10.0


async def _link_all(bot: RunningBot, pairs: list[tuple[str, str]]) -> None:
    store = bot.service.store
    for request_id, thread_ts in pairs:
        link = await store.links.create(provider="cloudforce-one", request_id=request_id, channel_id=CHANNEL,
                                       created_by="U111", title=None, request_status="open")
        await store.links.activate(link.id, thread_ts)


def test_after_a_restart_with_a_thousand_threads_a_live_reply_waits_for_one_read_only(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    assert bot.settings.slack_replies_per_minute == 40  # the default pace
    pairs = [(cf.add_request(summary=f"request {n}"),
              slack.post_user_message(CHANNEL, f"request {n}", user="U111")) for n in range(LINKS)]
    bot.run(_link_all(bot, pairs), timeout=300)
    bot.stop()
    now = time.time()
    with sqlite3.connect(db_path) as db:  # polled a moment ago; the first links the most recently active
        db.execute("UPDATE links SET last_polled_at = ?, poll_cursor = '2026-01-01T00:00:00Z', "
                   "last_activity_at = ? - id * 60", (now, now))
    # While the bot is down, someone writes in a thread that is among the last to be read back.
    late = LINKS - 300
    slack.post_user_message(CHANNEL, "written while down", user="U111", thread_ts=pairs[late][1])

    bot = RunningBot(bot.settings, started=True)  # catch-up starts reading all 1,000 threads
    latencies: dict[int, float] = {}
    try:
        for n in (LINKS - 1, late, LINKS // 2, 0, LINKS - 1):
            request_id, thread = pairs[n]
            text = f"live {len(latencies)} in thread {n}"
            ts = slack.post_user_message(CHANNEL, text, user="U111", thread_ts=thread)
            sent = time.monotonic()
            assert bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text=text),
                                  event_id=f"Ev{len(latencies)}-{n}").status_code == 200
            wait_for(lambda rid=request_id, t=text: any(t in c for c in created_contents(cf, rid)), timeout=60,
                     interval=0.05, what=f"the live reply in thread {n}")
            latencies[len(latencies)] = time.monotonic() - sent
        in_order = created_contents(cf, pairs[late][0]) == ["Alice (via Slack): written while down",
                                                            "Alice (via Slack): live 1 in thread 700"]
        read = len(slack.calls_to("conversations.replies"))
    finally:
        bot.stop()
    line = (f"links={LINKS} replies_per_minute=40 live_reply_latency max={max(latencies.values()):.1f}s "
            f"each={','.join(f'{s:.1f}' for s in latencies.values())}s threads_read={read} in_order={in_order}")
    print("\n" + line)
    assert in_order
    assert max(latencies.values()) <= WITHIN_SECONDS, line


def test_the_sweep_reads_back_recently_active_threads_only(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    recent_request, recent = link_request(bot, slack, cf)
    quiet_request, quiet = link_request(bot, slack, cf)
    with sqlite3.connect(db_path) as db:  # the second one last moved two hours ago
        db.execute("UPDATE links SET last_activity_at = ? WHERE request_id = ?", (time.time() - 7200, quiet_request))
    # Events Slack gave up on without the bot ever seeing them (it was running all along).
    slack.post_user_message(CHANNEL, "never delivered", user="U111", thread_ts=recent)
    slack.post_user_message(CHANNEL, "never delivered either", user="U111", thread_ts=quiet)
    slack.clear_calls()

    assert bot.run(bot.service.catch_up.sweep()) == 1
    wait_for(lambda: bot.drain() is not None and created_contents(cf, recent_request), what="the sweep's find")
    assert created_contents(cf, recent_request) == ["Alice (via Slack): never delivered"]
    assert [c["ts"] for c in slack.calls_to("conversations.replies")] == [recent]
    assert created_contents(cf, quiet_request) == []
