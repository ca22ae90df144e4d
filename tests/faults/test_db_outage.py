"""The database goes away while people keep replying, editing and deleting in linked threads: Slack retries
each event, gets non-200s and gives up. Once the database is back, every reply, edit and deletion reaches
the provider exactly once, without restarting the bot; meanwhile it neither crashes nor spins, and
/readyz answers 503 naming the database.

PostgreSQL: a private cluster of this test's own is stopped and started (never the shared server). SQLite:
its file's filesystem (a small tmpfs) is filled, so writes fail with "database or disk is full".
DB_OUTAGE_SECONDS sets the outage (default 12: Slack's retries, scaled down in tests/faults/simulator.py,
give up within 4 s, so a longer outage takes the same path; 90 is the figure in the README).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.slack.post_texts import reply_content
from bot.slack.posts import provider_message_text
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.databases import private_postgres, small_disk
from tests.faults.simulator import REPORT_LINES, BotProcess, Scripted, SlackDeliveries, bot_env, check
from tests.faults.test_fault_injection import _healthy, free_port, link_requests
from tests.harness import wait_for

OUTAGE_SECONDS = float(os.environ.get("DB_OUTAGE_SECONDS", "12"))
CHANNEL = "C111"
NAMES = {"U111": "Alice", "U222": "Bob"}
SEED = 20261206
# Slack's last retry of an event comes about 4 s after the event (SLACK_RETRY_DELAYS): events are written
# only while all their retries still fall within the outage.
SLACK_GIVES_UP_WITHIN = 4.5


@contextlib.contextmanager
def postgres_outage() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    with private_postgres(free_port()) as server:
        yield server.url, server.stop, server.start


@contextlib.contextmanager
def sqlite_disk_full() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    with small_disk() as disk:
        yield f"sqlite:///{disk.path / 'bridge.db'}", disk.fill, disk.free


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _readyz(port: int) -> tuple[int, dict[str, object]]:
    answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    return answer.status_code, answer.json()


@pytest.mark.timeout(120 + 2 * OUTAGE_SECONDS)  # the suite's 120 s per test, and the outage on top
@pytest.mark.parametrize("store", ["postgresql", "sqlite"])
def test_after_a_database_outage_every_reply_edit_and_deletion_arrives_once(store: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    slack, cf = FakeSlack(), FakeCloudforceOne()
    outage = postgres_outage() if store == "postgresql" else sqlite_disk_full()
    with ServerThread(slack.app) as slack_server, ServerThread(cf.app) as cf_server, outage as (url, begin, end):
        slack.bind(slack_server.url)
        cf.bind(cf_server.url)
        for user, name in NAMES.items():
            slack.add_user(user, name=name.lower(), display_name=name)
        port = free_port()
        bot = BotProcess(env=bot_env(slack=slack, cf=cf, port=port, database_url=url), cwd=tmp_path,
                         log=tmp_path / "bot.log")
        bot.start()
        try:
            wait_for(lambda: _healthy(port), timeout=30, what="the bot to start")
            threads = link_requests(port, slack, cf, 2)
            # Enough senders that each event's retries keep Slack's timing however many are in flight.
            deliveries = SlackDeliveries(url=f"http://127.0.0.1:{port}", _pool=ThreadPoolExecutor(max_workers=64))
            script: list[Scripted] = []

            def reply(n: int) -> None:
                request_id = rng.choice(list(threads))
                user = rng.choice(list(NAMES))
                text = f"reply [s{n:03d}] from {NAMES[user]}"
                ts = slack.post_user_message(CHANNEL, text, user=user, thread_ts=threads[request_id])
                script.append(Scripted("slack", request_id, threads[request_id], f"s{n:03d}", user, text,
                                       slack_ts=ts, order=n))
                deliveries.send(events.reply(channel=CHANNEL, thread_ts=threads[request_id], ts=ts, user=user,
                                             text=text))

            for n in range(6):  # before the outage: bridged as usual
                reply(n)
            wait_for(lambda: _figures(script, slack, cf).clean, timeout=20, what="the replies before the outage")

            begin()
            down_at = time.monotonic()
            cpu_before = _cpu_seconds(bot.process.pid)  # type: ignore[union-attr]
            sent_before = deliveries.attempts
            n = 6
            while time.monotonic() - down_at < max(1.0, OUTAGE_SECONDS - SLACK_GIVES_UP_WITHIN):
                action = rng.choice(["reply", "reply", "edit", "delete", "analyst"])
                live = [m for m in script if m.side == "slack" and not m.deleted]
                if action == "reply" or not live and action != "analyst":
                    reply(n)
                elif action == "analyst":
                    request_id = rng.choice(list(threads))
                    posted = cf.add_message(request_id, author="ana@cloudflare.com", content=f"analyst [a{n:03d}]")
                    script.append(Scripted("provider", request_id, threads[request_id], str(posted["id"]),
                                           "ana@cloudflare.com", posted["content"], order=n))
                else:
                    _change(rng.choice(live), action, n, slack=slack, deliveries=deliveries)
                n += 1
                time.sleep(rng.uniform(0.1, 0.4))
            status, body = wait_for(lambda: (answer := _readyz(port))[0] == 503 and answer, timeout=10,
                                    what="/readyz to answer 503")
            deliveries.finish()  # every event written during the outage: retried, refused, given up
            refused, attempts = deliveries.dropped, deliveries.attempts - sent_before
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))  # the rest of the outage
            cpu = _cpu_seconds(bot.process.pid) - cpu_before  # type: ignore[union-attr]
            alive = bot.process is not None and bot.process.poll() is None
            end()
            up_at = time.monotonic()
            # Replies right after it is back, maybe before the bot notices: they must not overtake the refused.
            deliveries = SlackDeliveries(url=f"http://127.0.0.1:{port}")
            for _ in range(3):
                reply(n)
                n += 1
            deliveries.finish()
            try:
                wait_for(lambda: _figures(script, slack, cf).clean, timeout=60, interval=0.25,
                         what="every reply, edit and deletion to arrive")
            finally:
                figures = _figures(script, slack, cf)
                line = (f"store={store} outage={up_at - down_at:.1f}s "
                        f"slack_attempts={attempts} given_up_by_slack={refused} "
                        f"caught_up_in={time.monotonic() - up_at:.1f}s "
                        f"cpu_while_down={cpu:.2f}s restarts={bot.starts - 1} lost={figures.lost} "
                        f"doubled={figures.doubled} stale_edits={figures.stale_edits} "
                        f"out_of_order={figures.out_of_order}")
                print("\n" + line)
                REPORT_LINES.append(line)
                for problem in figures.problems[:20]:
                    print("  " + problem)
        finally:
            bot.stop()
    assert figures.clean, figures.problems[:20]
    assert refused > 0 and alive and bot.starts == 1  # Slack gave up on events; no crash, no restart
    assert body["database"] is False and any("database" in p for p in body["problems"]), body  # type: ignore[union-attr]
    assert cpu < 0.25 * OUTAGE_SECONDS  # waiting, not spinning
    assert status == 503


def _change(m: Scripted, action: str, n: int, *, slack: FakeSlack, deliveries: SlackDeliveries) -> None:
    if action == "edit":
        old, m.text = m.text, f"{m.text} (edit {n})"
        slack.edit_user_message(CHANNEL, m.slack_ts, m.text)
        edited_ts = slack.message(CHANNEL, m.slack_ts)["edited"]["ts"]  # type: ignore[index]
        deliveries.send(events.edit(channel=CHANNEL, thread_ts=m.thread_ts, ts=m.slack_ts, user=m.author, old=old,
                                    new=m.text, edited_ts=edited_ts))
    else:
        m.deleted = True
        slack.delete_user_message(CHANNEL, m.slack_ts)
        deliveries.send(events.delete(channel=CHANNEL, ts=m.slack_ts, thread_ts=m.thread_ts, user=m.author,
                                      text=m.text, event_ts=f"{time.time():.6f}"))


def _figures(script: list[Scripted], slack: FakeSlack, cf: FakeCloudforceOne):  # noqa: ANN202
    return check(script, slack=slack, cf=cf, channel=CHANNEL,
                 provider_text=lambda m: provider_message_text(author=m.author, content=m.text,
                                                               provider_name="Cloudforce One"),
                 reply_text=lambda m: reply_content(display_name=NAMES[m.author], text=m.text))
