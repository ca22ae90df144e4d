"""The linker's mention when the other side answers: `/request notify on|off`, end to end."""

from __future__ import annotations

from bot.bridge.notifications import NotifyAction
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, link_request, thread_texts
from tests.interactions import button_press, send


def notify(bot: RunningBot, slack: FakeSlack, text: str, *, user: str = "U111") -> str:
    before = len(slack.responses)
    ack = bot.command(f"notify {text}", response_url=slack.response_url("notify"), user=user)
    assert ack.status_code == 200
    if ack.content and ack.json().get("text"):
        return str(ack.json()["text"])
    wait_for(lambda: len(slack.responses) > before, what="the notify answer")
    return str(slack.responses[-1][1]["text"])


def answer(bot: RunningBot, cf: FakeCloudforceOne, request_id: str, content: str) -> int:
    """An analyst answers and the bridge polls; the message's id."""
    message = cf.add_message(request_id, author="ana@cloudflare.com", content=content)
    bot.poll()
    return int(message["id"])


def test_the_linker_is_mentioned_on_answers_once_they_ask(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    cf.add_message(request_id, author="ana@cloudflare.com", content="Earlier question")
    bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, what="the link")
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.thread_ts is not None
    thread_ts = link.thread_ts
    answer(bot, cf, request_id, "Not yet asked for")
    assert "You will be mentioned" in notify(bot, slack, f"on {request_id}")

    message_id = answer(bot, cf, request_id, "We found the origin")
    texts = thread_texts(slack, thread_ts)
    assert texts[0] == "*ana@cloudflare.com* (Cloudforce One):\nEarlier question"  # history mentions nobody
    assert texts[1] == "*ana@cloudflare.com* (Cloudforce One):\nNot yet asked for"
    assert texts[2] == "<@U111> *ana@cloudflare.com* (Cloudforce One):\nWe found the origin"

    # The analyst edits it: the edit is mirrored without mentioning again.
    posted = slack.thread(CHANNEL, thread_ts)[3]
    cf.edit_message(request_id, message_id, "We found the origin: AS64500")
    bot.poll(full=True)
    update = [c for c in slack.calls_to("chat.update") if c["ts"] == posted["ts"]]
    assert update and "AS64500" in update[-1]["text"] and "<@" not in update[-1]["text"]

    assert "no longer be mentioned" in notify(bot, slack, f"off cloudforce-one {request_id}")
    answer(bot, cf, request_id, "Closing soon")
    assert thread_texts(slack, thread_ts)[-1] == "*ana@cloudflare.com* (Cloudforce One):\nClosing soon"
    mentions = [c for c in slack.calls_to("chat.postMessage") if c["text"].startswith("<@U111>")]
    assert len(mentions) == 1


def test_only_the_linker_chooses_and_only_for_a_linked_request(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, _ = link_request(bot, slack, cf)
    assert "Only <@U111>, who linked" in notify(bot, slack, f"on {request_id}", user="U222")
    other = cf.add_request()
    assert f"Request `{other}` is not linked in this channel" in notify(bot, slack, f"on {other}")
    assert "takes `on` or `off`" in notify(bot, slack, f"loudly {request_id}")
    assert "is not a Cloudforce One request id" in notify(bot, slack, "on not-a-uuid")
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and not link.notify_linker


def test_a_post_retried_after_slack_failed_mentions_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread_ts = link_request(bot, slack, cf)
    notify(bot, slack, f"on {request_id}")
    # Slack answers the first post with garbage: the next poll looks for it in the thread, then posts it.
    slack.fail_next("chat.postMessage", "garbage")
    answer(bot, cf, request_id, "Answer one")
    answer(bot, cf, request_id, "Answer two")
    bot.poll()
    texts = [t for t in thread_texts(slack, thread_ts) if "Answer" in t]
    assert texts == ["<@U111> *ana@cloudflare.com* (Cloudforce One):\nAnswer one",
                     "<@U111> *ana@cloudflare.com* (Cloudforce One):\nAnswer two"]


def press(bot: RunningBot, slack: FakeSlack, ts: str, *, user: str) -> str:
    """Press the announcement's notify button; what the presser is told."""
    message = slack.message(CHANNEL, ts)
    assert message is not None
    message.pop("deleted")
    before = len(slack.responses)
    payload = button_press(message=message, channel=CHANNEL, action_id=NotifyAction.TOGGLE, user=user,
                           response_url=slack.response_url("press"))
    assert send(bot, payload).status_code == 200
    wait_for(lambda: len(slack.responses) > before, what="the button's answer")
    name, body = slack.responses[-1]
    assert name == "press" and body["response_type"] == "ephemeral" and body["replace_original"] is False
    return str(body["text"])


def button_label(slack: FakeSlack, ts: str) -> str:
    message = slack.message(CHANNEL, ts)
    assert message is not None
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    return str(actions["elements"][0]["text"]["text"])


def test_the_announcement_button_switches_mentions_for_the_linker_only(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread_ts = link_request(bot, slack, cf)
    root = slack.message(CHANNEL, thread_ts)
    assert root is not None and root["blocks"][0]["text"]["text"] == root["text"]  # the announcement, as text
    assert button_label(slack, thread_ts) == "🔔 Mention the linker on answers"

    assert "Only <@U111>, who linked" in press(bot, slack, thread_ts, user="U222")
    assert button_label(slack, thread_ts) == "🔔 Mention the linker on answers"
    assert "You will be mentioned" in press(bot, slack, thread_ts, user="U111")
    assert button_label(slack, thread_ts) == "🔕 Stop mentioning the linker"
    answer(bot, cf, request_id, "Mentioned")
    assert thread_texts(slack, thread_ts)[-1].startswith("<@U111> ")

    # The command switches it too, and the button follows.
    assert "no longer be mentioned" in notify(bot, slack, f"off {request_id}")
    assert button_label(slack, thread_ts) == "🔔 Mention the linker on answers"
    answer(bot, cf, request_id, "Not mentioned")
    assert not thread_texts(slack, thread_ts)[-1].startswith("<@")
