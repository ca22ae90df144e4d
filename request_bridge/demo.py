"""`request-bridge demo`: the whole bridge against the built-in simulators of Slack and Cloudforce One.

No accounts and no settings: the simulators listen on loopback, the store is a SQLite file in a temporary
directory, and the real bot (the Service, Bolt app and HTTP server of `serve`) receives Slack's signed
events. A short scripted conversation runs both ways, then both sides are printed as their people see them.
"""

from __future__ import annotations

import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.logs import configure
from bot.settings import Settings, load_settings
from request_bridge.embedded import RunningBot, wait_for
from sandbox import FakeCloudforceOne, FakeSlack, serving
from sandbox import slack_payloads as payloads

CHANNEL = "C0DEMO"
ALICE, BOB = "U0ALICE", "U0BOB"
ANALYST = "analyst@cloudflare.com"
PEOPLE = {ALICE: "Alice", BOB: "Bob"}
MENTION = re.compile(r"<@([A-Z0-9]+)>")
LABELLED = re.compile(r"<(?:!date\^|https?://|#C)[^|>]*\|([^>]*)>")


def demo_settings(*, slack: FakeSlack, cf: FakeCloudforceOne, database: Path) -> Settings:
    """Settings that point the bot at the simulators; nothing is read from the environment's secrets or .env."""
    return load_settings(
        _env_file=None, slack_bot_token=slack.bot_token, slack_signing_secret=secrets.token_hex(16),
        slack_app_token=None, slack_api_url=slack.base_url, cloudflare_account_id=cf.account_id,
        cloudflare_api_token=cf.api_token, cloudflare_email=None, cloudflare_api_key=None,
        cloudflare_base_url=cf.base_url, huawei_ak=None, huawei_auth_token=None, jitsudo_base_url=None,
        database_url=f"sqlite:///{database}", order_window_seconds=0.0, retry_interval_seconds=0.2,
        http_timeout_seconds=5.0, allowed_channel_ids="", allowed_user_ids="", allowed_usergroup_ids="",
    )


class Script:
    """The conversation, step by step, narrated on `out`."""

    def __init__(self, bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, out: TextIO) -> None:
        self.bot, self.slack, self.cf, self.out = bot, slack, cf, out
        self._events = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def until(self, condition: Callable[[], Any], what: str) -> Any:
        """Let the bot apply what is due until `condition` holds."""
        return wait_for(lambda: self.bot.drain() >= 0 and condition(), timeout=20, what=what)

    def deliver(self, event: dict[str, Any]) -> None:
        """Slack delivers an event to the bot, signed, as it does in HTTP mode."""
        self._events += 1
        response = self.bot.post_event(event, event_id=f"EvDEMO{self._events:04d}")
        response.raise_for_status()

    def link(self, request_id: str) -> str:
        self.say(f"1. Alice types `/request link {request_id}` in #demo.")
        self.bot.command(f"link {request_id}", response_url=self.slack.response_url("link"), channel=CHANNEL,
                         user=ALICE).raise_for_status()
        link = self.until(lambda: self.bot.run(self.bot.service.store.links.find(
            channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id)), "the link")
        thread = self.until(lambda: getattr(self.bot.run(self.bot.service.store.links.get(link.id)), "thread_ts", None),
                            "the thread")
        self.until(lambda: len(self.slack.thread(CHANNEL, thread)) > 1, "the back-fill")
        self.say("   The bot posts the request in the channel and copies its earlier message into the thread.")
        return str(thread)

    def reply(self, thread: str, *, user: str, text: str, request_id: str) -> str:
        before = len(self.cf.messages(request_id))
        ts = self.slack.post_user_message(CHANNEL, text, user=user, thread_ts=thread)
        self.deliver(payloads.reply(channel=CHANNEL, thread_ts=thread, ts=ts, user=user, text=text))
        self.until(lambda: len(self.cf.messages(request_id)) > before, "the reply on Cloudforce One")
        return ts

    def edit(self, thread: str, *, ts: str, user: str, old: str, new: str, request_id: str) -> None:
        self.slack.edit_user_message(CHANNEL, ts, new)
        message = self.slack.message(CHANNEL, ts)
        assert message is not None
        self.deliver(payloads.edit(channel=CHANNEL, thread_ts=thread, ts=ts, user=user, old=old, new=new,
                                   edited_ts=message["edited"]["ts"]))
        self.until(lambda: any(new in m["content"] for m in self.cf.messages(request_id)), "the edit")

    def run(self) -> tuple[str, str]:
        request_id = self.cf.add_request(
            summary="Phishing kit on look-alike domains", priority="high", request_type="Victomology",
            content="Which infrastructure hosts the kit targeting our customers?")
        self.cf.add_message(request_id, author=ANALYST, content="Thanks, we are on it. Do you have sample URLs?")
        thread = self.link(request_id)

        first = "We saw it on `login-example.co`, and some *bold* claims in the emails."
        self.say("2. Alice replies in the thread; the bridge creates the message on the request.")
        ts = self.reply(thread, user=ALICE, text=first, request_id=request_id)
        self.say("3. Bob replies too, mentioning Alice.")
        self.reply(thread, user=BOB, text=f"<@{ALICE}> also `secure-example.net` since Monday.",
                   request_id=request_id)
        edited = first.replace("`login-example.co`", "`login-example.co` and `login-example.io`")
        self.say("4. Alice edits her reply; the message on the request is updated, not duplicated.")
        self.edit(thread, ts=ts, user=ALICE, old=first, new=edited, request_id=request_id)

        self.say("5. The analyst answers in Cloudforce One; the next poll brings it into the thread.")
        self.cf.add_message(request_id, author=ANALYST,
                            content="Both domains resolve to AS64500; takedown requested. TLP:AMBER.")
        self.bot.poll()
        self.until(lambda: any("AS64500" in m["text"] for m in self.slack.thread(CHANNEL, thread)),
                   "the analyst's answer in Slack")
        return request_id, thread


def _as_slack_shows(text: str, names: dict[str, str]) -> str:
    """Slack shows `<@U…>` as the person's name, and `<!date^…|fallback>`, `<url|label>` by their last part."""
    text = MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    return LABELLED.sub(lambda m: m.group(1), text)


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).strftime("%H:%M:%S")


def _indented(text: str, width: int) -> str:
    return ("\n" + " " * width).join(text.splitlines() or [""])


def shown_text(message: dict[str, Any]) -> str:
    """What Slack shows of a message: its blocks' section and context texts when it has blocks (the `text` is
    then only the notification), else its text."""
    lines = []
    for block in message.get("blocks") or []:
        if block.get("type") in ("section", "header") and isinstance(block.get("text"), dict):
            lines.append(str(block["text"].get("text", "")))
        elif block.get("type") == "context":
            lines.append(" · ".join(str(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict)))
    return "\n".join(line for line in lines if line) or str(message.get("text", ""))


def slack_transcript(messages: list[dict[str, Any]], *, names: dict[str, str]) -> list[str]:
    """The thread as Slack shows it: root, then replies; who, when, what (edited ones marked)."""
    lines = []
    for n, message in enumerate(messages):
        who = message.get("username") or names.get(str(message.get("user")), "request-bridge")
        edited = " (edited)" if message.get("edited") and message.get("user") in names else ""
        prefix = f"  {'' if n == 0 else '↳ '}{_clock(float(message['ts']))}  {who}: "
        lines.append(prefix + _indented(_as_slack_shows(shown_text(message), names) + edited, len(prefix)))
    return lines


def request_transcript(messages: list[dict[str, Any]]) -> list[str]:
    """The request's conversation as Cloudforce One shows it, oldest first."""
    lines = []
    for message in messages:
        stamp = datetime.fromisoformat(str(message.get("created") or message["updated"]).replace("Z", "+00:00"))
        edited = " (edited)" if message.get("created") and message["updated"] != message["created"] else ""
        prefix = f"  {stamp.astimezone().strftime('%H:%M:%S')}  {message['author']}: "
        lines.append(prefix + _indented(str(message["content"]) + edited, len(prefix)))
    return lines


def run(out: TextIO = sys.stdout) -> int:
    """Run the demo; 0 when the conversation went through both ways."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="request-bridge-demo-") as tmp, \
            serving(FakeSlack()) as slack, serving(FakeCloudforceOne()) as cf:
        for user, name in PEOPLE.items():
            slack.add_user(user, name=name.lower(), display_name=name, real_name=name)
        settings = demo_settings(slack=slack, cf=cf, database=Path(tmp) / "demo.db")
        configure(level="WARNING", fmt=settings.log_format, secrets=settings.secrets())
        print(f"Simulated Slack at {slack.base_url}, simulated Cloudforce One at {cf.base_url}, "
              f"store {settings.database_url}\n", file=out)
        bot = RunningBot(settings)
        try:
            request_id, thread = Script(bot, slack, cf, out).run()
        finally:
            bot.stop()
        request = cf.request(request_id)
        print(f"\n── Slack, #demo: the thread ({len(slack.thread(CHANNEL, thread)) - 1} replies) ──", file=out)
        print("\n".join(slack_transcript(slack.thread(CHANNEL, thread), names=PEOPLE)), file=out)
        print(f"\n── Cloudforce One, request {request.get('readable_id') or request_id}: "
              f"\"{request.get('summary')}\" ──", file=out)
        print("\n".join(request_transcript(cf.messages(request_id))), file=out)
    print(f"\nDone in {time.monotonic() - started:.1f} s. `request-bridge serve` runs the same bot against real "
          "Slack and Cloudforce One (see README, 'Set up and run').", file=out)
    return 0
