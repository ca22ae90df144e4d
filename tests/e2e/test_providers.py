"""The same end-to-end journey for every provider, through one parametrised suite: the Slack side never
knows which provider it talks to, and each provider's fake follows that provider's own spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.conftest import restart
from tests.fakes.huawei import FakeHuawei
from tests.fakes.jitsudo import FakeJITSudo
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, thread_texts

NO_CLOUDFLARE = {"cloudflare_account_id": None, "cloudflare_api_token": None}


@dataclass
class World:
    """One provider's fake, and how the journey drives it."""

    name: str
    display: str
    fake: Any
    settings: dict[str, Any]
    new_request: Callable[[], str]
    other_side_writes: Callable[[str, str], None]  # (request id, content): an analyst/engineer/approver
    other_side_label: str  # how that author shows in Slack
    can_edit: bool
    can_delete: bool
    limit: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def contents(self, request_id: str) -> list[str]:
        return [m["content"] for m in self.fake.messages(request_id)]


def cloudforce_one(fake: FakeCloudforceOne) -> World:
    return World(
        name="cloudforce-one", display="Cloudforce One", fake=fake,
        settings={"cloudflare_base_url": fake.base_url},
        new_request=lambda: fake.add_request(summary="DoS attack"),
        other_side_writes=lambda rid, text: fake.add_message(rid, author="ana@cloudflare.com", content=text),
        other_side_label="*ana@cloudflare.com* (Cloudforce One)", can_edit=True, can_delete=True, limit=None)


def huawei(fake: FakeHuawei) -> World:
    return World(
        name="huawei", display="Huawei Cloud", fake=fake,
        settings={**NO_CLOUDFLARE, "huawei_endpoint": fake.base_url, "huawei_ak": "test-ak", "huawei_sk": "test-sk",
                  "huawei_domain_id": "test-domain"},
        new_request=lambda: fake.add_request(title="ECS cannot reach RDS"),
        other_side_writes=lambda rid, text: fake.add_message(rid, author="Li Wei", role="engineer", content=text),
        other_side_label="*Li Wei* (Huawei engineer, Huawei Cloud)", can_edit=False, can_delete=False, limit=2000)


def jitsudo(fake: FakeJITSudo) -> World:
    return World(
        name="jitsudo", display="JITSudo", fake=fake,
        settings={**NO_CLOUDFLARE, "jitsudo_base_url": fake.base_url, "jitsudo_api_key": "jit-test-key",
                  "jitsudo_tenant_id": fake.tenant_id},
        new_request=lambda: fake.add_request(),
        other_side_writes=lambda rid, text: fake.add_message(rid, author="approver@example.com", role="approver",
                                                            content=text),
        other_side_label="*approver@example.com* (approver, JITSudo)", can_edit=False, can_delete=False, limit=None)


WORLDS = {"cloudforce-one": (FakeCloudforceOne, cloudforce_one), "huawei": (FakeHuawei, huawei),
          "jitsudo": (FakeJITSudo, jitsudo)}


@pytest.fixture(params=list(WORLDS))
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    fake_class, make = WORLDS[request.param]
    fake = fake_class()
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield make(fake)


@pytest.fixture
def pbot(world: World, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    settings = bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                            cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path, **world.settings)
    running = RunningBot(settings)
    assert list(running.service.providers) == [world.name]
    yield running
    running.stop()


def link(bot: RunningBot, slack: FakeSlack, world: World, *, earlier: str | None = None) -> tuple[str, str]:
    request_id = world.new_request()
    if earlier:
        world.other_side_writes(request_id, earlier)
    bot.command(f"link {world.name} {request_id}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, what="the link answer")
    assert "Linked request" in slack.responses[-1][1]["text"], slack.responses[-1]
    found = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider=world.name, request_id=request_id))
    assert found is not None and found.thread_ts
    return request_id, found.thread_ts


def reply(bot: RunningBot, thread: str, ts: str, text: str) -> None:
    assert bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text=text),
                          event_id=f"Ev{ts}").status_code == 200


def test_link_backfills_the_other_sides_messages_with_their_role(pbot: RunningBot, slack: FakeSlack,
                                                                   world: World) -> None:
    _, thread = link(pbot, slack, world, earlier="what we know so far")
    assert thread_texts(slack, thread) == [f"{world.other_side_label}:\nwhat we know so far"]
    root = slack.thread(CHANNEL, thread)[0]["text"]
    assert world.display in root


def test_a_reply_reaches_the_request_and_is_not_echoed(pbot: RunningBot, slack: FakeSlack, world: World) -> None:
    request_id, thread = link(pbot, slack, world)
    reply(pbot, thread, "1800000000.000100", "hello from Slack")
    wait_for(lambda: world.contents(request_id), what="the create")
    pbot.drain()
    pbot.poll(full=True)
    pbot.poll()
    assert world.contents(request_id) == ["Alice (via Slack): hello from Slack"]
    assert thread_texts(slack, thread) == []


def test_the_other_side_answers_in_the_thread(pbot: RunningBot, slack: FakeSlack, world: World) -> None:
    request_id, thread = link(pbot, slack, world)
    world.other_side_writes(request_id, "here is the answer")
    pbot.poll()
    pbot.poll(full=True)
    assert thread_texts(slack, thread) == [f"{world.other_side_label}:\nhere is the answer"]


def test_a_long_reply_is_split_in_order_or_sent_whole(pbot: RunningBot, slack: FakeSlack, world: World) -> None:
    request_id, thread = link(pbot, slack, world)
    words = " ".join(f"word{n:04d}" for n in range(600))  # about 5,400 characters
    reply(pbot, thread, "1800000000.000200", words)
    wait_for(lambda: pbot.drain() is not None and pbot.pending_events() == 0, what="delivery")
    contents = world.contents(request_id)
    if world.limit is None:
        assert contents == [f"Alice (via Slack): {words}"]
        return
    assert len(contents) > 1 and all(len(c) <= world.limit for c in contents)
    assert [c.split(" ", 1)[0] for c in contents] == [f"({n}/{len(contents)})" for n in range(1, len(contents) + 1)]
    rebuilt = " ".join(c.split(" ", 1)[1] for c in contents)
    assert rebuilt == f"Alice (via Slack): {words}"
    assert any("numbered parts" in e["text"] for e in slack.ephemerals)
    pbot.poll(full=True)
    assert thread_texts(slack, thread) == []  # the parts are not echoed back


def test_edit_and_delete_are_applied_or_explained(pbot: RunningBot, slack: FakeSlack, world: World) -> None:
    request_id, thread = link(pbot, slack, world)
    ts = "1800000000.000300"
    reply(pbot, thread, ts, "first draft")
    wait_for(lambda: world.contents(request_id), what="the create")
    pbot.post_event(events.edit(channel=CHANNEL, thread_ts=thread, ts=ts, old="first draft", new="final"),
                    event_id="EvEdit")
    wait_for(lambda: pbot.drain() is not None and pbot.pending_events() == 0, what="the edit")
    if world.can_edit:
        assert world.contents(request_id) == ["Alice (via Slack): final"]
    else:
        assert world.contents(request_id) == ["Alice (via Slack): first draft"]
        assert any(f"{world.display} cannot edit messages" in e["text"] for e in slack.ephemerals)
    pbot.post_event(events.delete(channel=CHANNEL, ts=ts, thread_ts=thread), event_id="EvDelete")
    wait_for(lambda: pbot.drain() is not None and pbot.pending_events() == 0, what="the deletion")
    if world.can_delete:
        assert world.contents(request_id) == []
    else:
        assert len(world.contents(request_id)) == 1
        assert any(f"{world.display} cannot delete messages" in e["text"] for e in slack.ephemerals)


def test_a_restart_loses_nothing_and_doubles_nothing(pbot: RunningBot, slack: FakeSlack, world: World) -> None:
    request_id, thread = link(pbot, slack, world, earlier="before")
    reply(pbot, thread, "1800000000.000400", "one")
    wait_for(lambda: len(world.contents(request_id)) == 2, what="the create")
    pbot = restart(pbot)
    try:
        pbot.run(pbot.service.catch_up.run())
        world.other_side_writes(request_id, "after")
        reply(pbot, thread, "1800000000.000500", "two")
        wait_for(lambda: len(world.contents(request_id)) == 4, what="the second create")
        pbot.drain()
        pbot.poll(full=True)
        pbot.poll()
        assert world.contents(request_id) == ["before", "Alice (via Slack): one", "after", "Alice (via Slack): two"]
        assert [t.rsplit("\n", 1)[1] for t in thread_texts(slack, thread)] == ["before", "after"]
    finally:
        pbot.stop()
