"""Modals for the Slack fake: trigger ids and `views.open`, as Slack documents them.

Slack's Web API extract in shared/specs does not cover the views methods; this follows Slack's public docs:
- https://docs.slack.dev/reference/methods/views.open (arguments, the `view` answer, errors
  `invalid_trigger_id`, `expired_trigger_id`, `exchanged_trigger_id`, `invalid_arguments`, `view_too_large`);
- https://api.slack.com/docs/triggers: a trigger expires three seconds after it was issued and can be
  exchanged once;
- https://docs.slack.dev/reference/views (modal fields and their limits: title/submit/close 24 characters,
  100 blocks, private_metadata 3000 characters, callback_id 255, submit required with input blocks);
- https://docs.slack.dev/reference/methods/views.publish (`user_id`, a `home` view, optional `hash`; errors
  `hash_conflict`, `not_enabled` when the app's Home tab is off, `view_too_large`, `invalid_arguments`).
Plain state, no locking: FakeSlack calls in here with its own lock held.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack_blocks import MAX_MESSAGE_BLOCKS, block_problems

TRIGGER_SECONDS = 3.0
MAX_VIEW_BYTES = 250_000  # "view_too_large: ... greater than 250kb"
TEXT_LIMIT = 24
MAX_BLOCKS = 100
PRIVATE_METADATA_LIMIT = 3000
CALLBACK_ID_LIMIT = 255
BUTTON_TEXT_LIMIT = 75
BUTTON_URL_LIMIT = 3000


class ViewError(Exception):
    """A views.* failure: Slack's error code, plus the schema messages it puts in response_metadata."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


@dataclass
class _Trigger:
    user: str
    issued_at: float  # time.monotonic()
    exchanged: bool = False


@dataclass
class OpenedView:
    user: str
    trigger_id: str
    view: dict[str, Any]


@dataclass
class Views:
    team_id: str
    app_id: str
    bot_id: str
    triggers: dict[str, _Trigger] = field(default_factory=dict)
    opened: list[OpenedView] = field(default_factory=list)
    home_enabled: bool = True  # the manifest's features.app_home.home_tab_enabled
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> the Home view published last
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def issue_trigger(self, user: str, *, age: float = 0.0) -> str:
        """A trigger id as Slack puts in an interaction payload ("12345.98765.abcd2358fdea")."""
        trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
        self.triggers[trigger_id] = _Trigger(user, time.monotonic() - age)
        return trigger_id

    def open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            raise ViewError("invalid_arguments", ["[ERROR] must provide an object [json-pointer:/view]"])
        trigger = self._exchange(params.get("trigger_id") or params.get("interactivity_pointer"))
        _check_modal(view)
        view_id = f"V{next(self._ids):08d}"
        opened = {
            "id": view_id, "team_id": self.team_id, "type": "modal",
            "title": view["title"], "close": view.get("close"), "submit": view.get("submit"),
            "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""), "external_id": view.get("external_id", ""),
            "state": {"values": {}}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": None, "root_view_id": view_id, "app_id": self.app_id,
            "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }
        self.opened.append(OpenedView(trigger.user, str(params.get("trigger_id") or ""), copy.deepcopy(opened)))
        return {"view": opened}

    def publish(self, params: dict[str, Any]) -> dict[str, Any]:
        """views.publish: replace one person's Home tab."""
        user, view = params.get("user_id"), params.get("view")
        if not user:
            raise ViewError("invalid_arguments", ["[ERROR] missing required field: user_id"])
        if not isinstance(view, dict):
            raise ViewError("invalid_arguments", ["[ERROR] must provide an object [json-pointer:/view]"])
        if not self.home_enabled:
            raise ViewError("not_enabled")
        current = self.homes.get(str(user))
        if params.get("hash") and current is not None and params["hash"] != current["hash"]:
            raise ViewError("hash_conflict")
        _check_home(view)
        view_id = current["id"] if current else f"V{next(self._ids):08d}"
        published = {
            "id": view_id, "team_id": self.team_id, "type": "home", "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""), "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "clear_on_close": False,
            "notify_on_close": False, "close": None, "submit": None, "previous_view_id": None,
            "root_view_id": view_id, "app_id": self.app_id, "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self.homes[str(user)] = copy.deepcopy(published)
        return {"view": published}

    def _exchange(self, trigger_id: object) -> _Trigger:
        if not trigger_id:
            raise ViewError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        trigger = self.triggers.get(str(trigger_id))
        if trigger is None:
            raise ViewError("invalid_trigger_id")
        if trigger.exchanged:
            raise ViewError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > TRIGGER_SECONDS:
            raise ViewError("expired_trigger_id")
        trigger.exchanged = True
        return trigger


def _view_problems(view: dict[str, Any], kind: str) -> tuple[list[str], list[Any]]:
    """What every view type shares: size, type, blocks, private_metadata, callback_id; and its blocks."""
    if len(json.dumps(view)) > MAX_VIEW_BYTES:
        raise ViewError("view_too_large")
    problems: list[str] = []
    if view.get("type") != kind:
        problems.append(f"[ERROR] must be {kind} [json-pointer:/view/type]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
        blocks = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/view/blocks]")
    if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA_LIMIT:
        problems.append(f"[ERROR] must be less than {PRIVATE_METADATA_LIMIT + 1} characters "
                        "[json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > CALLBACK_ID_LIMIT:
        problems.append(f"[ERROR] must be less than {CALLBACK_ID_LIMIT + 1} characters "
                        "[json-pointer:/view/callback_id]")
    return problems, blocks


def _check_modal(view: dict[str, Any]) -> None:
    problems, blocks = _view_problems(view, "modal")
    for key, required in (("title", True), ("submit", False), ("close", False)):
        value = view.get(key)
        if value is None:
            if required:
                problems.append(f"[ERROR] missing required field: {key} [json-pointer:/view]")
            continue
        if not isinstance(value, dict) or value.get("type") != "plain_text" or not value.get("text"):
            problems.append(f"[ERROR] must be a plain_text object [json-pointer:/view/{key}]")
        elif len(str(value["text"])) > TEXT_LIMIT:
            problems.append(f"[ERROR] must be less than {TEXT_LIMIT + 1} characters [json-pointer:/view/{key}/text]")
    block_ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append("[ERROR] duplicate block_id [json-pointer:/view/blocks]")
    if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks) and view.get("submit") is None:
        problems.append("[ERROR] a view with input blocks requires a submit button [json-pointer:/view/submit]")
    if problems:
        raise ViewError("invalid_arguments", problems)


def _check_home(view: dict[str, Any]) -> None:
    problems, blocks = _view_problems(view, "home")
    # The message checks apply to a view's blocks too, except their 50-block cap (a view holds 100).
    message_cap = f"[ERROR] no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]"
    problems += [p.replace("[json-pointer:/blocks", "[json-pointer:/view/blocks")
                 for p in block_problems(blocks) if p != message_cap]
    for n, block in enumerate(blocks):
        accessory = block.get("accessory") if isinstance(block, dict) else None
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            problems += _button_problems(accessory, f"/view/blocks/{n}/accessory")
    if problems:
        raise ViewError("invalid_arguments", problems)


def _button_problems(button: dict[str, Any], where: str) -> list[str]:
    """https://docs.slack.dev/reference/block-kit/block-elements/button-element: plain_text text of at most
    75 characters, action_id at most 255, url at most 3000."""
    problems: list[str] = []
    text = button.get("text")
    if not isinstance(text, dict) or text.get("type") != "plain_text" or not text.get("text"):
        problems.append(f"[ERROR] must be a plain_text object [json-pointer:{where}/text]")
    elif len(str(text["text"])) > BUTTON_TEXT_LIMIT:
        problems.append(f"[ERROR] must be less than {BUTTON_TEXT_LIMIT + 1} characters "
                        f"[json-pointer:{where}/text/text]")
    if len(str(button.get("action_id", ""))) > CALLBACK_ID_LIMIT:
        problems.append(f"[ERROR] must be less than {CALLBACK_ID_LIMIT + 1} characters "
                        f"[json-pointer:{where}/action_id]")
    if "url" in button and (not isinstance(button["url"], str) or len(button["url"]) > BUTTON_URL_LIMIT):
        problems.append(f"[ERROR] must be less than {BUTTON_URL_LIMIT + 1} characters [json-pointer:{where}/url]")
    return problems
