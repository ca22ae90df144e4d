"""Never lose, never double: a scripted two-way exchange while the bot is SIGKILLed and restarted at
random points and both fakes inject 429s, 5xx, timeouts, resets and garbage. Seeded: set FAULT_SEED to
replay a run. Prints one line of figures."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from pathlib import Path

import httpx

from bot.slack.post_texts import reply_content
from bot.slack.posts import deleted_text, provider_message_text
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.faults.simulator import REPORT_LINES, BotProcess, Scripted, SlackDeliveries, bot_env, check
from tests.harness import wait_for

SEED = int(os.environ.get("FAULT_SEED", "20261123"))
CHANNEL = "C111"
REQUESTS = 2
SLACK_MESSAGES = 110
ANALYST_MESSAGES = 110
EDITS = 40
DELETIONS = 20
MIN_CRASHES = 20
FAULT_RATE = float(os.environ.get("FAULT_RATE", "0.15"))
NAMES = {"U111": "Alice", "U222": "Bob"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_message_arrives_once_with_its_latest_content(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    slack, cf = FakeSlack(), FakeCloudforceOne()
    with ServerThread(slack.app) as slack_server, ServerThread(cf.app) as cf_server:
        slack.bind(slack_server.url)
        cf.bind(cf_server.url)
        for user, name in NAMES.items():
            slack.add_user(user, name=name.lower(), display_name=name)
        port = free_port()
        bot = BotProcess(env=bot_env(slack=slack, cf=cf, port=port, db=tmp_path / "bridge.db"), cwd=tmp_path,
                         log=tmp_path / "bot.log")
        bot.start()
        wait_for(lambda: _healthy(port), timeout=30, what="the bot to start")

        threads = link_requests(port, slack, cf, REQUESTS)  # while all is calm

        deliveries = SlackDeliveries(url=f"http://127.0.0.1:{port}")
        cf.set_fault_rate(FAULT_RATE, seed=SEED, delay=1.5)
        slack.set_fault_rate(FAULT_RATE, seed=SEED + 1,
                             methods=("chat.postMessage", "chat.update", "conversations.replies", "users.info"))

        done = threading.Event()
        crasher = threading.Thread(target=_crash_loop, args=(bot, rng.random(), done), daemon=True)
        crasher.start()
        script = _run_script(rng, slack=slack, cf=cf, threads=threads, deliveries=deliveries)
        done.set()
        crasher.join(120)

        # Recovery: the outage ends, Slack's last retries land, one more restart catches up what they missed.
        deliveries.finish()
        faults = cf.fault_count + slack.fault_count
        cf.clear_faults()
        slack.set_fault_rate(0.0, seed=0)
        bot.kill()
        bot.start()
        wait_for(lambda: _healthy(port), timeout=30, what="the final start")

        def settled() -> bool:
            figures = _check(script, slack, cf)
            return figures.clean

        try:
            wait_for(settled, timeout=90, interval=0.5, what="both sides to converge")
        finally:
            figures = _check(script, slack, cf)
            bot.stop()
            line = (f"seed={SEED} crashes={bot.kills} faults={faults} sent={figures.sent} lost={figures.lost} "
                    f"doubled={figures.doubled} stale_edits={figures.stale_edits} "
                    f"out_of_order={figures.out_of_order} slack_deliveries={deliveries.attempts} "
                    f"dropped_by_slack={deliveries.dropped}")
            print("\n" + line)
            REPORT_LINES.append(line)
            for problem in figures.problems[:30]:
                print("  " + problem)
            (Path(os.environ.get("FAULT_REPORT_DIR", tmp_path)) / "fault-injection.txt").write_text(line + "\n")
        assert figures.clean, figures.problems[:20]
        assert bot.kills >= MIN_CRASHES and figures.sent >= 200 and faults > 0


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def bot_command(port: int, slack: FakeSlack, text: str) -> None:
    import urllib.parse

    from tests.harness import sign

    body = urllib.parse.urlencode({"command": "/request", "text": text, "channel_id": CHANNEL, "user_id": "U111",
                                   "team_id": "T111", "response_url": slack.response_url("cmd"),
                                   "trigger_id": "1.2.x"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers,
                      timeout=10).status_code == 200


def link_requests(port: int, slack: FakeSlack, cf: FakeCloudforceOne, count: int) -> dict[str, str]:
    """Create `count` requests and link each with /request link: request id -> its thread's ts."""
    threads: dict[str, str] = {}
    for n in range(count):
        request_id = cf.add_request(summary=f"request {n}")
        bot_command(port, slack, f"link {request_id}")
        wait_for(lambda rid=request_id: any(rid in (r[1].get("text") or "") and "Linked" in r[1]["text"]
                                            for r in slack.responses), timeout=20, what="the link")
        threads[request_id] = next(m["ts"] for m in slack.channel_messages(CHANNEL)
                                   if request_id in m["text"] and m.get("thread_ts", m["ts"]) == m["ts"])
    return threads


def _crash_loop(bot: BotProcess, seed: float, done: threading.Event) -> None:
    rng = random.Random(seed)
    while not done.is_set() or bot.kills < MIN_CRASHES:
        time.sleep(rng.uniform(0.3, 1.5))
        bot.kill()
        time.sleep(rng.uniform(0.0, 0.6))  # downtime: Slack's deliveries fail and are retried
        bot.start()


def _run_script(rng: random.Random, *, slack: FakeSlack, cf: FakeCloudforceOne, threads: dict[str, str],
                deliveries: SlackDeliveries) -> list[Scripted]:
    script: list[Scripted] = []
    actions = (["slack"] * SLACK_MESSAGES + ["analyst"] * ANALYST_MESSAGES + ["edit"] * EDITS
               + ["delete"] * DELETIONS)
    rng.shuffle(actions)
    for n, action in enumerate(actions):
        request_id = rng.choice(list(threads))
        thread = threads[request_id]
        if action == "slack":
            user = rng.choice(list(NAMES))
            key = f"s{n:03d}"
            text = f"reply [{key}] from {NAMES[user]}"
            ts = slack.post_user_message(CHANNEL, text, user=user, thread_ts=thread)
            script.append(Scripted("slack", request_id, thread, key, user, text, slack_ts=ts, order=n))
            deliveries.send(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, user=user, text=text))
        elif action == "analyst":
            author = rng.choice(["ana@cloudflare.com", "ben@cloudflare.com"])
            posted = cf.add_message(request_id, author=author, content=f"analyst [a{n:03d}] says hi")
            script.append(Scripted("provider", request_id, thread, str(posted["id"]), author, posted["content"],
                                   order=n))
        else:
            live = [m for m in script if not m.deleted]
            if not live:
                continue
            target = rng.choice(live)
            _change(target, action, n, slack=slack, cf=cf, deliveries=deliveries)
        time.sleep(rng.uniform(0.0, 0.06))
    return script


def _change(m: Scripted, action: str, n: int, *, slack: FakeSlack, cf: FakeCloudforceOne,
            deliveries: SlackDeliveries) -> None:
    if m.side == "slack":
        user, ts = m.author, m.slack_ts
        if action == "edit":
            old, m.text = m.text, f"{m.text} (edit {n})"
            slack.edit_user_message(CHANNEL, ts, m.text)
            edited_ts = slack.message(CHANNEL, ts)["edited"]["ts"]
            deliveries.send(events.edit(channel=CHANNEL, thread_ts=m.thread_ts, ts=ts, user=user, old=old,
                                        new=m.text, edited_ts=edited_ts))
        else:
            m.deleted = True
            slack.delete_user_message(CHANNEL, ts)
            deliveries.send(events.delete(channel=CHANNEL, ts=ts, thread_ts=m.thread_ts, user=user, text=m.text,
                                          event_ts=f"{time.time():.6f}"))
    elif action == "edit":
        m.text = f"{m.text} (edit {n})"
        cf.edit_message(m.request_id, int(m.key), m.text)
    else:
        m.deleted = True
        cf.delete_message(m.request_id, int(m.key))


def _check(script: list[Scripted], slack: FakeSlack, cf: FakeCloudforceOne):  # noqa: ANN202
    return check(
        script, slack=slack, cf=cf, channel=CHANNEL,
        provider_text=lambda m: provider_message_text(author=m.author, content=m.text, provider_name="Cloudforce One"),
        reply_text=lambda m: reply_content(display_name=NAMES[m.author], text=m.text),
    )


assert deleted_text  # the marker the checker recognises ("deleted this message") comes from here
