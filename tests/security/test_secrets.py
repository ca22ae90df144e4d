"""No configured secret ever leaves the process except as the credential of its own service.

A whole journey on all three providers (link, replies, the other side's answers, a provider refusing
the credentials, Slack answering invalid_auth, provider 5xx) runs with DEBUG logging, captured three ways:
the bot's own JSON log handler (`bot.logs.configure`, with its redactor), pytest's `caplog`, and a raw
handler that sees each record before the redactor does. Then every surface is searched for every secret:
the logs, everything sent to Slack (posts, ephemerals, response_url answers, acks), what each provider
received, and the command line's output on a bad start.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import traceback
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.logs import configure
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.fakes.huawei import FakeHuawei
from tests.fakes.jitsudo import FakeJITSudo
from tests.harness import RunningBot, bot_settings, sign, wait_for
from tests.helpers import CHANNEL

CLI = [sys.executable, "-m", "request_bridge"]

# Every secret carries the marker, so a partial leak (a prefix, a repr with escapes) is found too.
MARKER = "s3kr1t"
SLACK_TOKEN = f"xoxb-4242-{MARKER}SlackBot-9f8e7d6c"
SIGNING_SECRET = f"sig-{MARKER}-5b1f0c2e9a7d"
CF_TOKEN = f"cfT-{MARKER}-8c6a1e4b2d"
CF_KEY = f"cfK-{MARKER}-3a9d7c1f5e"
HUAWEI_SK = f"hwSK-{MARKER}-7e2b9d4a1c"
HUAWEI_TOKEN = f"hwTok-{MARKER}-1d5c8a3e7b"
JITSUDO_KEY = f"jitK-{MARKER}-6f3c0a8e2d"
JITSUDO_BEARER = f"jitB-{MARKER}-2c7e5a9b4f"
SECRETS = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "CLOUDFLARE_API_TOKEN": CF_TOKEN,
           "CLOUDFLARE_API_KEY": CF_KEY, "HUAWEI_SK": HUAWEI_SK, "HUAWEI_AUTH_TOKEN": HUAWEI_TOKEN,
           "JITSUDO_API_KEY": JITSUDO_KEY, "JITSUDO_BEARER_TOKEN": JITSUDO_BEARER}
OWN_LOGGERS = ("bot", "handlers")


def leaks(text: str) -> list[str]:
    """Names of the secrets (or the marker every secret carries) found in `text`."""
    found = [name for name, value in SECRETS.items() if value in text]
    return found or ([f"marker {MARKER!r}"] if MARKER in text else [])


@dataclass
class Logs:
    stream: io.StringIO
    raw: list[tuple[str, str]] = field(default_factory=list)  # (logger, everything the record carried)
    caplog_handler: logging.Handler | None = None

    def configure(self, secrets: Iterable[str]) -> None:
        """`bot.logs.configure` as the CLI calls it, writing to `stream`; raw records and caplog kept."""
        saved = sys.stderr
        sys.stderr = self.stream  # configure() logs to the sys.stderr of its call
        try:
            configure(level="DEBUG", fmt="json", secrets=secrets)
        finally:
            sys.stderr = saved
        # Raw first (before the redactor rewrites the record), then the bot's handler, then caplog's.
        root = logging.getLogger()
        root.handlers.insert(0, RawRecords(self.raw))
        if self.caplog_handler is not None:
            root.handlers.append(self.caplog_handler)


class RawRecords(logging.Handler):
    """Sees every record before the redactor rewrites it: what the bot's code itself hands to logging."""

    def __init__(self, into: list[tuple[str, str]]) -> None:
        super().__init__(logging.DEBUG)
        self._into = into

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), *(repr(v) for k, v in vars(record).items() if k not in ("msg", "args"))]
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        self._into.append((record.name, " ".join(parts)))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    """DEBUG for every logger: the bot's JSON handler on a captured stream, plus caplog and a raw handler."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quieted = {name: logging.getLogger(name).level for name in ("apscheduler", "aiohttp.access", "httpx")}
    captured = Logs(io.StringIO(), caplog_handler=caplog.handler)
    caplog.set_level(logging.DEBUG)  # first, so that caplog restores the level it found
    captured.configure(SECRETS.values())
    try:
        yield captured
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in quieted.items():
            logging.getLogger(name).setLevel(level)


def command(bot: RunningBot, text: str, *, response_url: str) -> httpx.Response:
    """`/request`, signed with this test's signing secret (the harness signs with its own)."""
    body = urllib.parse.urlencode({
        "token": "verification-token", "team_id": "T111", "team_domain": "test", "channel_id": CHANNEL,
        "channel_name": "general", "user_id": "U111", "user_name": "someone", "command": "/request",
        "text": text, "api_app_id": "A111", "response_url": response_url, "trigger_id": "111.222.xxx",
    }).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=SIGNING_SECRET)}
    return bot.http.post("/slack/events", content=body, headers=headers)


class Journey:
    """The bot with all three providers, each fake holding this module's secrets as its credentials."""

    def __init__(self, stack: ExitStack, db_path: Path, **overrides: Any) -> None:
        self.slack = FakeSlack(bot_token=SLACK_TOKEN)
        self.slack.bind(stack.enter_context(ServerThread(self.slack.app)).url)
        self.slack.add_user("U111", name="alice", display_name="Alice", real_name="Alice Liddell")
        self.cf = FakeCloudforceOne(api_token=CF_TOKEN, api_key=CF_KEY)
        self.huawei = FakeHuawei(sk=HUAWEI_SK, token=HUAWEI_TOKEN)
        self.jitsudo = FakeJITSudo(api_key=JITSUDO_KEY, bearer_token=JITSUDO_BEARER)
        for fake in (self.cf, self.huawei, self.jitsudo):
            fake.bind(stack.enter_context(ServerThread(fake.app)).url)
        values: dict[str, Any] = {
            "slack_bot_token": SLACK_TOKEN, "slack_signing_secret": SIGNING_SECRET,
            "cloudflare_api_token": CF_TOKEN, "cloudflare_email": self.cf.email, "cloudflare_api_key": CF_KEY,
            "huawei_endpoint": self.huawei.base_url, "huawei_ak": self.huawei.ak, "huawei_sk": HUAWEI_SK,
            "huawei_domain_id": self.huawei.domain_id, "huawei_auth_token": HUAWEI_TOKEN,
            "jitsudo_base_url": self.jitsudo.base_url, "jitsudo_api_key": JITSUDO_KEY,
            "jitsudo_bearer_token": JITSUDO_BEARER, "jitsudo_tenant_id": self.jitsudo.tenant_id,
            "log_level": "DEBUG", "log_format": "json", **overrides}
        self.settings = bot_settings(slack_url=self.slack.base_url.removesuffix("/api/"),
                                     cf_url=self.cf.base_url.removesuffix("/client/v4"), db_path=db_path, **values)
        self.bot = RunningBot(self.settings)
        stack.callback(self.bot.stop)
        self.acks: list[str] = []
        self._ts = 1800000000_000100

    def command(self, text: str) -> str:
        """Run a command; return its final answer (the ack when it is refused at once)."""
        name = f"r{len(self.acks)}"
        ack = command(self.bot, text, response_url=self.slack.response_url(name))
        assert ack.status_code == 200, ack.text
        self.acks.append(ack.text)
        if '"ephemeral"' in ack.text and "Linking" not in ack.text:
            return str(ack.json()["text"])
        found = wait_for(lambda: [r for r in self.slack.responses if r[0] == name], what=f"the answer to {text}")
        return str(found[-1][1]["text"])

    def link(self, provider: str, request_id: str) -> str:
        answer = self.command(f"link {provider} {request_id}")
        assert "Linked request" in answer, answer
        link = self.bot.run(self.bot.service.store.links.find(channel_id=CHANNEL, provider=provider,
                                                             request_id=request_id))
        assert link is not None and link.thread_ts
        return link.thread_ts

    def reply(self, thread: str, text: str) -> str:
        self._ts += 100
        ts = f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"
        response = self.bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text=text),
                                       event_id=f"Ev{ts}", secret=SIGNING_SECRET)
        assert response.status_code == 200, response.text
        return ts

    def settle(self) -> None:
        wait_for(lambda: self.bot.drain() is not None and self.bot.pending_events() == 0, timeout=20,
                 what="the inbox to empty")


def slack_surfaces(slack: FakeSlack, acks: list[str]) -> dict[str, str]:
    """Everything the bot sent towards Slack users, besides the token in its own Authorization header."""
    calls = slack.calls
    return {
        "Slack Web API calls (params)": json.dumps([c["params"] for c in calls], default=str),
        "Slack Web API calls (headers other than Authorization)": json.dumps(
            [{k: v for k, v in c["headers"].items() if k.lower() != "authorization"} for c in calls]),
        "ephemeral messages": json.dumps(slack.ephemerals),
        "response_url answers": json.dumps(slack.responses),
        "slash command acks": json.dumps(acks),
        "channel history": json.dumps(slack.channel_messages(CHANNEL)),
    }


def test_a_whole_journey_leaks_no_secret_anywhere(logs: Logs, caplog: pytest.LogCaptureFixture,
                                                  tmp_path: Path) -> None:
    with ExitStack() as stack:
        j = Journey(stack, tmp_path / "bridge.db")
        assert set(j.settings.secrets()) == set(SECRETS.values()), "every secret under test is configured"
        bot, slack, cf, huawei, jitsudo = j.bot, j.slack, j.cf, j.huawei, j.jitsudo

        # Cloudforce One: link (with back-fill), reply, analyst answer.
        cf_request = cf.add_request(summary="DoS attack")
        cf.add_message(cf_request, author="ana@cloudflare.com", content="what we know")
        cf_thread = j.link("cloudforce-one", cf_request)
        j.reply(cf_thread, "hello from Slack")
        wait_for(lambda: cf.messages(cf_request)[1:], what="the create")
        cf.add_message(cf_request, author="ana@cloudflare.com", content="analyst answer")
        bot.poll()
        # The provider refuses the credentials (403), on a reply and on a link.
        cf.api_token = "rotated-elsewhere"
        j.reply(cf_thread, "while the token is refused")
        wait_for(lambda: any("refused the bot's credentials" in e["text"] for e in slack.ephemerals),
                 what="the refusal")
        assert "refused the bot's credentials" in j.command(f"link cloudforce-one {cf.add_request()}")
        cf.api_token = CF_TOKEN
        # A provider 500 on a create (retried, then created once), and on polls.
        cf.fail_next("create_message", "500")
        j.reply(cf_thread, "through a 500")
        j.settle()
        cf.fail_next("list_messages", "500", count=3)
        bot.poll(full=True)
        # Slack refuses the bot token (invalid_auth) while an answer is to be posted.
        slack.bot_token = "xoxb-rotated-elsewhere"
        cf.add_message(cf_request, author="ana@cloudflare.com", content="during invalid_auth")
        bot.poll()
        j.command("list")
        slack.bot_token = SLACK_TOKEN
        bot.poll()

        # Huawei: link, reply, engineer answer, refused credentials (401), 500.
        case = huawei.add_request(title="ECS cannot reach RDS")
        hw_thread = j.link("huawei", case)
        j.reply(hw_thread, "hello Huawei")
        wait_for(lambda: huawei.messages(case), what="the Huawei create")
        huawei.add_message(case, author="Li Wei", role="engineer", content="engineer answer")
        bot.poll()
        huawei.sk = "rotated-sk"
        j.reply(hw_thread, "while the SK is refused")
        j.settle()
        huawei.sk = HUAWEI_SK
        huawei.fail_next("create_message", "500")
        j.reply(hw_thread, "through a Huawei 500")
        j.settle()

        # JITSudo: link, reply, approver answer, refused key (401), tenant mismatch (403), 500.
        access = jitsudo.add_request()
        jit_thread = j.link("jitsudo", access)
        j.reply(jit_thread, "hello JITSudo")
        wait_for(lambda: jitsudo.messages(access), what="the JITSudo create")
        jitsudo.add_message(access, author="approver@example.com", role="approver", content="approved")
        bot.poll()
        jitsudo.api_key = "rotated-key"
        j.reply(jit_thread, "while the key is refused")
        j.settle()
        jitsudo.api_key = JITSUDO_KEY
        tenant = jitsudo.tenant_id
        jitsudo.tenant_id = "00000000-0000-4000-8000-000000000000"
        assert "JITSUDO_TENANT_ID" in j.command(f"link jitsudo {jitsudo.add_request()}")
        jitsudo.tenant_id = tenant
        jitsudo.fail_next("create_message", "500")
        j.reply(jit_thread, "through a JITSudo 500")
        j.settle()
        bot.poll(full=True)
        surfaces = slack_surfaces(slack, j.acks)
        provider_calls = {"Cloudforce One": cf.calls, "Huawei": huawei.calls, "JITSudo": jitsudo.calls}

    # The journey did meet every failure it is meant to (else the checks below prove little).
    log_text = logs.stream.getvalue()
    assert '"level": "debug"' in log_text
    assert "invalid_auth" in log_text
    assert "HTTP 500" in log_text or "server error" in log_text
    ephemerals = surfaces["ephemeral messages"]
    assert "Huawei Cloud refused the bot's credentials" in ephemerals
    assert "JITSudo refused the bot's credentials" in ephemerals

    found: dict[str, list[str]] = {}
    for line in log_text.splitlines():
        if leaks(line):
            found.setdefault("bot's JSON log", []).append(line[:300])
    if leaks(caplog.text):
        found["caplog text"] = [caplog.text[:300]]
    for record in caplog.records:
        if leaks(repr(vars(record))):
            found.setdefault("caplog record attributes", []).append(f"{record.name}: {record.getMessage()[:200]}")
    for name, text in logs.raw:
        if name.startswith(OWN_LOGGERS) and leaks(text):
            found.setdefault("raw records of the bot's own loggers", []).append(f"{name}: {text[:300]}")
    for surface, text in surfaces.items():
        if leaks(text):
            found[surface] = leaks(text)
    for provider, calls in provider_calls.items():
        for call in calls:
            body = json.dumps({k: v for k, v in call.items() if k != "headers"}, default=str)
            if leaks(body):
                found.setdefault(f"{provider} request bodies", []).append(body[:300])
    assert found == {}


def test_each_provider_receives_its_own_credential_and_nothing_else(tmp_path: Path) -> None:
    with ExitStack() as stack:
        j = Journey(stack, tmp_path / "bridge.db")
        for provider, fake in (("cloudforce-one", j.cf), ("huawei", j.huawei), ("jitsudo", j.jitsudo)):
            request_id = fake.add_request()
            thread = j.link(provider, request_id)
            j.reply(thread, f"hello {provider}")
        j.settle()
        expected = {"Cloudforce One": (j.cf.calls, {"Authorization": f"Bearer {CF_TOKEN}"}),
                    "Huawei": (j.huawei.calls, {}),
                    "JITSudo": (j.jitsudo.calls, {"X-API-Key": JITSUDO_KEY})}
        for provider, (calls, credential) in expected.items():
            assert calls, provider
            for call in calls:
                for header, value in credential.items():
                    assert call["headers"].get(header) == value, (provider, header)
                rest = {k: v for k, v in call["headers"].items() if k not in credential}
                assert leaks(json.dumps(rest)) == [], (provider, call["method"], call["path"], leaks(json.dumps(rest)))
        # The Slack token goes to Slack only, in the Authorization header.
        for call in j.slack.calls:
            assert call["headers"].get("Authorization") == f"Bearer {SLACK_TOKEN}", call["method"]


def test_the_redactor_masks_secrets_in_exceptions_and_structured_fields(logs: Logs) -> None:
    """README: "Logs never contain a token or secret: every configured secret ... is masked"."""
    log = logging.getLogger("bot.security_probe")
    log.warning("in the message: %s", CF_TOKEN, extra={"error": f"in an extra: {JITSUDO_KEY}"})
    try:
        raise RuntimeError(f"an exception naming {HUAWEI_SK}")
    except RuntimeError:
        log.exception("an exception was logged")
    log.warning("a structured field", extra={"headers": {"Authorization": f"Bearer {SLACK_TOKEN}"}})
    lines = [json.loads(line) for line in logs.stream.getvalue().splitlines()]
    assert [entry["message"] for entry in lines if entry["logger"] == "bot.security_probe"] == \
        ["in the message: ***", "an exception was logged", "a structured field"]
    assert {entry["message"]: leaks(json.dumps(entry)) for entry in lines if leaks(json.dumps(entry))} == {}


def test_a_token_with_a_trailing_newline_is_not_shown_to_people_or_logged(logs: Logs, tmp_path: Path) -> None:
    """A secret mounted from a file into an environment variable often ends in a newline. The bot must
    refuse to start, or fail without echoing the token: never put it in a Slack message or a log line."""
    with ExitStack() as stack:
        try:
            j = Journey(stack, tmp_path / "bridge.db", cloudflare_api_token=CF_TOKEN + "\n",
                        jitsudo_api_key=JITSUDO_KEY + " ")
        except Exception as exc:  # refusing to start is fine, as long as the refusal does not echo it
            assert leaks(str(exc)) == []
            return
        logs.configure(j.settings.secrets())  # as `serve` would: the configured values, newline and all
        answers = [j.command(f"link cloudforce-one {j.cf.add_request()}"),
                   j.command(f"link jitsudo {j.jitsudo.add_request()}")]
        surfaces = slack_surfaces(j.slack, j.acks)
    found = {name: leaks(text) for name, text in surfaces.items() if leaks(text)}
    logged = [line[:300] for line in logs.stream.getvalue().splitlines() if leaks(line)]
    if logged:
        found["bot's JSON log"] = logged
    assert found == {}, answers


# ----------------------------------------------------------------------------------- the command line

SETTING_PREFIXES = ("SLACK_", "CLOUDFLARE_", "HUAWEI_", "JITSUDO_", "DATABASE_URL", "PORT", "HOST", "POLL_", "LOG_",
                    "RETRY_", "MAX_", "HTTP_", "RECONCILE_", "EDIT_", "ALLOWED_", "ADMIN_")


@pytest.fixture(scope="module")
def cli_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(bot_token=SLACK_TOKEN)
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield fake


def cli_env(tmp_path: Path, slack_url: str, **changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    env |= {name: value for name, value in SECRETS.items()}
    env |= {"SLACK_API_URL": slack_url, "CLOUDFLARE_ACCOUNT_ID": "023e105f4ecef8ad9ca31a8372d0c353",
            "CLOUDFLARE_EMAIL": "bridge-bot@example.com", "CLOUDFLARE_BASE_URL": "http://127.0.0.1:9/client/v4",
            "HUAWEI_AK": "test-ak", "HUAWEI_DOMAIN_ID": "test-domain", "HUAWEI_ENDPOINT": "http://127.0.0.1:9",
            "JITSUDO_BASE_URL": "http://127.0.0.1:9", "JITSUDO_TENANT_ID": "6c1f4a52-0d3e-4b7a-9f21-5e8d2c4b7a90",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "HOST": "127.0.0.1", "PORT": "1",
            "LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json", "HTTP_TIMEOUT_SECONDS": "2"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


BAD_STARTS: dict[str, dict[str, str | None]] = {
    "PORT not a number": {"PORT": "eighty"},
    "CLOUDFLARE_ACCOUNT_ID malformed": {"CLOUDFLARE_ACCOUNT_ID": "nope"},
    "LOG_LEVEL unknown": {"LOG_LEVEL": "LOUD"},
    "HUAWEI_TIME_ZONE malformed": {"HUAWEI_TIME_ZONE": "Mars/Olympus_Mons"},
    "HUAWEI_DOMAIN_ID missing": {"HUAWEI_DOMAIN_ID": None},
    "JITSUDO_TENANT_ID malformed": {"JITSUDO_TENANT_ID": "not-a-uuid"},
    "JITSUDO_BASE_URL not http": {"JITSUDO_BASE_URL": "ftp://jitsudo.example"},
    "DATABASE_URL unsupported": {"DATABASE_URL": "postgresql://bridge@db/bridge"},
    "SLACK_API_URL unreachable": {"SLACK_API_URL": "http://127.0.0.1:9/api/"},
    "SLACK_BOT_TOKEN refused by Slack": {"SLACK_BOT_TOKEN": f"xoxb-{MARKER}-not-this-workspace"},
    "SLACK_BOT_TOKEN and its _FILE both set": {"SLACK_BOT_TOKEN_FILE": "/run/secrets/slack"},
    "HUAWEI_SK_FILE unreadable": {"HUAWEI_SK": None, "HUAWEI_SK_FILE": f"/nonexistent/{MARKER}"},
    "a secret pasted into HUAWEI_SITE": {"HUAWEI_SITE": JITSUDO_KEY},
    "a secret pasted into HUAWEI_TIME_ZONE": {"HUAWEI_TIME_ZONE": CF_TOKEN},
    "a secret pasted into PORT": {"PORT": HUAWEI_SK},
}


@pytest.mark.parametrize("case", list(BAD_STARTS))
def test_serve_with_a_malformed_setting_prints_no_secret(tmp_path: Path, cli_slack: FakeSlack, case: str) -> None:
    env = cli_env(tmp_path, cli_slack.base_url, **BAD_STARTS[case])
    started = time.monotonic()
    result = subprocess.run([*CLI, "serve"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0, (case, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    output = result.stdout + result.stderr
    shown = output.replace(f"/nonexistent/{MARKER}", "/nonexistent/<path>")  # the path is not a secret
    assert leaks(shown) == [], f"{case}: {output}"
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("case", ["all settings", *BAD_STARTS])
def test_doctor_prints_no_secret(tmp_path: Path, cli_slack: FakeSlack, case: str) -> None:
    """`request-bridge doctor` prints what it checked and what failed, through the same redactor as the logs."""
    env = cli_env(tmp_path, cli_slack.base_url, **BAD_STARTS.get(case, {}))
    result = subprocess.run([*CLI, "doctor"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1, (case, result.stdout)  # the providers' base URLs lead nowhere
    assert "Traceback" not in result.stderr and "✗" in result.stdout, result.stdout + result.stderr
    output = (result.stdout + result.stderr).replace(f"/nonexistent/{MARKER}", "/nonexistent/<path>")
    assert leaks(output) == [], f"{case}: {output}"


def test_the_database_password_is_a_secret_too(tmp_path: Path) -> None:
    """DATABASE_URL may carry a password: the redactor masks it, and `migrate` does not print it."""
    from bot.settings import load_settings

    url = f"postgresql://bridge:pw-{MARKER}-0a1b@127.0.0.1:9/bridge"
    assert f"pw-{MARKER}-0a1b" in load_settings(for_serve=False, _env_file=None, database_url=url).secrets()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CLOUDFLARE_", "DATABASE_URL"))}
    result = subprocess.run([*CLI, "migrate"], cwd=tmp_path, capture_output=True, text=True,
                            env={**env, "DATABASE_URL": url, "LOG_LEVEL": "DEBUG"}, timeout=60)
    assert result.returncode != 0  # nothing listens on port 9
    assert MARKER not in result.stdout + result.stderr, result.stdout + result.stderr
