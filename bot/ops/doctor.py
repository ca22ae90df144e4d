"""`request-bridge doctor`: checks the settings, the Slack token and its scopes, each provider's credentials
and the database, and prints a checklist saying what to fix. Exit code 0 when all is well, 1 otherwise.

Every check is one cheap call; nothing is written anywhere (the database is read, never migrated).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.errors import ConfigError, NotFound, PermissionDenied, ProviderError, RateLimited, Unavailable
from bot.logs import Redactor, configure
from bot.ops.checks import Check, render
from bot.ops.live import live_checks
from bot.providers import registry
from bot.providers.base import Provider
from bot.service import build_providers
from bot.settings import Settings, load_settings
from bot.slack.gateway import build_web_client
from bot.slack.scopes import METHOD_SCOPES, OTHER_SCOPES, required_bot_scopes
from bot.store.migrations import MIGRATIONS, current_version

# Slack errors that mean the token itself is wrong, not the network.
TOKEN_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                "not_allowed_token_type"}


def scope_purpose(scope: str) -> str:
    """What the bridge needs a bot scope for, from bot/slack/scopes.py."""
    uses = [OTHER_SCOPES[scope]] if scope in OTHER_SCOPES else []
    methods = sorted(m for m, needed in METHOD_SCOPES.items() if scope in needed)
    if methods:
        uses.append("calling " + ", ".join(methods))
    return "; ".join(uses) or "required by the bridge"


def scope_checks(granted: frozenset[str] | None, required: frozenset[str]) -> list[Check]:
    """One failure per missing scope (naming what it is for), or one success; extra scopes are mentioned."""
    if granted is None:
        return [Check(True, "Slack scopes", "Slack did not report the token's scopes (no x-oauth-scopes header); "
                                            "compare OAuth & Permissions with manifest.yml by hand")]
    fix = ("add it under OAuth & Permissions > Bot Token Scopes (manifest.yml lists it), reinstall the app, "
           "and put the bot token it shows into SLACK_BOT_TOKEN")
    missing = sorted(required - granted)
    checks = [Check(False, f"Slack scope {scope}", f"not granted; needed for {scope_purpose(scope)}", fix)
              for scope in missing]
    if not missing:
        extra = sorted(granted - required)
        note = f"; also granted, not needed: {', '.join(extra)}" if extra else ""
        checks.append(Check(True, "Slack scopes", f"all {len(required)} needed scopes granted{note}"))
    return checks


def settings_checks() -> tuple[Settings | None, list[Check]]:
    """Load the settings: one failure per invalid or missing setting, or one success."""
    try:
        settings = load_settings(for_serve=False)
    except ConfigError as exc:
        text = str(exc)
        problems = text.removeprefix("invalid settings: ").split("; ") if text.startswith("invalid") else [text]
        fix = "correct it in the environment or .env (request-bridge --help lists every setting)"
        return None, [Check(False, "setting", problem, fix) for problem in problems]
    fix = "set it in the environment or .env (see README, 'Configure')"
    checks = [Check(False, "setting", f"{name} is missing", fix) for name in settings.missing_for_serve()]
    if not checks:
        mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
        checks.append(Check(True, "settings", f"all present and valid ({mode}, port {settings.port})"))
    return settings, checks


async def slack_checks(settings: Settings) -> list[Check]:
    """auth.test with the bot token, the scopes Slack says it was granted, and the app token in Socket Mode."""
    if settings.slack_bot_token is None:
        return []
    client = build_web_client(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                              timeout=settings.http_timeout_seconds)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        data = getattr(exc.response, "data", None)
        error = str(data.get("error")) if isinstance(data, dict) else "garbled answer"
        if error in TOKEN_ERRORS:
            return [Check(False, "Slack token", f"refused by Slack ({error})",
                          "copy the Bot User OAuth Token (xoxb-...) from OAuth & Permissions into SLACK_BOT_TOKEN")]
        return [Check(False, "Slack token", f"auth.test failed ({error})", "run doctor again; see status.slack.com")]
    except Exception as exc:  # connection refused, DNS, timeout: the answer is "cannot reach"
        return [Check(False, "Slack", f"cannot reach {settings.slack_api_url} ({type(exc).__name__})",
                      "check SLACK_API_URL and that this host can reach Slack (proxy, firewall)")]
    who = f"@{response.get('user')} ({response.get('user_id')}) in {response.get('team')} ({response.get('team_id')})"
    checks = [Check(True, "Slack token", f"accepted: {who}")]
    header = response.headers.get("x-oauth-scopes") if response.headers else None
    granted = frozenset(s.strip() for s in header.split(",") if s.strip()) if header is not None else None
    checks += scope_checks(granted, required_bot_scopes())
    if settings.slack_app_token is not None:
        checks.append(await _app_token_check(settings))
    return checks


async def _app_token_check(settings: Settings) -> Check:
    assert settings.slack_app_token is not None
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(max(1, settings.http_timeout_seconds)))
    try:
        await client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
    except Exception as exc:
        data = getattr(getattr(exc, "response", None), "data", None)
        error = str(data.get("error")) if isinstance(data, dict) else type(exc).__name__
        return Check(False, "Slack app-level token", f"apps.connections.open failed ({error})",
                     "create an app-level token with connections:write (Basic Information) for SLACK_APP_TOKEN")
    return Check(True, "Slack app-level token", "accepted (Socket Mode can connect)")


def _endpoint(name: str) -> str:
    found = registry.plugin(name)
    return found.endpoint_setting if found else "the base URL"


def _credentials(name: str, fallback: str) -> str:
    """Where a provider's credentials are set (its plug-in says), for the "fix:" line of a refused probe."""
    found = registry.plugin(name)
    return found.credentials_help if found else fallback


def _provider_fix(name: str, exc: ProviderError) -> str:
    if isinstance(exc, RateLimited):
        return "the provider is rate limiting these credentials; wait and run doctor again"
    if isinstance(exc, Unavailable):
        return f"check {_endpoint(name)} and that this host can reach it; run doctor again"
    if isinstance(exc, PermissionDenied | NotFound):
        return "check " + _credentials(name, "the provider's credentials")
    return "check " + _credentials(name, "the provider's settings")


async def provider_checks(settings: Settings) -> list[Check]:
    """One cheap authenticated read per configured provider."""
    try:
        providers = build_providers(settings)
    except ConfigError as exc:
        return [Check(False, "provider settings", str(exc), "correct it in the environment or .env")]
    return list(await asyncio.gather(*(_probe(name, provider) for name, provider in providers.items())))


async def _probe(name: str, provider: Provider) -> Check:
    try:
        detail = await provider.probe()
        return Check(True, provider.display_name, f"credentials accepted ({detail})")
    except ProviderError as exc:
        return Check(False, provider.display_name, str(exc), _provider_fix(name, exc))
    finally:
        await provider.aclose()


async def database_check(settings: Settings) -> Check:
    """Connect (without creating or migrating anything) and compare the schema version with the code's."""
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    url = settings.sqlalchemy_url
    latest = MIGRATIONS[-1][0]
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        if not path.is_file():
            return Check(False, "database", f"{shown}: no database file at {path.resolve()}",
                         "run `request-bridge migrate` (or start `serve`, which creates it), or fix DATABASE_URL")
    try:
        version = await _schema_version(url, timeout=settings.http_timeout_seconds)
    except Exception as exc:  # whatever the driver raises, the operator needs its first line
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        fix = ("check that DATABASE_URL names the bridge's SQLite file" if url.startswith("sqlite") else
               "check DATABASE_URL, that the server is up and the credentials in the URL")
        return Check(False, "database", f"{shown}: cannot open ({type(exc).__name__}: {reason})", fix)
    if version < latest:
        return Check(False, "database", f"{shown}: schema version {version}, this release needs {latest}",
                     "run `request-bridge migrate` (serve also migrates on start)")
    if version > latest:
        return Check(False, "database", f"{shown}: schema version {version} is newer than this release ({latest})",
                     "run the release that migrated it, or a newer one")
    return Check(True, "database", f"{shown}: reachable, schema version {version} (latest)")


async def _schema_version(url: str, *, timeout: float) -> int:
    """The schema version, read without creating anything (SQLite through the stdlib driver, as the store)."""
    if url.startswith("sqlite"):
        sync = create_engine(url)
        try:
            with sync.connect() as conn:
                return current_version(conn)
        finally:
            sync.dispose()
    engine = create_async_engine(url, connect_args={"timeout": timeout})
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(current_version)
    finally:
        await engine.dispose()


async def run_checks(settings: Settings) -> list[Check]:
    """Every check after the settings, run concurrently; each is independent of the others."""
    parts: list[Callable[[Settings], Awaitable[list[Check]]]] = [slack_checks, provider_checks, _database]
    results = await asyncio.gather(*(part(settings) for part in parts))
    return [check for result in results for check in result]


async def _database(settings: Settings) -> list[Check]:
    return [await database_check(settings)]


def main(*, live: Mapping[str, str] | None = None, write_test: bool = False) -> int:
    """Run every check, print the checklist (secrets masked), return the exit code. With `live` (provider
    name -> request id), also check on the real accounts what the bridge assumes about their APIs."""
    settings, checks = settings_checks()
    secrets = settings.secrets() if settings is not None else []
    configure(level="WARNING", fmt=settings.log_format if settings else "text", secrets=secrets)
    if settings is not None:
        try:
            checks += asyncio.run(run_checks(settings))
            if live is not None:
                checks += asyncio.run(live_checks(settings, live, write_test=write_test))
        except ConfigError as exc:  # e.g. an unsupported DATABASE_URL scheme
            checks.append(Check(False, "settings", str(exc), "correct it in the environment or .env"))
    text = render(checks)
    if settings is None:
        text += "\n(Slack, the providers and the database are checked once the settings are valid)"
    print(Redactor(secrets).mask(text))
    return 0 if all(c.ok for c in checks) else 1
