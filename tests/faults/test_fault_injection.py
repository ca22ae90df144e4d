"""Never lose, never double: a scripted two-way exchange while the bot is SIGKILLed and restarted at
random points, and also right after a provider applied a create but before its answer left (the bot
never learns the outcome), while both fakes inject 429s, 5xx, timeouts, resets and garbage. Run once per
provider: Cloudforce One (ids, edits and deletions both ways), Huawei OSM (no message ids: identity by
content) and JITSudo (cursors, ids). Seeded: set FAULT_SEED to replay a run. Prints one line of figures."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.slack.post_texts import reply_content
from bot.slack.posts import deleted_text, provider_message_text
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.faults.sides import SIDES, Side
from tests.faults.simulator import REPORT_LINES, BotProcess, Scripted, SlackDeliveries, bot_env, check
from tests.harness import wait_for

SEED = int(os.environ.get("FAULT_SEED", "20261123"))
CHANNEL = "C111"
REQUESTS = 2
# Per provider run: moderate, so three providers take about as long as one larger run did.
SLACK_MESSAGES = int(os.environ.get("FAULT_SLACK_MESSAGES", "70"))
ANALYST_MESSAGES = int(os.environ.get("FAULT_ANALYST_MESSAGES", "70"))
EDITS = 26
DELETIONS = 14
MIN_CRASHES = 15
MIN_CREATE_KILLS, MAX_CREATE_KILLS = 3, 8  # kills between a create applied on the provider and its answer
FAULT_RATE = float(os.environ.get("FAULT_RATE", "0.15"))
NAMES = {"U111": "Alice", "U222": "Bob"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("provider", list(SIDES))
def test_every_message_arrives_once_with_its_latest_content(provider: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    slack, side = FakeSlack(), SIDES[provider]()
    with ServerThread(slack.app) as slack_server, ServerThread(side.fake.app) as provider_server:
        slack.bind(slack_server.url)
        side.fake.bind(provider_server.url)
        for user, name in NAMES.items():
            slack.add_user(user, name=name.lower(), display_name=name)
        port = free_port()
        bot = BotProcess(env=bot_env(slack=slack, provider=side.env(), port=port, db=tmp_path / "bridge.db"),
                         cwd=tmp_path, log=tmp_path / "bot.log")
        bot.start()
        wait_for(lambda: _healthy(port), timeout=30, what="the bot to start")

        threads = link_new_requests(port, slack, side.new_request, REQUESTS, provider=side.name)  # while all is calm

        deliveries = SlackDeliveries(url=f"http://127.0.0.1:{port}")
        side.fake.set_fault_rate(FAULT_RATE, seed=SEED, delay=1.5)
        slack.set_fault_rate(FAULT_RATE, seed=SEED + 1,
                             methods=("chat.postMessage", "chat.update", "conversations.replies", "users.info"))
        create_kills = _kill_between_create_and_answer(side, bot, random.Random(SEED + 2))

        done = threading.Event()
        crasher = threading.Thread(target=_crash_loop, args=(bot, rng.random(), done, create_kills), daemon=True)
        crasher.start()
        script = _run_script(rng, slack=slack, side=side, threads=threads, deliveries=deliveries)
        done.set()
        crasher.join(120)

        # Recovery: the outage ends, Slack's last retries land, one more restart catches up what they missed.
        side.fake.after_applied = None
        deliveries.finish()
        faults = side.fake.fault_count + slack.fault_count
        side.fake.clear_faults()
        slack.set_fault_rate(0.0, seed=0)
        bot.kill()
        bot.start()
        wait_for(lambda: _healthy(port), timeout=30, what="the final start")

        def settled() -> bool:
            figures = _check(script, slack, side)
            return figures.clean

        try:
            wait_for(settled, timeout=90, interval=0.5, what="both sides to converge")
        finally:
            figures = _check(script, slack, side)
            bot.stop()
            line = (f"provider={side.name} seed={SEED} crashes={bot.kills} create_kills={create_kills[0]} "
                    f"faults={faults} sent={figures.sent} lost={figures.lost} doubled={figures.doubled} "
                    f"stale_edits={figures.stale_edits} out_of_order={figures.out_of_order} "
                    f"slack_deliveries={deliveries.attempts} dropped_by_slack={deliveries.dropped}")
            print("\n" + line)
            REPORT_LINES.append(line)
            for problem in figures.problems[:30]:
                print("  " + problem)
            (Path(os.environ.get("FAULT_REPORT_DIR", tmp_path)) / f"fault-injection-{side.name}.txt").write_text(
                line + "\n")
        assert figures.clean, figures.problems[:20]
        assert bot.kills >= MIN_CRASHES and create_kills[0] >= MIN_CREATE_KILLS
        assert figures.sent >= SLACK_MESSAGES + ANALYST_MESSAGES and faults > 0


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
    """Create `count` Cloudforce One requests and link each with /request link: request id -> its thread's ts."""
    return link_new_requests(port, slack, lambda n: cf.add_request(summary=f"request {n}"), count)


def link_new_requests(port: int, slack: FakeSlack, new_request: Callable[[int], str], count: int,
                      provider: str = "") -> dict[str, str]:
    """Create `count` requests with `new_request` and link each with /request link: request id -> its thread."""
    threads: dict[str, str] = {}
    for n in range(count):
        request_id = new_request(n)
        bot_command(port, slack, f"link {provider} {request_id}".replace("  ", " "))
        wait_for(lambda rid=request_id: any(rid in (r[1].get("text") or "") and "Linked" in r[1]["text"]
                                            for r in slack.responses), timeout=20, what="the link")
        threads[request_id] = next(m["ts"] for m in slack.channel_messages(CHANNEL)
                                   if request_id in m["text"] and m.get("thread_ts", m["ts"]) == m["ts"])
    return threads


def _kill_between_create_and_answer(side: Side, bot: BotProcess, rng: random.Random) -> list[int]:
    """SIGKILL the bot right after the provider applied one of its creates, before the answer is sent:
    the create happened, and the bot never heard so. Counted in the returned one-item list."""
    killed = [0]

    def after(op: str) -> None:
        # The first few creates are always cut off, so every run has some; then one in four, up to a cap.
        if op == "create_message" and (killed[0] < MIN_CREATE_KILLS or (
                killed[0] < MAX_CREATE_KILLS and rng.random() < 0.25)) and bot.kill():
            killed[0] += 1

    side.fake.after_applied = after
    return killed


def _crash_loop(bot: BotProcess, seed: float, done: threading.Event, create_kills: list[int]) -> None:
    rng = random.Random(seed)
    while not done.is_set() or bot.kills < MIN_CRASHES or (
            create_kills[0] < MIN_CREATE_KILLS and bot.kills < 4 * MIN_CRASHES):
        time.sleep(rng.uniform(0.3, 1.5))
        bot.kill()
        time.sleep(rng.uniform(0.0, 0.6))  # downtime: Slack's deliveries fail and are retried
        bot.start()


def _run_script(rng: random.Random, *, slack: FakeSlack, side: Side, threads: dict[str, str],
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
            script.append(Scripted("slack", request_id, thread, key, user, text, slack_ts=ts, order=n,
                                   versions=[text]))
            deliveries.send(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, user=user, text=text))
        elif action == "analyst":
            author = rng.choice(side.authors)
            content = f"analyst [a{n:03d}] says hi"
            key = side.write(request_id, author, content)
            script.append(Scripted("provider", request_id, thread, key, author, content, order=n))
        else:
            # The other side edits and deletes only where its API lets people do so (Cloudforce One).
            live = [m for m in script if not m.deleted and (m.side == "slack" or side.edit is not None)]
            if not live:
                continue
            target = rng.choice(live)
            _change(target, action, n, slack=slack, side=side, deliveries=deliveries)
        time.sleep(rng.uniform(0.0, 0.06))
    return script


def _change(m: Scripted, action: str, n: int, *, slack: FakeSlack, side: Side, deliveries: SlackDeliveries) -> None:
    if m.side == "slack":
        user, ts = m.author, m.slack_ts
        if action == "edit":
            old, m.text = m.text, f"{m.text} (edit {n})"
            m.versions.append(m.text)
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
        assert side.edit is not None
        m.text = f"{m.text} (edit {n})"
        side.edit(m.request_id, m.key, m.text)
    else:
        assert side.delete is not None
        m.deleted = True
        side.delete(m.request_id, m.key)


def _check(script: list[Scripted], slack: FakeSlack, side: Side):  # noqa: ANN202
    return check(
        script, slack=slack, cf=side.fake, channel=CHANNEL, key_of_post=side.key_of_post,
        slack_changes_follow=side.edits_follow,
        provider_text=lambda m: provider_message_text(author=m.author, content=m.text, provider_name=side.display,
                                                      role=side.role),
        reply_text=lambda m: reply_content(display_name=NAMES[m.author], text=m.text),
    )


assert deleted_text  # the marker the checker recognises ("deleted this message") comes from here
