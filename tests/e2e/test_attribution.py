"""Analyst posts in Slack: under the analyst's name with a context line, and without the scope for it.

Block Kit payloads are asserted as Slack received them (the fake checks them against Slack's limits).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from bot.slack.posts import SECTION_TEXT_LIMIT, deleted_text, message_metadata, provider_message_text
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import BOT_SCOPES, FakeSlack
from tests import events
from tests.conftest import restart
from tests.harness import RunningBot
from tests.helpers import CHANNEL, link_request

CREATED = "2026-11-23T10:15:00Z"
EPOCH = int(datetime(2026, 11, 23, 10, 15, tzinfo=UTC).timestamp())
WITHOUT_CUSTOMIZE = [s for s in BOT_SCOPES.split(",") if s != "chat:write.customize"]


def posts(slack: FakeSlack) -> list[dict[str, Any]]:
    """chat.postMessage calls that went through, in order."""
    return [c["params"] for c in slack.calls if c["method"] == "chat.postMessage" and not c["injected"]
            and c["params"].get("thread_ts")]


def context_line(request_id: str, *extra: str) -> dict[str, Any]:
    when = f"<!date^{EPOCH}^{{date_short_pretty}} at {{time}}|2026-11-23 10:15 UTC>"
    text = " · ".join(["Cloudforce One", f"request `{request_id}`", when, *extra])
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def test_an_analyst_post_carries_the_analysts_name_icon_blocks_text_and_metadata(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    message = cf.add_message(request_id, author="ana@cloudflare.com", content="*Found* it: <!channel>",
                             created=CREATED)
    bot.poll()
    [sent] = posts(slack)
    assert sent["username"] == "ana@cloudflare.com" and sent["icon_emoji"] == ":bust_in_silhouette:"
    # The notification text names the author; the block shows the content alone under the author's name.
    assert sent["text"] == provider_message_text(author="ana@cloudflare.com", content="*Found* it: <!channel>",
                                                 provider_name="Cloudforce One")
    assert sent["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Found* it: &lt;!channel&gt;"}},
        context_line(request_id),
    ]
    assert sent["metadata"]["event_payload"]["message_id"] == str(message["id"])
    shown = slack.thread(CHANNEL, thread)[-1]
    assert shown["username"] == "ana@cloudflare.com" and shown["icons"] == {"emoji": ":bust_in_silhouette:"}


def test_an_edit_keeps_the_shape_and_a_deletion_replaces_the_blocks(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    message = cf.add_message(request_id, author="ana@cloudflare.com", content="first", created=CREATED)
    bot.poll()
    ts = slack.thread(CHANNEL, thread)[-1]["ts"]
    cf.edit_message(request_id, message["id"], "second")
    bot.poll(full=True)
    [update] = slack.calls_to("chat.update")
    assert update["ts"] == ts and "username" not in update  # chat.update cannot change the author
    assert update["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": "second"}},
                                context_line(request_id)]
    assert update["text"].endswith("\nsecond")
    cf.delete_message(request_id, message["id"])
    bot.poll(full=True)
    gone = slack.message(CHANNEL, ts)
    assert gone is not None
    note = deleted_text(author="ana@cloudflare.com", provider_name="Cloudforce One")
    # Slack keeps blocks an update omits: the deletion must replace them, or the old text would stay.
    assert gone["text"] == note
    assert gone["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": note}}, context_line(request_id)]


def test_without_the_scope_the_name_goes_into_the_text(bot: RunningBot, slack: FakeSlack,
                                                       cf: FakeCloudforceOne) -> None:
    slack.set_scopes(slack.bot_token, WITHOUT_CUSTOMIZE)
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, author="ana@cloudflare.com", content="hello", created=CREATED)
    bot.poll()
    [sent] = posts(slack)
    assert "username" not in sent and "icon_emoji" not in sent  # the token's scopes said so: never tried
    expected = "*ana@cloudflare.com* (Cloudforce One):\nhello"
    assert sent["text"] == expected
    assert sent["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": expected}}


def test_a_scope_taken_away_later_is_refused_then_posted_with_the_name_in_the_text(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, author="ana@cloudflare.com", content="one", created=CREATED)
    bot.poll()
    # A reinstall without chat:write.customize; the bridge still believes it has it until Slack answers.
    slack.set_scopes(slack.bot_token, WITHOUT_CUSTOMIZE)
    bot.service.slack._customize = True  # noqa: SLF001 - what it learnt before the scope went away
    cf.add_message(request_id, author="ben@cloudflare.com", content="two", created=CREATED)
    bot.poll()
    calls = [c for c in slack.calls if c["method"] == "chat.postMessage"][-2:]
    refused = next(c for c in slack.calls if c["method"] == "chat.postMessage" and c["params"].get("username") ==
                   "ben@cloudflare.com")
    assert refused in calls
    retried = calls[-1]["params"]
    assert "username" not in retried
    assert retried["blocks"][0]["text"]["text"] == "*ben@cloudflare.com* (Cloudforce One):\ntwo"
    texts = [m["text"] for m in slack.thread(CHANNEL, thread)[1:]]
    assert texts.count("*ben@cloudflare.com* (Cloudforce One):\ntwo") == 1  # posted once


def test_where_slack_ignores_the_name_the_post_is_updated_to_carry_it(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    slack.customize_without_scope = "ignore"
    request_id, thread = link_request(bot, slack, cf)
    slack.set_scopes(slack.bot_token, WITHOUT_CUSTOMIZE)
    bot.service.slack._customize = True  # noqa: SLF001 - believed before the scope went away
    cf.add_message(request_id, author="ana@cloudflare.com", content="hello", created=CREATED)
    bot.poll()
    shown = slack.thread(CHANNEL, thread)[1:]
    assert len(shown) == 1 and "username" not in shown[0]
    assert shown[0]["blocks"][0]["text"]["text"] == "*ana@cloudflare.com* (Cloudforce One):\nhello"


def test_a_long_message_is_split_into_parts_that_keep_code_blocks_whole_and_follow_edits(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    code = "\n".join(f"line {n:04d} = value_{n}" for n in range(300))  # ~7,500 characters of code
    message = cf.add_message(request_id, author="ana@cloudflare.com", content=f"Logs:\n```\n{code}\n```\nDone.",
                             created=CREATED)
    bot.poll()
    sent = posts(slack)
    assert len(sent) >= 3
    bodies = [p["blocks"][0]["text"]["text"] for p in sent]
    for n, body in enumerate(bodies, 1):
        assert len(body) <= SECTION_TEXT_LIMIT and body.count("```") % 2 == 0, body[-40:]
        assert part_of(sent[n - 1]) == (n if n > 1 else None)
        assert sent[n - 1]["blocks"][1]["elements"][0]["text"].endswith(f"part {n} of {len(sent)}")
    joined = "\n".join(bodies)
    assert all(f"line {n:04d} = value_{n}" in joined for n in range(300))
    thread_ts = [m["ts"] for m in slack.thread(CHANNEL, thread)[1:]]
    assert len(thread_ts) == len(sent)
    # Shorter now: the first post is updated, the other parts are removed.
    cf.edit_message(request_id, message["id"], "short now")
    bot.poll(full=True)
    left = slack.thread(CHANNEL, thread)[1:]
    assert [m["ts"] for m in left] == thread_ts[:1]
    assert left[0]["blocks"][0]["text"]["text"] == "short now"
    # Deleted: nothing of it is left but the note.
    cf.delete_message(request_id, message["id"])
    bot.poll(full=True)
    assert [m["text"] for m in slack.thread(CHANNEL, thread)[1:]] == [
        deleted_text(author="ana@cloudflare.com", provider_name="Cloudforce One")]


def part_of(post: dict[str, Any]) -> int | None:
    return post["metadata"]["event_payload"].get("part")


def test_people_of_the_thread_named_by_the_analyst_are_mentioned_even_after_a_restart(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)  # linked by U111, "Alice"
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", user="U222",
                                text="hello from Slack"), event_id="Ev1")
    bot.drain()
    bot = restart(bot)  # a new process knows no names until it looks them up
    try:
        cf.add_message(request_id, author="ana@cloudflare.com",
                       content="@Alice @Bob Builder thanks; @Nobody, @channel", created=CREATED)
        bot.poll()
        body = posts(slack)[-1]["blocks"][0]["text"]["text"]
        assert body == "<@U111> <@U222> thanks; @Nobody, @channel"
    finally:
        bot.stop()


LONG = "\n".join(f"paragraph {n:03d} " + "word " * 30 for n in range(40))  # ~7,000 characters


def test_a_crash_between_parts_posts_only_the_missing_ones(bot: RunningBot, slack: FakeSlack,
                                                           cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    message = cf.add_message(request_id, author="ana@cloudflare.com", content=LONG, created=CREATED)
    store = bot.service.store
    link = bot.run(store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    # What a process killed after posting part 1 leaves: the row still `posting`, part 1 in the thread.
    row = bot.run(store.messages.insert_provider(link_id=link.id, provider_message_id=str(message["id"]),
                                                content=LONG, author="ana@cloudflare.com", provider_created=CREATED))
    bot.run(store.messages.begin_attempt(row))
    first = httpx.post(slack.base_url + "chat.postMessage", headers={"Authorization": f"Bearer {slack.bot_token}"},
                       json={"channel": CHANNEL, "thread_ts": thread, "text": "part 1",
                             "metadata": message_metadata(link_id=link.id, provider="cloudforce-one",
                                                          request_id=request_id, message_id=str(message["id"]))},
                       ).json()["ts"]
    bot.poll()
    posted = slack.thread(CHANNEL, thread)[1:]
    assert posted[0]["ts"] == first
    parts = [part_of({"metadata": m["metadata"]}) for m in posted]
    assert parts == [None, *range(2, len(posted) + 1)] and len(posted) >= 3  # each part once, in order
    assert bot.run(store.messages.by_provider_id(link.id, str(message["id"]))).slack_ts == first


def test_a_message_that_grows_gets_its_new_parts_at_the_end(bot: RunningBot, slack: FakeSlack,
                                                           cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    message = cf.add_message(request_id, author="ana@cloudflare.com", content="short", created=CREATED)
    cf.add_message(request_id, author="ben@cloudflare.com", content="next", created=CREATED)
    bot.poll()
    cf.edit_message(request_id, message["id"], LONG)
    bot.poll(full=True)
    texts = [m["blocks"][0]["text"]["text"] for m in slack.thread(CHANNEL, thread)[1:]]
    assert texts[0].startswith("paragraph 000") and texts[1] == "next" and len(texts) >= 4
    cf.delete_message(request_id, message["id"])
    bot.poll(full=True)
    assert [m["blocks"][0]["text"]["text"] for m in slack.thread(CHANNEL, thread)[1:]] == [
        deleted_text(author="ana@cloudflare.com", provider_name="Cloudforce One"), "next"]


def test_slack_formatting_reaches_the_provider_as_readable_text(bot: RunningBot, slack: FakeSlack,
                                                                cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    text = ":tada: *done*, see <https://x.io/a?b=1&amp;c=2|the logs> &amp; ask <@U222> in <#C9|ops>\n&gt; quoted"
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", user="U111", text=text),
                   event_id="Ev1")
    bot.drain()
    assert [m["content"] for m in cf.messages(request_id)] == [
        "Alice (via Slack): 🎉 *done*, see the logs (https://x.io/a?b=1&c=2) & ask @Bob Builder in #ops\n> quoted"]
