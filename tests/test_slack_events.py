"""classify() against Slack's own payload fixtures (tests/data/slack-event-payload-examples.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.models import EventKind
from bot.slack.events import classify

FIXTURES = json.loads((Path(__file__).parent / "data" / "slack-event-payload-examples.json").read_text())


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(FIXTURES["events_api"][name]["body"]["event"])
    event.update(changes)
    return event


@pytest.mark.parametrize("name", [
    "message_user_top_level",  # a channel message, not in a thread
    "message_from_other_app_bot_modern",
    "message_bot_message_classic",
    "message_changed_parent_reply_bookkeeping",  # the root's reply count changed: not an edit
    "message_file_share",  # top level
])
def test_events_that_are_not_thread_work_are_ignored(name: str) -> None:
    assert classify(fixture(name)) is None


def test_a_reply_in_a_thread() -> None:
    found = classify(fixture("message_thread_reply_in_channel"))
    assert found is not None
    assert (found.kind, found.channel, found.ts, found.thread_ts, found.user, found.text) == (
        EventKind.REPLY, "C111", "1726133700.887259", "1726133698.626339", "W222", "When Slack was released?")
    assert found.dedup_key == "reply:C111:1726133700.887259"


def test_a_broadcast_reply_is_a_reply() -> None:
    found = classify(fixture("message_thread_broadcast"))
    assert found is not None and found.kind == EventKind.REPLY and found.thread_ts == "1633663824.000500"


def test_a_file_in_a_thread_is_carried_as_a_named_link() -> None:
    found = classify(fixture("message_file_share", thread_ts="1652227600.000100"))
    assert found is not None
    assert found.text == "Hi there!\n[file] <https://xxx.slack.com/files/U111/F111/file.png|file.png>"


def test_an_edit_of_a_thread_reply() -> None:
    event = fixture("message_changed_user_edit")
    event["message"].update(ts="1665102338.901939", thread_ts="1665102000.000100")
    found = classify(event)
    assert found is not None and found.kind == EventKind.EDIT and found.text == "updated message"
    assert found.dedup_key == "edit:C111:1665102338.901939:1665102362.000000"


def test_an_edit_without_thread_or_of_a_bot_post_is_ignored() -> None:
    assert classify(fixture("message_changed_user_edit")) is None  # the fixture's message has no thread_ts
    event = fixture("message_changed_user_edit")
    event["message"].update(ts="1665102338.901939", thread_ts="1665102000.000100", bot_id="BBOT")
    assert classify(event) is None


def test_a_deletion_names_the_deleted_ts_even_without_thread_ts() -> None:
    found = classify(fixture("message_deleted"))
    assert found is not None and found.kind == EventKind.DELETE
    assert (found.ts, found.thread_ts, found.dedup_key) == ("1665368619.804829", None,
                                                            "delete:C111:1665368619.804829")


def test_deleting_a_bot_post_is_ignored() -> None:
    event = fixture("message_deleted")
    event["previous_message"]["bot_id"] = "BBOT"
    assert classify(event) is None
