"""The shortcuts' and notifications' decisions and Block Kit, as pure functions (no I/O)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.bridge.forwarding import forward_note, outcome_reply
from bot.bridge.notifications import NotifyAction, announcement_blocks, mention_for, with_switch_state
from bot.bridge.shortcuts import is_from_an_app, shortcut_target
from bot.models import Link, MappedMessage, MessageState
from bot.slack.commands import Action, parse
from bot.slack.shortcut_modals import (
    PRIVATE_METADATA_LIMIT,
    ActionId,
    BlockId,
    CallbackId,
    ForwardContext,
    LinkThreadContext,
    as_modal_error,
    checked,
    decode,
    encode_forward,
    link_thread_modal,
    selected,
    send_to_request_modal,
    text_input,
)
from bot.slack.thread_scope import predates_link
from sandbox.slack_views import ViewError, _check_modal

EXAMPLES = json.loads((Path(__file__).parent / "data" / "slack-event-payload-examples.json").read_text())
LINK = Link(id=7, provider="cloudforce-one", request_id="r-1", channel_id="C111", thread_ts="1700000000.000100",
            state="active", title="DoS", request_status="open", created_by="U111", created_at=0.0, poll_cursor=None,
            polls=3, last_polled_at=None)


@pytest.mark.parametrize(("notify", "polls", "expected"), [
    (True, 3, "<@U111>"),
    (True, 0, None),  # the first poll copies the request's history in: nobody is pinged for it
    (False, 3, None),
])
def test_the_linker_is_mentioned_only_when_they_asked_and_not_for_history(
        notify: bool, polls: int, expected: str | None) -> None:
    assert mention_for(replace(LINK, notify_linker=notify, polls=polls)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("notify on r-1", (Action.NOTIFY, "r-1", None, True)),
    ("notify OFF huawei CASE-1", (Action.NOTIFY, "CASE-1", "huawei", False)),
    ("notify", (Action.HELP, None, None, None)),
    ("notify on", (Action.HELP, None, None, None)),
    ("notify maybe r-1", (Action.HELP, None, None, None)),
    ("notify on a b c", (Action.HELP, None, None, None)),
])
def test_notify_parsing(text: str, expected: tuple[Any, ...]) -> None:
    command = parse(text)
    assert (command.action, command.argument, command.provider, command.switch) == expected


def test_the_fixture_shortcut_payload_names_its_message() -> None:
    payload = EXAMPLES["interactivity"]["message_shortcut"]["payload"]
    target = shortcut_target(payload)
    assert target is not None
    assert (target.user, target.channel, target.ts, target.thread_ts) == ("W111", "C111", "1583636382.000300", None)
    assert target.trigger_id == "111.222.xxx" and not is_from_an_app(target.message)
    in_thread = {**payload, "message": {**payload["message"], "thread_ts": "1583636000.000100"}}
    assert shortcut_target(in_thread).thread_ts == "1583636000.000100"  # type: ignore[union-attr]
    assert shortcut_target({**payload, "message": None}) is None
    assert is_from_an_app({**payload["message"], "bot_id": "B1"})


def _submitted(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {**view, "state": {"values": values}}


def test_link_thread_modal_is_a_valid_modal_and_reads_back() -> None:
    context = LinkThreadContext(channel="C111", thread_ts="1700000000.000100")
    one = link_thread_modal(providers=[("cloudforce-one", "Cloudforce One")], context=context)
    _check_modal(one)  # the Slack fake's checks of Slack's documented limits
    assert [b.get("block_id") for b in one["blocks"]] == [None, BlockId.REQUEST_ID, BlockId.NOTIFY]
    several = link_thread_modal(providers=[("cloudforce-one", "Cloudforce One"), ("huawei", "Huawei")],
                                context=context)
    _check_modal(several)
    provider_block = several["blocks"][1]
    assert provider_block["block_id"] == BlockId.PROVIDER
    assert [o["value"] for o in provider_block["element"]["options"]] == ["cloudforce-one", "huawei"]
    assert decode(LinkThreadContext, several["private_metadata"]) == context
    assert decode(LinkThreadContext, "{not json") is None

    view = _submitted(several, {
        BlockId.PROVIDER: {ActionId.PROVIDER: {"type": "static_select",
                                               "selected_option": provider_block["element"]["options"][1]}},
        BlockId.REQUEST_ID: {ActionId.REQUEST_ID: {"type": "plain_text_input", "value": "  CASE-1 "}},
        BlockId.NOTIFY: {ActionId.NOTIFY: {"type": "checkboxes", "selected_options": [{"value": "on"}]}},
    })
    assert selected(view, BlockId.PROVIDER, ActionId.PROVIDER) == "huawei"
    assert text_input(view, BlockId.REQUEST_ID, ActionId.REQUEST_ID) == "CASE-1"
    assert checked(view, BlockId.NOTIFY, ActionId.NOTIFY) == {"on"}
    empty = _submitted(several, {})
    assert (selected(empty, BlockId.PROVIDER, ActionId.PROVIDER), text_input(empty, BlockId.REQUEST_ID,
            ActionId.REQUEST_ID), checked(empty, BlockId.NOTIFY, ActionId.NOTIFY)) == (None, "", set())


def test_send_modal_fits_slack_limits_even_for_long_messages_and_many_requests() -> None:
    text = "line\n" * 2000
    context = ForwardContext(channel="C111", ts="1700000000.000200", author="U222", text=text)
    choices = [(n, f"Cloudforce One {'x' * 36} : a long title " * 3) for n in range(150)]
    view = send_to_request_modal(choices=choices, context=context, preview=text)
    _check_modal(view)
    options = view["blocks"][1]["element"]["options"]
    assert len(options) == 100 and all(len(o["text"]["text"]) <= 75 for o in options)
    assert "initial_option" not in view["blocks"][1]["element"]
    assert len(view["private_metadata"]) <= PRIVATE_METADATA_LIMIT
    carried = decode(ForwardContext, view["private_metadata"])
    assert carried is not None and carried.text is None and carried.ts == context.ts  # read back on submit
    short = ForwardContext(channel="C111", ts="1.2", author="U222", text="hi")
    assert decode(ForwardContext, encode_forward(short)) == short
    single = send_to_request_modal(choices=[(3, "Cloudforce One r-1")], context=short, preview="hi")
    assert single["blocks"][1]["element"]["initial_option"]["value"] == "3"
    assert single["callback_id"] == CallbackId.SEND_TO_REQUEST


def test_the_fake_would_refuse_a_broken_modal() -> None:
    broken = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    with pytest.raises(ViewError):
        _check_modal(broken)


@pytest.mark.parametrize(("reply", "expected"), [
    (":no_entry: Request `r-1` is already linked in <#C999>. Unlink it there first.",
     "Request r-1 is already linked in another channel. Unlink it there first."),
    (":warning: `x` is not a Cloudforce One request id", "x is not a Cloudforce One request id"),
    (":no_entry: Request `r-1` is already linked in this channel (<https://t.slack.com/archives/C1/p1|its thread>): "
     "one request, one thread.", "Request r-1 is already linked in this channel: one request, one thread."),
    (":no_entry: Request `r-1` is being linked in <#C999> by <@U222> right now; its thread appears there in a moment.",
     "Request r-1 is being linked in another channel by someone right now; its thread appears there in a moment."),
])
def test_modal_errors_are_plain_and_name_no_channel(reply: str, expected: str) -> None:
    assert as_modal_error(reply) == expected


def test_the_forward_note_names_people_without_pinging_and_escapes() -> None:
    note = forward_note(sender="Alice", author="Bob <b>", text="a & b\n<!channel>", permalink="https://x/p1")
    assert note == (":outbox_tray: Alice sent <https://x/p1|a message by Bob &lt;b&gt;> to this request:\n"
                    ">a &amp; b\n>&lt;!channel&gt;")
    assert forward_note(sender="Alice", author="Alice", text="t", permalink=None).startswith(
        ":outbox_tray: Alice sent their own message to this request")
    assert forward_note(sender="A", author="B", text="y" * 400, permalink=None).endswith("y…")


class _Provider:
    display_name = "Cloudforce One"


def _row(state: MessageState, error: str | None = None) -> MappedMessage:
    return MappedMessage(id=1, link_id=7, origin="slack", state=state, slack_ts="1.2", provider_message_id=None,
                         slack_user="U222", author=None, author_role=None, content="c", provider_created=None,
                         slack_edited_ts=None, attempts=1, error=error, created_at=0.0)


def test_the_sender_hears_sent_refused_or_queued() -> None:
    provider: Any = _Provider()
    assert outcome_reply(_row(MessageState.SENT), provider=provider, request_id="r-1") == \
        "Sent to Cloudforce One request `r-1`."
    assert "refused the message for request `r-1` (gone &lt;404&gt;)" in \
        outcome_reply(_row(MessageState.FAILED, "gone <404>"), provider=provider, request_id="r-1")
    for row in (_row(MessageState.PENDING), None):
        assert "queued" in outcome_reply(row, provider=provider, request_id="r-1")


def test_only_messages_before_an_existing_thread_was_linked_predate_it() -> None:
    assert not predates_link("1.0", LINK)  # a thread made by /request link: everything after its root
    linked = replace(LINK, linked_ts="1700000100.000000")
    assert predates_link("1700000099.999999", linked)
    assert not predates_link("1700000100.000001", linked)
    assert not predates_link("garbage", linked)


def test_the_announcement_carries_the_switch_and_its_label_follows_the_setting() -> None:
    blocks = announcement_blocks("x" * 3500, link_id=7, on=False)
    assert len(blocks[0]["text"]["text"]) == 3000  # a section's text limit
    [button] = blocks[1]["elements"]
    assert (button["action_id"], button["value"]) == (NotifyAction.TOGGLE, "7")
    on = with_switch_state(blocks, on=True)
    assert on is not None and on[1]["elements"][0]["text"]["text"] == "🔕 Stop mentioning the linker"
    assert blocks[1]["elements"][0]["text"]["text"] == "🔔 Mention the linker on answers"  # not changed in place
    assert with_switch_state([{"type": "section", "text": {"type": "mrkdwn", "text": "old root"}}], on=True) is None
