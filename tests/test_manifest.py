"""manifest.yml is a valid Slack app manifest and asks for exactly what the bridge needs."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.scopes import APP_TOKEN_METHOD_SCOPES, METHOD_SCOPES, required_bot_scopes
from tests.harness import RunningBot

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "manifest.yml"
# Slack's official manifest schema (v1); see tests/data/README.md for where the copy comes from.
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "slack-manifest.schema.json"

# What the code relies on. The tests at the end tie the manifest to the listeners handlers/ registers and to
# the Web API methods the code calls, both ways.
REQUIRED_BOT_EVENTS = frozenset({"message.channels", "message.groups", "app_home_opened"})
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
    assert set(scopes) == required_bot_scopes()


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


def test_the_message_shortcuts_are_declared(manifest: dict[str, Any]) -> None:
    from bot.slack.shortcut_modals import CallbackId  # handlers/shortcuts.py listens to these callback ids

    shortcuts = manifest["features"]["shortcuts"]
    assert {s["callback_id"]: s["type"] for s in shortcuts} == {c.value: "message" for c in CallbackId}
    assert {s["name"] for s in shortcuts} == {"Link thread to request", "Send to request"}


# --- the manifest against the code ----------------------------------------------------------------------------

# Bolt's listener methods, and what each registers; `message` listens to message events.
_LISTENER_KINDS = ("command", "event", "message", "shortcut", "global_shortcut", "message_shortcut", "action",
                   "block_action", "view", "view_submission", "view_closed", "options", "block_suggestion")
# A message event per conversation type, and the scope its delivery needs.
_MESSAGE_EVENT_SCOPES = {"message.channels": "channels:history", "message.groups": "groups:history",
                         "message.im": "im:history", "message.mpim": "mpim:history"}


class RecordingApp(AsyncApp):
    """The real Bolt app, remembering what each listener method was asked to listen to."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-manifest-test", signing_secret="unused", process_before_response=True)
        self.registered: list[tuple[str, Any]] = []


def _recording(kind: str) -> Any:
    def listen(self: RecordingApp, *args: Any, **kwargs: Any) -> Any:
        self.registered.append((kind, args[0] if args else next(iter(kwargs.values()), None)))
        return getattr(AsyncApp, kind)(self, *args, **kwargs)
    return listen


for _kind in _LISTENER_KINDS:
    setattr(RecordingApp, _kind, _recording(_kind))


@dataclass(frozen=True)
class Registered:
    commands: frozenset[str]
    events: frozenset[str]  # event types; "message" for every message listener
    shortcuts: frozenset[tuple[str | None, str]]  # (manifest type "message"/"global", or None for either; id)
    interactive: bool  # any shortcut, action or view listener: Slack must send interactivity payloads


def registered_by(app: RecordingApp) -> Registered:
    commands, events, shortcuts, interactive = set(), set(), set(), False
    for kind, constraint in app.registered:
        if kind == "command":
            commands.add(str(constraint))
        elif kind == "event":
            events.add(str(constraint["type"] if isinstance(constraint, dict) else constraint))
        elif kind == "message":
            events.add("message")
        else:
            interactive = True
            if kind in ("shortcut", "global_shortcut", "message_shortcut"):
                if isinstance(constraint, dict):
                    kind = {"message_action": "message_shortcut", "shortcut": "global_shortcut"}.get(
                        str(constraint.get("type")), kind)
                    constraint = constraint["callback_id"]
                shape = {"message_shortcut": "message", "global_shortcut": "global"}.get(kind)
                shortcuts.add((shape, str(constraint)))
    return Registered(frozenset(commands), frozenset(events), frozenset(shortcuts), interactive)


def recording_app(bot: RunningBot) -> RecordingApp:
    """A Bolt app with what handlers.register (as request_bridge/server.py build_bolt_app calls it) registers."""
    import handlers

    app = RecordingApp()
    handlers.register(app, bot.service)
    return app


@pytest.fixture
def registered(bot: RunningBot) -> Registered:
    return registered_by(recording_app(bot))


def test_slash_commands_are_exactly_the_registered_ones(manifest: dict[str, Any], registered: Registered) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert registered.commands == declared == {"/request"}


def test_bot_events_are_exactly_what_the_handlers_listen_to(manifest: dict[str, Any], registered: Registered) -> None:
    declared = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    # Slack delivers message events per conversation type; a Bolt "message" listener receives them all.
    as_bolt_types = {"message" if e.startswith("message.") else e for e in declared}
    assert registered.events == as_bolt_types
    assert {"message", "app_home_opened"} <= registered.events
    for event in declared & set(_MESSAGE_EVENT_SCOPES):
        assert _MESSAGE_EVENT_SCOPES[event] in required_bot_scopes(), f"{event} needs its history scope"


def test_shortcuts_are_exactly_the_registered_ones(manifest: dict[str, Any], registered: Registered) -> None:
    declared = {(s["type"], s["callback_id"]) for s in manifest["features"].get("shortcuts", [])}
    assert {cid for _, cid in registered.shortcuts} == {cid for _, cid in declared}
    for shape, cid in registered.shortcuts:
        assert shape is None or (shape, cid) in declared, f"{cid} is declared as another type of shortcut"
    assert {cid for _, cid in declared} >= {"link_thread", "send_to_request"}


def test_interactivity_and_home_tab_follow_the_listeners(manifest: dict[str, Any], registered: Registered) -> None:
    assert registered.interactive and manifest["settings"]["interactivity"]["is_enabled"] is True
    home = manifest["features"].get("app_home", {})
    assert home.get("home_tab_enabled") is ("app_home_opened" in registered.events) is True


def test_a_listener_missing_from_the_manifest_is_noticed(manifest: dict[str, Any], bot: RunningBot) -> None:
    async def listener() -> None:
        return None

    app = recording_app(bot)
    before = registered_by(app)
    app.event("reaction_added")(listener)
    app.message_shortcut("not_declared")(listener)
    app.command("/other")(listener)
    after = registered_by(app)
    assert after.events - before.events == {"reaction_added"}
    assert after.shortcuts - before.shortcuts == {("message", "not_declared")}
    assert after.commands - before.commands == {"/other"}


# Calls of Slack Web API methods in the bridge's own code: through SlackGateway._call("method", ...), or a
# method of slack_sdk's client on whatever it is named (`client.chat_postMessage(`, `web.auth_test(`): its
# method names are the Web API's with dots as underscores. The fakes in sandbox serve these methods
# rather than call them.
_GATEWAY_CALL = re.compile(r'_call\(\s*"([a-z]+\.[A-Za-z.]+)"')
_ATTRIBUTE_CALL = re.compile(r"\.([a-z]+_[A-Za-z_]+)\(")
_SDK_METHODS = frozenset(name for name in vars(AsyncWebClient) if not name.startswith("_") and name != "api_call")


def called_web_api_methods(roots: tuple[Path, ...] = (ROOT / "bot", ROOT / "handlers")) -> dict[str, set[str]]:
    """Web API method -> the files that call it."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in root.rglob("*.py"):
            if "simulators" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            sdk_calls = {m for m in _ATTRIBUTE_CALL.findall(text) if m in _SDK_METHODS}
            names = set(_GATEWAY_CALL.findall(text)) | {m.replace("_", ".") for m in sdk_calls}
            for name in names:
                found.setdefault(name, set()).add(str(path))
    return found


def test_every_web_api_method_called_has_its_scopes_listed_and_no_more() -> None:
    called = called_web_api_methods()
    listed = set(METHOD_SCOPES) | set(APP_TOKEN_METHOD_SCOPES)
    missing = {m: sorted(files) for m, files in called.items() if m not in listed}
    assert not missing, f"add these methods and their scopes to bot/slack/scopes.py: {missing}"
    assert set(called) == listed, f"listed but never called: {sorted(listed - set(called))}"


def test_the_method_scan_finds_calls(tmp_path: Path) -> None:
    found = called_web_api_methods()
    assert {"chat.postMessage", "conversations.replies", "views.open", "views.publish", "auth.test"} <= set(found)
    (tmp_path / "new.py").write_text('await self._call("reactions.add", name="eyes")\n'
                                     "await web.pins_add(channel=c)\n"
                                     "x = model.model_dump(exclude_none=True)\n", encoding="utf-8")
    assert set(called_web_api_methods((tmp_path,))) == {"reactions.add", "pins.add"}


def test_the_slack_fake_grants_what_the_manifest_asks_for(manifest: dict[str, Any]) -> None:
    from sandbox.slack import APP_TOKEN_SCOPES, BOT_SCOPES

    assert set(BOT_SCOPES.split(",")) == set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(APP_TOKEN_SCOPES.split(",")) == {s for needed in APP_TOKEN_METHOD_SCOPES.values() for s in needed}
