"""The Slack fake's views.open follows Slack's docs: triggers expire after 3 s and are single use."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sandbox import FakeSlack


def _open(slack: FakeSlack, **body: Any) -> dict[str, Any]:
    """Call views.open as slack_sdk does (JSON body), or form-encoded with `data=`."""
    with httpx.Client(base_url=slack.base_url, headers={"Authorization": "Bearer xoxb-test-token"}) as client:
        answer: dict[str, Any] = client.post("views.open", **body).json()
        return answer


MODAL: dict[str, Any] = {
    "type": "modal", "callback_id": "link_thread", "private_metadata": "{\"channel\": \"C111\"}",
    "title": {"type": "plain_text", "text": "Link thread"},
    "submit": {"type": "plain_text", "text": "Link"},
    "blocks": [{"type": "input", "block_id": "request", "label": {"type": "plain_text", "text": "Request id"},
                "element": {"type": "plain_text_input", "action_id": "value"}}],
}


def test_a_trigger_opens_one_modal_for_its_user(slack: FakeSlack) -> None:
    trigger = slack.issue_trigger("U111")
    body = _open(slack, json={"trigger_id": trigger, "view": MODAL})
    assert body["ok"] is True
    view = body["view"]
    assert view["id"].startswith("V") and view["root_view_id"] == view["id"]
    assert view["callback_id"] == "link_thread" and view["private_metadata"] == MODAL["private_metadata"]
    assert view["state"] == {"values": {}} and view["team_id"] == "T111" and view["bot_id"] == "BBOT"
    [opened] = slack.opened_views()
    assert opened.user == "U111" and opened.view == view

    again = _open(slack, json={"trigger_id": trigger, "view": MODAL})
    assert again == {"ok": False, "error": "exchanged_trigger_id"}
    assert len(slack.opened_views()) == 1


def test_form_encoded_view_is_a_json_string(slack: FakeSlack) -> None:
    trigger = slack.issue_trigger("U111")
    body = _open(slack, data={"trigger_id": trigger, "view": json.dumps(MODAL)})
    assert body["ok"] is True and body["view"]["title"]["text"] == "Link thread"


def test_expired_unknown_and_missing_triggers(slack: FakeSlack) -> None:
    old = slack.issue_trigger("U111", age=3.2)
    assert _open(slack, json={"trigger_id": old, "view": MODAL})["error"] == "expired_trigger_id"
    fresh = slack.issue_trigger("U111", age=2.5)
    assert _open(slack, json={"trigger_id": fresh, "view": MODAL})["ok"] is True
    unknown = _open(slack, json={"trigger_id": "1.2.abc", "view": MODAL})
    assert unknown["error"] == "invalid_trigger_id"
    missing = _open(slack, json={"view": MODAL})
    assert missing["error"] == "invalid_arguments"
    assert len(slack.opened_views()) == 1


@pytest.mark.parametrize(("change", "pointer"), [
    ({"title": {"type": "plain_text", "text": "A title longer than 24 chars"}}, "/view/title/text"),
    ({"submit": None}, "/view/submit"),
    ({"type": "home"}, "/view/type"),
    ({"private_metadata": "x" * 3001}, "/view/private_metadata"),
    ({"blocks": MODAL["blocks"] * 2}, "/view/blocks"),
])
def test_malformed_views_are_refused_with_schema_messages(
        slack: FakeSlack, change: dict[str, Any], pointer: str) -> None:
    view = {k: v for k, v in {**MODAL, **change}.items() if v is not None}
    body = _open(slack, json={"trigger_id": slack.issue_trigger("U111"), "view": view})
    assert body["ok"] is False and body["error"] == "invalid_arguments"
    assert any(pointer in m for m in body["response_metadata"]["messages"]), body
    assert slack.opened_views() == []
