"""`/request new` end to end: the signed command opens a modal filled from Cloudforce One's lists, the signed
submission creates the request on the fake and links it in the channel."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.slack.new_request_modal import CALLBACK_ID, Field
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from sandbox.slack_views import OpenedView
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL
from tests.interactions import select_value, send, text_value, view_submission


def open_form(bot: RunningBot, slack: FakeSlack, text: str = "new", *, trigger_age: float = 0.0,
              response_url: str | None = None) -> OpenedView | None:
    """Type the command; the modal it opened, or None once the command's answer came without one."""
    before_views, before_answers = len(slack.opened_views()), len(slack.responses)
    trigger = slack.issue_trigger("U111", age=trigger_age)
    ack = bot.command(text, response_url=response_url or slack.response_url("new"), trigger_id=trigger)
    assert ack.status_code == 200, ack.text
    wait_for(lambda: len(slack.opened_views()) > before_views or len(slack.responses) > before_answers,
             what="the modal or an answer")
    opened = slack.opened_views()
    return opened[-1] if len(opened) > before_views else None


def answer(slack: FakeSlack) -> str:
    """The last text sent to the command's response_url."""
    found: str = slack.responses[-1][1]["text"]
    return found


def fill(opened: OpenedView, *, summary: str = "DoS on edge", content: str = "Which regions were hit?",
         request_type: str | None = None, priority: str | None = None, tlp: str | None = None) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {Field.SUMMARY: {Field.SUMMARY: text_value(summary)},
                                         Field.CONTENT: {Field.CONTENT: text_value(content)}}
    for field, value in ((Field.REQUEST_TYPE, request_type), (Field.PRIORITY, priority), (Field.TLP, tlp)):
        values[field] = {field: select_value(opened, field, value) if value else
                         {"type": "static_select", "selected_option": None}}
    return view_submission(opened, values=values)


def submit(bot: RunningBot, payload: dict[str, Any]) -> dict[str, Any]:
    response = send(bot, payload)
    assert response.status_code == 200, response.text
    return response.json() if response.content else {}


def creates(cf: FakeCloudforceOne) -> list[dict[str, Any]]:
    return cf.calls_matching("POST", "/cloudforce-one/requests/new")


def options(opened: OpenedView, field: Field) -> list[str]:
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == field)
    return [o["value"] for o in block["element"]["options"]]


def test_the_modal_offers_what_the_api_lists(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    cf.request_types = ["Indicators of Compromise", "Victomology", "Malware analysis"]
    opened = open_form(bot, slack)
    assert opened is not None and opened.user == "U111"
    view = opened.view
    assert view["callback_id"] == CALLBACK_ID and view["submit"]["text"] == "Create"
    assert options(opened, Field.REQUEST_TYPE) == cf.request_types
    assert options(opened, Field.PRIORITY) == ["routine", "high", "urgent"]
    assert options(opened, Field.TLP) == ["clear", "green", "amber", "amber-strict", "red"]
    assert f"<#{CHANNEL}>" in view["blocks"][0]["text"]["text"]
    assert [c["method"] + " " + c["path"].rsplit("/", 1)[-1] for c in cf.calls] == ["GET types", "GET constants"]
    assert slack.responses == []  # nothing to say: the modal is the answer

    # The lists are cached: a second form costs no call to Cloudforce One, so it opens well within 3 s.
    cf.clear_calls()
    assert open_form(bot, slack) is not None
    assert cf.calls == []


def test_submitting_creates_the_request_and_links_it_here(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    assert submit(bot, fill(opened, request_type="Victomology", priority="high", tlp="amber")) == {}

    wait_for(lambda: slack.responses, what="the outcome")
    [call] = creates(cf)
    assert call["json"] == {"summary": "DoS on edge", "content": "Which regions were hit?",
                            "request_type": "Victomology", "priority": "high", "tlp": "amber"}
    link = bot.run(bot.service.store.links.in_channel(CHANNEL))[0]
    created = cf.request(link.request_id)
    assert (created["summary"], created["request"], created["priority"], created["tlp"], created["status"]) == \
        ("DoS on edge", "Victomology", "high", "amber", "open")
    assert link.created_by == "U111" and link.thread_ts is not None
    root = slack.message(CHANNEL, link.thread_ts)
    assert root is not None and link.request_id in root["text"] and "DoS on edge" in root["text"]
    text = answer(slack)
    assert text.startswith(":white_check_mark: Created Cloudforce One request") and link.request_id in text
    assert "Linked request" in text
    assert slack.responses[-1][1]["response_type"] == "ephemeral"
    # The thread opens with the question, which Cloudforce One keeps as the request's content, not a message.
    replies = [m["text"] for m in slack.thread(CHANNEL, link.thread_ts)[1:]]
    assert replies == ["<@U111> asked:\n>Which regions were hit?"]

    # The thread is a linked thread like any other: an analyst's answer arrives in it.
    cf.add_message(link.request_id, author="ana@cloudflare.com", content="Looking into it")
    bot.poll()
    assert slack.thread(CHANNEL, link.thread_ts)[-1]["text"].endswith("Looking into it")


def test_left_empty_the_choices_are_the_apis_defaults(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    question = "Seen from <!channel> & AS64500?\nSince 09:00"
    submit(bot, fill(opened, content=question))
    wait_for(lambda: slack.responses, what="the outcome")
    assert creates(cf)[0]["json"] == {"summary": "DoS on edge", "content": question}
    link = bot.run(bot.service.store.links.in_channel(CHANNEL))[0]
    assert link.thread_ts is not None
    assert slack.thread(CHANNEL, link.thread_ts)[1]["text"] == \
        "<@U111> asked:\n>Seen from &lt;!channel&gt; &amp; AS64500?\n>Since 09:00"


@pytest.mark.parametrize(("summary", "content", "errors"), [
    ("   ", "x", {Field.SUMMARY}),
    ("Title", " \n ", {Field.CONTENT}),
    ("", "", {Field.SUMMARY, Field.CONTENT}),
])
def test_a_blank_field_is_refused_on_the_modal(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne,
                                               summary: str, content: str, errors: set[str]) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    body = submit(bot, fill(opened, summary=summary, content=content))
    assert body["response_action"] == "errors" and set(body["errors"]) == errors
    assert creates(cf) == [] and bot.run(bot.service.store.links.in_channel(CHANNEL)) == []


def test_a_repeated_submission_creates_one_request(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    payload = fill(opened)
    assert submit(bot, payload) == {}
    # Slack delivers the same submission again (a retry after a slow answer, a double click).
    assert send(bot, payload, retry_num=1).status_code == 200
    assert submit(bot, payload) == {}
    wait_for(lambda: slack.responses, what="the outcome")
    bot.run(bot.service.requests.background.wait_idle())
    assert len(creates(cf)) == 1
    assert len(bot.run(bot.service.store.links.in_channel(CHANNEL))) == 1
    assert len([r for r in slack.responses if "Created" in r[1]["text"]]) == 1


def test_refused_credentials_are_told_and_nothing_is_linked(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    cf.api_token = "rotated-elsewhere"
    submit(bot, fill(opened))
    wait_for(lambda: slack.responses, what="the outcome")
    text = answer(slack)
    assert text.startswith(":warning: Creating the Cloudforce One request failed")
    assert "refused the bot's credentials" in text
    assert bot.run(bot.service.store.links.in_channel(CHANNEL)) == []
    assert slack.calls_to("chat.postMessage") == []


def test_a_create_left_unanswered_is_not_repeated(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    cf.fail_next("create_request", "apply_then_500")  # created, but the answer is a 500
    submit(bot, fill(opened))
    wait_for(lambda: slack.responses, what="the outcome")
    assert "may or may not exist" in answer(slack) and "DoS on edge" in answer(slack)
    assert len(creates(cf)) == 1  # an unconfirmed create is never blindly repeated


def test_outside_the_bots_channels_the_request_is_created_and_the_person_told_how_to_link_it(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    slack.leave_channel(CHANNEL)
    opened = open_form(bot, slack)
    assert opened is not None
    submit(bot, fill(opened))
    wait_for(lambda: slack.responses, what="the outcome")  # response_url works where the bot cannot post
    [call] = creates(cf)
    assert call["json"]["summary"] == "DoS on edge"
    text = answer(slack)
    assert text.startswith(":white_check_mark: Created Cloudforce One request") and "/invite @request-bridge" in text
    assert bot.run(bot.service.store.links.in_channel(CHANNEL)) == []


def test_when_the_response_url_has_expired_the_outcome_is_an_ephemeral_message(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack, response_url="http://127.0.0.1:9/expired")
    assert opened is not None
    submit(bot, fill(opened))
    told = wait_for(lambda: [e for e in slack.ephemerals if "Created" in e["text"]], what="an ephemeral message")
    assert told[0]["channel"] == CHANNEL and told[0]["user"] == "U111"
    assert len(creates(cf)) == 1


def test_the_types_cannot_be_listed(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    cf.api_token = "rotated-elsewhere"
    assert open_form(bot, slack) is None
    text = answer(slack)
    assert text.startswith(":warning: Loading Cloudforce One's request types failed") and "credentials" in text


def test_a_slow_provider_is_explained_and_the_next_form_opens(
        slack: FakeSlack, cf: FakeCloudforceOne, tmp_path: Any) -> None:
    from tests.harness import bot_settings

    running = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                      cf_url=cf.base_url.removesuffix("/client/v4"), db_path=tmp_path / "b.db",
                                      http_timeout_seconds=10.0))
    try:
        cf.fail_next("request_types", "slow", delay=2.5)  # past what Slack's 3 s trigger leaves for it
        started = time.monotonic()
        assert open_form(running, slack) is None
        assert "took too long" in answer(slack) and time.monotonic() - started < 3.0
        # The listing went on in the background; the next form uses it without asking again.
        assert open_form(running, slack) is not None
        assert len(cf.calls_matching("GET", "/requests/types")) == 1
    finally:
        running.stop()


def test_an_expired_trigger_is_explained(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    assert open_form(bot, slack, trigger_age=5.0) is None
    assert "expired_trigger_id" in answer(slack) and "/request new" in answer(slack)


@pytest.mark.parametrize(("text", "expected"), [
    ("new jitsudo", "Unknown provider `jitsudo`"),
    ("new cloudforce-one extra", "takes at most a provider"),
])
def test_a_wrong_provider_is_refused_at_once(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne,
                                             text: str, expected: str) -> None:
    ack = bot.command(text, response_url=slack.response_url("new"), trigger_id=slack.issue_trigger("U111"))
    assert expected in ack.json()["text"]
    assert slack.opened_views() == [] and cf.calls == []


def test_a_person_taken_off_the_allowlist_while_the_form_is_open_creates_nothing(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    opened = open_form(bot, slack)
    assert opened is not None
    # The operator narrows the allowlist and restarts the bridge while the form is open.
    bot.stop()
    narrowed = RunningBot(bot.settings.model_copy(update={"allowed_user_ids": "U999"}))
    try:
        body = submit(narrowed, fill(opened))
        assert body["response_action"] == "errors" and "not allowed" in body["errors"][Field.SUMMARY]
        assert creates(cf) == []
    finally:
        narrowed.stop()


def test_outside_the_channel_allowlist_no_form_opens(
        slack: FakeSlack, cf: FakeCloudforceOne, tmp_path: Any) -> None:
    from tests.harness import bot_settings

    running = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                      cf_url=cf.base_url.removesuffix("/client/v4"), db_path=tmp_path / "b.db",
                                      allowed_channel_ids="C999"))
    try:
        assert open_form(running, slack) is None
        assert "allowlist" in answer(slack) and cf.calls == []
    finally:
        running.stop()
