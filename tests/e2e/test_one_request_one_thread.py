"""One request, one thread, enforced by the database: people linking one request at the same moment (in one
channel or several, through one replica or two on PostgreSQL) make exactly one root post and one active link,
and every other person is told where the request is linked."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from bot.models import LinkState
from bot.slack.shortcut_modals import BlockId, CallbackId
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.conftest import running_bot
from tests.harness import RunningBot, wait_for
from tests.interactions import send, text_value, use_shortcut, view_submission

ROUNDS = 3


@dataclass(frozen=True)
class Person:
    user: str
    channel: str


# Ten people: three in one channel, the others spread over two more, two of them the same person twice.
PEOPLE = [Person("U111", "C111"), Person("U222", "C111"), Person("U333", "C111"), Person("U444", "C222"),
          Person("U555", "C222"), Person("U111", "C222"), Person("U666", "C333"), Person("U777", "C333"),
          Person("U888", "C333"), Person("U222", "C333")]


@pytest.fixture
def replicas(slack: FakeSlack, cf: FakeCloudforceOne, database_url: str) -> Iterator[list[RunningBot]]:
    """One bot on SQLite (one process owns that store); two replicas sharing the database on PostgreSQL."""
    count = 1 if database_url.startswith("sqlite") else 2
    with ExitStack() as stack:
        yield [stack.enter_context(running_bot(slack, cf, database_url=database_url, replica_id=f"replica-{n}"))
               for n in range(count)]


def live_links(bot: RunningBot, request_id: str) -> list[tuple[str, str]]:
    """(state, channel) of every link of the request that is not unlinked."""
    links = [bot.run(bot.service.store.links.find(channel_id=c, provider="cloudforce-one", request_id=request_id))
             for c in sorted({p.channel for p in PEOPLE})]
    return [(link.state, link.channel_id) for link in links if link is not None]


def link_at_once(replicas: list[RunningBot], slack: FakeSlack, request_id: str, *, tag: str) -> dict[str, str]:
    """Everyone in PEOPLE sends `/request link` at the same moment (replicas taking turns); their answers."""
    names = [f"{tag}-p{n}" for n in range(len(PEOPLE))]

    def link(n: int) -> int:
        person, bot = PEOPLE[n], replicas[n % len(replicas)]
        return bot.command(f"link {request_id}", channel=person.channel, user=person.user,
                           response_url=slack.response_url(names[n])).status_code

    with ThreadPoolExecutor(len(PEOPLE)) as pool:
        assert list(pool.map(link, range(len(PEOPLE)))) == [200] * len(PEOPLE)

    def answered() -> dict[str, str] | None:
        got = {name: body["text"] for name, body in slack.responses if name in names}
        return got if len(got) == len(names) else None

    answers = wait_for(answered, what="every answer")
    return {name: answers[name] for name in names}


def test_ten_people_linking_one_request_at_once_make_one_thread(
        replicas: list[RunningBot], slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    for round_ in range(ROUNDS):
        request_id = cf.add_request(summary=f"wanted by everyone, round {round_}")
        roots_before = len([c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c])
        answers = link_at_once(replicas, slack, request_id, tag=f"r{round_}")

        roots = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c][roots_before:]
        assert len(roots) == 1, roots
        winner_channel = roots[0]["channel"]
        assert live_links(replicas[0], request_id) == [(LinkState.ACTIVE, winner_channel)]
        linked = [name for name, text in answers.items() if text.startswith("Linked request")]
        assert len(linked) == 1, answers
        for person, (name, text) in zip(PEOPLE, answers.items(), strict=True):
            if name in linked:
                continue
            where = "in this channel" if person.channel == winner_channel else f"in <#{winner_channel}>"
            assert where in text and ("already linked" in text or "being linked" in text), (name, text)


def test_shortcuts_and_commands_linking_one_request_at_once_make_one_link(
        replicas: list[RunningBot], slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    """"Link thread to request" on five threads in two channels, and /request link in three, all at once."""
    request_id = cf.add_request(summary="wanted by threads and commands")
    shortcut_people = PEOPLE[:5]
    opened = []
    for n, person in enumerate(shortcut_people):
        root = slack.post_user_message(person.channel, f"thread {n}", user=person.user)
        view = use_shortcut(replicas[n % len(replicas)], slack, CallbackId.LINK_THREAD, channel=person.channel,
                            ts=root, user=person.user)
        assert view is not None
        opened.append((root, view))
    commands = PEOPLE[5:8]

    def act(n: int) -> httpx.Response:
        bot = replicas[n % len(replicas)]
        if n < len(opened):
            values = {BlockId.REQUEST_ID: {"request_id": text_value(request_id)}}
            return send(bot, view_submission(opened[n][1], values=values))
        person = commands[n - len(opened)]
        return bot.command(f"link {request_id}", channel=person.channel, user=person.user,
                           response_url=slack.response_url(f"cmd{n}"))

    total = len(opened) + len(commands)
    with ThreadPoolExecutor(total) as pool:
        acks = list(pool.map(act, range(total)))
    assert [a.status_code for a in acks] == [200] * total
    # A submission checked after another's claim is refused on the modal itself (which names no channel).
    on_modal = {n: a.json()["errors"][BlockId.REQUEST_ID] for n, a in enumerate(acks[:len(opened)]) if a.content}

    def told() -> dict[int, str] | None:
        got = {n: e["text"] for n, (root, _) in enumerate(opened) for e in slack.ephemerals
               if e.get("thread_ts") == root} | on_modal
        got |= {int(name[3:]): body["text"] for name, body in slack.responses if name.startswith("cmd")}
        return got if len(got) == total else None

    answers = wait_for(told, what="every answer")
    announcements = [c for c in slack.calls_to("chat.postMessage") if request_id in c["text"]]
    assert len(announcements) == 1, announcements
    channel = announcements[0]["channel"]
    assert live_links(replicas[0], request_id) == [(LinkState.ACTIVE, channel)]
    winners = [n for n, text in answers.items() if text.startswith("Linked request")]
    assert len(winners) == 1, answers
    people = [*shortcut_people, *commands]
    for n, text in answers.items():
        if n not in winners:
            where = "in this channel" if people[n].channel == channel else f"in <#{channel}>"
            if n in on_modal:
                where = "in this channel" if people[n].channel == channel else "in another channel"
            assert where in text and ("already linked" in text or "being linked" in text), (n, text)


def test_five_people_linking_one_thread_to_five_requests_at_once_make_one_link(
        replicas: list[RunningBot], slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    """One thread, one request: the thread's claim is in the database too."""
    root = slack.post_user_message("C111", "which request is this?", user="U111")
    people = ["U111", "U222", "U333", "U444", "U555"]
    requests = [cf.add_request(summary=f"candidate {n}") for n in range(len(people))]
    opened = []
    for n, user in enumerate(people):
        view = use_shortcut(replicas[n % len(replicas)], slack, CallbackId.LINK_THREAD, channel="C111", ts=root,
                            user=user)
        assert view is not None
        opened.append(view)

    def submit(n: int) -> httpx.Response:
        values = {BlockId.REQUEST_ID: {"request_id": text_value(requests[n])}}
        return send(replicas[n % len(replicas)], view_submission(opened[n], values=values))

    with ThreadPoolExecutor(len(people)) as pool:
        acks = list(pool.map(submit, range(len(people))))
    on_modal = {people[n]: a.json()["errors"][BlockId.REQUEST_ID] for n, a in enumerate(acks) if a.content}

    def told() -> dict[str, str] | None:
        got = {e["user"]: e["text"] for e in slack.ephemerals if e.get("thread_ts") == root} | on_modal
        return got if len(got) == len(people) else None

    answers = wait_for(told, what="every answer")
    links = [link for link in replicas[0].run(replicas[0].service.store.links.in_channel("C111"))
             if link.thread_ts == root]
    assert len(links) == 1, links
    winner = links[0].request_id
    assert len([c for c in slack.calls_to("chat.postMessage") if c.get("thread_ts") == root]) == 1
    assert [u for u, text in answers.items() if text.startswith("Linked request")] == [links[0].created_by]
    for user, text in answers.items():
        if user != links[0].created_by:
            assert f"already linked to request {winner}" in text.replace("`", ""), (user, text)
