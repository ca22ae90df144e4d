"""Interactive payloads as Slack sends them (message shortcuts, modal submissions), and their delivery.

Shapes: `message_action` is the fixture in tests/data/slack-event-payload-examples.json (bolt-python's
tests/scenario_tests/test_shortcut.py); `view_submission` follows bolt-python's
tests/scenario_tests_async/test_view_submission.py (MIT, commit 0fa6ca9d), with the view as the fake Slack
opened it, as real Slack does. Both go to /slack/events form-encoded as `payload=<JSON>`, signed.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

from sandbox.slack import FakeSlack
from sandbox.slack_views import OpenedView
from tests.harness import RunningBot, sign

EXAMPLES = json.loads((Path(__file__).parent / "data" / "slack-event-payload-examples.json").read_text())


def message_shortcut(*, callback_id: str, trigger_id: str, channel: str, message: dict[str, Any],
                     response_url: str, user: str = "U111") -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(EXAMPLES["interactivity"]["message_shortcut"]["payload"])
    payload.update(callback_id=callback_id, trigger_id=trigger_id, message_ts=message["ts"],
                   message=copy.deepcopy(message), response_url=response_url)
    payload["team"] = {"id": "T111", "domain": "test"}
    payload["user"] = {"id": user, "name": user.lower()}
    payload["channel"] = {"id": channel, "name": "general"}
    return payload


def view_submission(opened: OpenedView, *, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Submitting the modal the fake opened, with `values` as view.state.values (block -> action -> value)."""
    view = copy.deepcopy(opened.view)
    view["state"] = {"values": values}
    return {
        "type": "view_submission", "team": {"id": "T111", "domain": "test"},
        "user": _user(opened.user),
        "api_app_id": "A111", "token": "verification-token", "trigger_id": "222.333.submission",
        "view": view, "response_urls": [], "is_enterprise_install": False,
    }


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T111"}


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(opened: OpenedView, block_id: str, value: str) -> dict[str, Any]:
    """The option with `value` of the modal's select, chosen (as Slack reports it)."""
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == block_id)
    option = next(o for o in block["element"]["options"] if o["value"] == value)
    return {"type": "static_select", "selected_option": option}


def checkboxes(opened: OpenedView, block_id: str, *values: str) -> dict[str, Any]:
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == block_id)
    return {"type": "checkboxes",
            "selected_options": [o for o in block["element"]["options"] if o["value"] in values]}


def send(bot: RunningBot, payload: dict[str, Any], *, retry_num: int | None = None) -> httpx.Response:
    """Deliver an interactive payload as Slack does (signed form body)."""
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    if retry_num is not None:
        headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
    return bot.http.post("/slack/events", content=body, headers=headers)


def use_shortcut(bot: RunningBot, slack: FakeSlack, callback_id: str, *, channel: str, ts: str,
                 user: str = "U111", trigger_age: float = 0.0) -> OpenedView | None:
    """A person uses a message shortcut on the message `ts`: the modal it opened, or None."""
    message = slack.message(channel, ts)
    assert message is not None
    message.pop("deleted")  # the fake's own marker, not part of Slack's message
    before = len(slack.opened_views())
    trigger = slack.issue_trigger(user, age=trigger_age)
    response = send(bot, message_shortcut(callback_id=callback_id, trigger_id=trigger, channel=channel,
                                          message=message, response_url=slack.response_url(callback_id),
                                          user=user))
    assert response.status_code == 200, response.text
    opened = slack.opened_views()
    return opened[-1] if len(opened) > before else None


def button_press(*, message: dict[str, Any], channel: str, action_id: str, response_url: str,
                 user: str = "U111") -> dict[str, Any]:
    """A `block_actions` payload for pressing the button `action_id` of a message (Slack's documented shape)."""
    block, button = next((b, e) for b in message.get("blocks", []) for e in b.get("elements", [])
                         if e.get("action_id") == action_id)
    return {
        "type": "block_actions", "user": _user(user),
        "api_app_id": "A111", "token": "verification-token", "trigger_id": "333.444.press",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False},
        "team": {"id": "T111", "domain": "test"}, "channel": {"id": channel, "name": "general"},
        "message": copy.deepcopy(message), "response_url": response_url, "state": {"values": {}},
        "actions": [{"action_id": action_id, "block_id": block["block_id"], "text": button["text"],
                     "value": button.get("value"), "type": "button", "action_ts": "1700000000.000900"}],
    }
