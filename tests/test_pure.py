"""Plain functions: command parsing, settings, Retry-After, error replies, log redaction, ids, cursors."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot.bridge.poller import later_cursor
from bot.errors import (
    ConfigError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
)
from bot.http import retry_after_seconds
from bot.logs import JsonFormatter, Redactor
from bot.providers.cloudforce_one.client import CloudforceOne
from bot.settings import load_settings
from bot.slack.commands import Action, parse
from bot.slack.replies import error_reply

REQUIRED = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "cloudflare_account_id": "a" * 32,
            "cloudflare_api_token": "t", "_env_file": None}


def test_parse_with_a_provider() -> None:
    parsed = parse("link Huawei case-123")
    assert (parsed.action, parsed.provider, parsed.argument) == (Action.LINK, "huawei", "case-123")


@pytest.mark.parametrize("text, action, argument, problem", [
    ("link f174e90a-fafe-4643-bbbc-4a0ed4fc8415", Action.LINK, "f174e90a-fafe-4643-bbbc-4a0ed4fc8415", None),
    ("  LINK   abc  ", Action.LINK, "abc", None),
    ("unlink abc", Action.UNLINK, "abc", None),
    ("list", Action.LIST, None, None),
    ("help", Action.HELP, None, None),
    ("", Action.HELP, None, None),
    ("link", Action.HELP, None, "`/request link` missing the request id."),
    ("link a b c", Action.HELP, None, "`/request link` takes a provider and one request id."),
    ("nope", Action.HELP, None, "Unknown sub-command `nope`."),
])
def test_parse(text: str, action: Action, argument: str | None, problem: str | None) -> None:
    parsed = parse(text)
    assert (parsed.action, parsed.argument, parsed.problem) == (action, argument, problem)


def test_settings_name_every_missing_setting_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CLOUDFLARE_ACCOUNT_ID",
                 "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert "\n" not in message
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN"):
        assert name in message


@pytest.mark.parametrize("override, named", [
    ({"cloudflare_account_id": "not-hex"}, "CLOUDFLARE_ACCOUNT_ID"),
    ({"port": "http"}, "PORT"),
    ({"poll_interval_seconds": 0}, "POLL_INTERVAL_SECONDS"),
    ({"database_url": "mysql://x/y"}, "DATABASE_URL"),
    ({"slack_api_url": "slack.com"}, "SLACK_API_URL"),
])
def test_a_malformed_setting_is_named(override: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(**{**REQUIRED, **override})


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///x.db", "sqlite+pysqlite:///x.db"),
    ("sqlite+aiosqlite:///x.db", "sqlite+pysqlite:///x.db"),
    ("postgresql://u:p@db:5432/bridge", "postgresql+asyncpg://u:p@db:5432/bridge"),
    ("postgres://u:p@db/bridge", "postgresql+asyncpg://u:p@db/bridge"),
])
def test_database_urls_map_to_the_store_drivers(url: str, expected: str) -> None:
    assert load_settings(**{**REQUIRED, "database_url": url}).sqlalchemy_url == expected


def test_email_and_key_are_an_alternative_to_a_token() -> None:
    settings = load_settings(**{**REQUIRED, "cloudflare_api_token": None, "cloudflare_email": "a@b.c",
                                "cloudflare_api_key": "k"})
    assert settings.missing_for_serve() == []
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.sqlalchemy_url == "sqlite+pysqlite:///request-bridge.db"


@pytest.mark.parametrize("header, expected", [("7", 7.0), (None, 1.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_retry_after(header: str | None, expected: float) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    assert retry_after_seconds(response) == expected


@pytest.mark.parametrize("error, expected", [
    (InvalidInput("`x` is not a Cloudforce One request id."), "`x` is not a Cloudforce One request id."),
    (NotFound("gone", provider="Cloudforce One"), "Cloudforce One says it does not exist"),
    (PermissionDenied("no", provider="Cloudforce One"), "refused the bot's credentials"),
    (RateLimited("slow down", retry_after=30, provider="Cloudforce One"), "try again in 30s"),
    (Unavailable("HTTP 503", provider="Cloudforce One"), "could not be reached (HTTP 503)"),
    (Rejected("too long", provider="Cloudforce One"), "refused it (too long)"),
])
def test_error_replies_name_what_failed(error: Exception, expected: str) -> None:
    assert expected in error_reply(error, doing="Linking")  # type: ignore[arg-type]


def test_logs_never_carry_secrets() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s and xoxb-123-abc", ("s3cr3t-value",), None)
    record.header = "Bearer s3cr3t-value"
    assert Redactor(["s3cr3t-value"]).filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "token *** and ***" and line["header"] == "Bearer ***"
    assert "s3cr3t" not in json.dumps(line)


@pytest.mark.parametrize("raw", ["F174E90A-FAFE-4643-BBBC-4A0ED4FC8415", " f174e90a-fafe-4643-bbbc-4a0ed4fc8415 "])
def test_request_ids_are_normalised(raw: str) -> None:
    provider = CloudforceOne(httpx.AsyncClient(), account_id="a" * 32)
    assert provider.validate_request_id(raw) == "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"


def test_cursor_takes_the_later_time_whatever_the_format() -> None:
    assert later_cursor("2026-01-01T00:00:05Z", "2026-01-01T00:00:04.999999Z") == "2026-01-01T00:00:05Z"
    assert later_cursor(None, "2026-01-01T00:00:00Z") == "2026-01-01T00:00:00Z"
    assert later_cursor("2026-01-01T00:00:00Z", None) == "2026-01-01T00:00:00Z"
