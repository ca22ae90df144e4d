"""A team links its open requests on day one: hundreds of `/request link` within seconds. Every link is
accepted, queued durably when the provider's budget cannot serve it at once, made as the budget allows
(never a 429), and the person is told how long it should take and when it is done; never "try again in 0s"."""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL

# Cloudflare's 1,200 calls / 5 minutes, and the default budget of 90% of it, both run TIME_SCALE times
# faster so the suite stays short: the same shape, windows of 30 s. bench/link_burst.py runs it unscaled.
TIME_SCALE = float(os.environ.get("LINK_BURST_TIME_SCALE", "10"))
LINKS = int(os.environ.get("LINK_BURST_LINKS", "300"))
QUEUED = re.compile(r"Linking request `[^`]+`, about \d+ (s|min): the Cloudforce One budget is busy")


def _settings(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> object:
    window = 300 / TIME_SCALE
    return bot_settings(slack_url=slack.base_url.removesuffix("/api/"), cf_url=cf.base_url.removesuffix("/client/v4"),
                        db_path=db_path, cloudflare_request_budget=f"1080/{window:g}",
                        poll_interval_seconds=window)  # the links' own polls are not what is measured here


async def _start(bot: RunningBot) -> None:
    bot.service.start_background()


def _active(bot: RunningBot) -> int:
    return len(bot.run(bot.service.store.links.active()))


def test_a_burst_of_links_is_queued_and_every_one_is_made_without_a_429(slack: FakeSlack, cf: FakeCloudforceOne,
                                                                       db_path: Path) -> None:
    window = 300 / TIME_SCALE
    limit = cf.set_rate_limit(requests=1200, window=window, block=window)
    requests = [cf.add_request(summary=f"open request {n}") for n in range(LINKS)]
    bot = RunningBot(_settings(slack, cf, db_path))  # type: ignore[arg-type]
    try:
        bot.run(_start(bot))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as senders:
            acks = list(senders.map(lambda rid: bot.command(f"link {rid}", response_url=slack.response_url(rid)),
                                    requests))
        sent_in = time.monotonic() - started
        assert all(ack.status_code == 200 for ack in acks)
        wait_for(lambda: _active(bot) == LINKS, timeout=60 + 3 * LINKS / (1080 / window), interval=0.5,
                 what="every link to be made")
        took = time.monotonic() - started
        answers = {name: body["text"] for name, body in slack.responses}
        wait_for(lambda: len({r[0] for r in slack.responses}) == LINKS, what="every command's answer")
        answers = {name: body["text"] for name, body in slack.responses}
        queued = [rid for rid in requests if QUEUED.search(answers[rid])]
        made_at_once = [rid for rid in requests if "Linked request" in answers[rid]]
        refused = [text for text in answers.values() if "Linked request" not in text and not QUEUED.search(text)]
        notes = [e for e in slack.ephemerals if "Linked request" in e["text"]]
        wait_for(lambda: len([e for e in slack.ephemerals if "Linked request" in e["text"]]) == len(queued),
                 what="a note to everyone whose link was queued")
        calls = limit.admitted
        floor = max(0.0, calls - 0.05 * 1080) / (1080 / window)  # the bucket's burst, then the budget's pace
        print(f"\nlinks={LINKS} sent_in={sent_in:.1f}s made_at_once={len(made_at_once)} queued={len(queued)} "
              f"refused={len(refused)} 429s={limit.throttled} calls={calls} took={took:.1f}s "
              f"budget_floor={floor:.1f}s ratio={took / floor:.2f} (time scale 1/{TIME_SCALE:g})")
        assert not refused, refused[:3]
        assert limit.throttled == 0
        assert len(made_at_once) + len(queued) == LINKS and queued
        assert all("try again in 0" not in text for text in answers.values())
        assert len(notes) <= len(queued)
        for link in bot.run(bot.service.store.links.active()):
            assert link.channel_id == CHANNEL and link.thread_ts and link.title
    finally:
        bot.stop()


def test_a_queued_link_survives_a_restart(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    cf.set_rate_limit(requests=1200, window=30, block=30)
    first = RunningBot(_settings(slack, cf, db_path))  # type: ignore[arg-type]
    try:
        # Someone else used the same Cloudflare user up: every call is paused for a few seconds.
        first.run(first.service.store.budgets.pause("cloudforce-one", until=time.time() + 8, now=time.time()))
        request_id = cf.add_request(summary="queued while the budget was paused")
        first.command(f"link {request_id}", response_url=slack.response_url("queued"))
        wait_for(lambda: slack.responses, what="the answer")
        assert QUEUED.search(slack.responses[-1][1]["text"]), slack.responses[-1]
        assert "about 10 s" in slack.responses[-1][1]["text"]  # the pause, told as it is
    finally:
        first.stop()  # the bot stops with the link still in line
    second = RunningBot(_settings(slack, cf, db_path))  # type: ignore[arg-type]
    try:
        second.run(_start(second))
        wait_for(lambda: _active(second) == 1, timeout=30, what="the queued link to be made after the restart")
        wait_for(lambda: any(request_id in e["text"] and "Linked request" in e["text"] for e in slack.ephemerals),
                 what="the note that it is done")
    finally:
        second.stop()


def test_a_request_waiting_in_line_is_held_for_its_channel(slack: FakeSlack, cf: FakeCloudforceOne,
                                                           db_path: Path) -> None:
    """One request, one thread holds for a link waiting in line too: a second channel is told where it is."""
    bot = RunningBot(_settings(slack, cf, db_path))  # type: ignore[arg-type]
    try:
        bot.run(bot.service.store.budgets.pause("cloudforce-one", until=time.time() + 6, now=time.time()))
        request_id = cf.add_request(summary="wanted in two channels")
        for channel in ("C111", "C222"):
            bot.command(f"link {request_id}", response_url=slack.response_url(channel), channel=channel)
            wait_for(lambda channel=channel: any(name == channel for name, _ in slack.responses),
                     what=f"the answer in {channel}")
        answers = {name: body["text"] for name, body in slack.responses}
        assert QUEUED.search(answers["C111"]), answers
        assert "is being linked in <#C111>" in answers["C222"], answers
        bot.run(_start(bot))
        wait_for(lambda: _active(bot) == 1, timeout=30, what="the queued link")
        assert [link.channel_id for link in bot.run(bot.service.store.links.active())] == ["C111"]
    finally:
        bot.stop()
