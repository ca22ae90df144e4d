"""manifest.yml is a valid Slack app manifest and asks for exactly what the bridge needs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "manifest.yml"
# Slack's official manifest schema (v1); see tests/data/README.md for where the copy comes from.
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "slack-manifest.schema.json"

# What the code relies on. Keep these in step with the handlers: a later test ties them to the
# listeners registered in handlers/.
REQUIRED_BOT_SCOPES = frozenset(
    {"channels:history", "groups:history", "chat:write", "chat:write.customize", "commands", "users:read",
     "usergroups:read"}
)
REQUIRED_BOT_EVENTS = frozenset({"message.channels", "message.groups"})
REQUIRED_SLASH_COMMANDS = frozenset({"/request"})
EVENTS_PATH = "/slack/events"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    with MANIFEST_PATH.open(encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


def _urls(manifest: dict[str, Any]) -> list[str]:
    settings = manifest.get("settings", {})
    urls = [command["url"] for command in manifest["features"]["slash_commands"] if "url" in command]
    urls += [
        section["request_url"]
        for section in (settings.get("event_subscriptions", {}), settings.get("interactivity", {}))
        if "request_url" in section
    ]
    return urls


def test_manifest_matches_slack_schema(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    # The schema declares "$schema": draft-07; let jsonschema pick the validator from it, and fail
    # loudly rather than fall back to another draft if that ever changes.
    validator_class = jsonschema.validators.validator_for(schema, default=None)
    assert validator_class is jsonschema.Draft7Validator
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_check_is_not_vacuous(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["settings"]["event_subscription"] = broken["settings"].pop("event_subscriptions")  # typo
    del broken["display_information"]["name"]
    validator = jsonschema.Draft7Validator(schema)
    assert len(list(validator.iter_errors(broken))) == 2


def test_bot_scopes_are_exactly_the_required_ones(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "duplicate bot scopes"
    assert set(scopes) == REQUIRED_BOT_SCOPES


def test_bot_events_include_thread_messages(manifest: dict[str, Any]) -> None:
    bot_events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert bot_events >= REQUIRED_BOT_EVENTS


def test_slash_commands_exist(manifest: dict[str, Any]) -> None:
    commands = {command["command"] for command in manifest["features"]["slash_commands"]}
    assert commands >= REQUIRED_SLASH_COMMANDS


def test_every_url_points_at_the_events_endpoint(manifest: dict[str, Any]) -> None:
    urls = _urls(manifest)
    # Three in HTTP mode (command, events, interactivity); none once an operator switches to Socket Mode.
    expected_count = 0 if manifest["settings"].get("socket_mode_enabled") else 3
    assert len(urls) == expected_count
    for url in urls:
        assert url.startswith("https://"), url
        assert url.endswith(EVENTS_PATH), url


def test_interactivity_is_enabled(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_bot_user_is_present(manifest: dict[str, Any]) -> None:
    bot_user = manifest["features"]["bot_user"]
    assert bot_user["display_name"] == "request-bridge"
    assert bot_user["always_online"] is True


def test_the_manifest_declares_what_the_handlers_listen_to(manifest: dict) -> None:
    from handlers.request_command import COMMAND

    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert COMMAND in commands
    # handlers/thread_replies.py and edits_deletes.py listen to message events in public and private channels
    assert {"message.channels", "message.groups"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])


def test_the_message_shortcuts_are_declared(manifest: dict[str, Any]) -> None:
    from bot.modals import CallbackId  # handlers/shortcuts.py listens to these callback ids

    shortcuts = manifest["features"]["shortcuts"]
    assert {s["callback_id"]: s["type"] for s in shortcuts} == {c.value: "message" for c in CallbackId}
    assert {s["name"] for s in shortcuts} == {"Link thread to request", "Send to request"}
