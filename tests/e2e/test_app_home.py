"""The App Home tab end to end: a signed app_home_opened event in, the view the Slack fake holds out.

The event's shape is the example of Slack's event reference (https://docs.slack.dev/reference/events/app_home_opened);
the block_actions payload of a URL button follows https://docs.slack.dev/reference/interaction-payloads/block_actions-payload.
"""

from __future__ import annotations

import time
from typing import Any

from bot.slack.home_view import HomeAction
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, link_request
from tests.interactions import send


def app_home_opened(user: str, *, tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0LAN2Q65", "tab": tab,
            "event_ts": f"{time.time():.6f}"}


def open_home(bot: RunningBot, slack: FakeSlack, user: str = "U111", *, event_id: str = "EvHome1") -> dict[str, Any]:
    before = len(slack.calls_to("views.publish"))
    response = bot.post_event(app_home_opened(user), event_id=event_id)
    assert response.status_code == 200, response.text
    wait_for(lambda: len(slack.calls_to("views.publish")) > before, what="views.publish")
    view = slack.home_view(user)
    assert view is not None
    return view


def link_sections(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("link-")]


def test_a_person_without_links_is_told_how_to_make_one(bot: RunningBot, slack: FakeSlack) -> None:
    view = open_home(bot, slack)
    assert view["type"] == "home" and link_sections(view) == []
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert "/request link" in text and "/request new" in text


def test_the_home_tab_lists_the_persons_links_newest_activity_first(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    first, first_thread = link_request(bot, slack, cf, summary="Older request")
    second, second_thread = link_request(bot, slack, cf, summary="Busy request", status="accepted")
    theirs = cf.add_request(summary="Someone else's")
    bot.command(f"link {theirs}", response_url=slack.response_url("bob"), user="U222")
    wait_for(lambda: bot.run(bot.service.store.links.linked_by("U222")), what="U222's link")
    cf.add_message(first, content="An answer makes this one the most recently active")
    bot.poll()

    view = open_home(bot, slack)
    sections = link_sections(view)
    assert [s["text"]["text"].split("\n")[0] for s in sections] == ["*Older request*", "*Busy request*"]
    busy = sections[1]["text"]["text"]
    assert f"Cloudforce One `{second}` · *accepted* · in <#{CHANNEL}>" in busy and "Last activity <!date^" in busy
    urls = [s["accessory"]["url"] for s in sections]
    permalinks = {c["message_ts"]: c for c in slack.calls_to("chat.getPermalink")}
    assert set(permalinks) >= {first_thread, second_thread}
    assert urls == [f"https://fake.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}"
                    for ts in (first_thread, second_thread)]
    assert "Someone else's" not in str(view)
    assert "Someone else's" in str(open_home(bot, slack, "U222", event_id="EvHome2"))


def test_unlinked_requests_leave_the_list_and_permalinks_are_read_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    kept, _ = link_request(bot, slack, cf, summary="Kept")
    dropped, _ = link_request(bot, slack, cf, summary="Dropped")
    open_home(bot, slack)
    bot.command(f"unlink {dropped}", response_url=slack.response_url("unlink"))
    wait_for(lambda: any(r[0] == "unlink" for r in slack.responses), what="unlink answer")
    calls = len(slack.calls_to("chat.getPermalink"))

    view = open_home(bot, slack, event_id="EvHome2")
    assert [s["text"]["text"].split("\n")[0] for s in link_sections(view)] == ["*Kept*"]
    assert len(slack.calls_to("chat.getPermalink")) == calls  # cached: a permalink never changes


def test_other_tabs_publish_nothing(bot: RunningBot, slack: FakeSlack) -> None:
    response = bot.post_event(app_home_opened("U111", tab="messages"), event_id="EvMessages")
    assert response.status_code == 200
    open_home(bot, slack)  # the Home tab opened afterwards is published: only that one
    assert len(slack.calls_to("views.publish")) == 1


def test_the_thread_button_is_acknowledged(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    link_request(bot, slack, cf)
    view = open_home(bot, slack)
    button_block = link_sections(view)[0]
    payload = {
        "type": "block_actions", "team": {"id": "T111", "domain": "test"},
        "user": {"id": "U111", "username": "alice", "name": "alice", "team_id": "T111"},
        "api_app_id": "A111", "token": "verification-token", "trigger_id": "333.444.home",
        "container": {"type": "view", "view_id": view["id"]}, "view": view,
        "actions": [{"action_id": HomeAction.OPEN_THREAD, "block_id": button_block["block_id"], "type": "button",
                     "text": button_block["accessory"]["text"], "value": button_block["accessory"]["value"],
                     "action_ts": f"{time.time():.6f}"}],
    }
    response = send(bot, payload)
    assert response.status_code == 200, response.text  # Bolt answers 404 to an action nobody listens to
