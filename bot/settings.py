"""Settings from the environment (and a `.env` file), validated once at start-up.

A missing or malformed setting becomes one `ConfigError` line naming it, never a traceback.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import unquote

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.budget.bucket import Limit
from bot.errors import ConfigError
from bot.providers import registry
from bot.providers.plugin import ProviderSettings

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")


class Settings(BaseSettings):
    """Every knob the operator can turn; names are the upper-cased environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    database_url: str = "sqlite:///request-bridge.db"
    port: int = Field(default=3000, ge=1, le=65535)
    host: str = "0.0.0.0"
    # Adaptive polling (bot/bridge/schedule.py): a busy conversation is polled every POLL_INTERVAL_SECONDS, a quiet
    # one ever more rarely, and none waits longer than MAX_POLL_INTERVAL_SECONDS while the budget allows.
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    max_poll_interval_seconds: float = Field(default=900.0, gt=0)
    # How often a provider's list of requests by last change is read, to poll the conversations that moved at
    # once (bot/bridge/hints.py); 0 turns it off. The polls' guarantee holds either way.
    change_hint_seconds: float = Field(default=5.0, ge=0)
    # Cloudforce One's `after` filter only sees new messages; edits and deletions of older ones need a
    # full listing, done on every Nth poll of a link.
    reconcile_every_polls: int = Field(default=10, ge=1)
    retry_interval_seconds: float = Field(default=15.0, gt=0)
    # A replica's hold on a link; after it lapses another replica takes the link over. A replica also writes a
    # heartbeat every HEARTBEAT_SECONDS: one that missed three is dead, and its leases free before they lapse.
    lease_seconds: float = Field(default=60.0, gt=0)
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    # This replica's name in leases. Default host:PORT, so a restarted process takes its links back at once.
    replica_id: str | None = Field(default=None, max_length=64)
    max_retry_interval_seconds: float = Field(default=3600.0, gt=0)
    # Slack events are applied this long after they arrive, so one written earlier but delivered a moment
    # later (concurrent deliveries, another replica) still goes first.
    order_window_seconds: float = Field(default=1.0, ge=0)
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=24, ge=1)
    # conversations.replies budget for catching up after downtime and reading posts back: Tier 3 (50+/min)
    # for internal and Marketplace apps; set 1 for apps distributed outside the Marketplace.
    slack_replies_per_minute: float = Field(default=40.0, gt=0)
    # While running, threads that moved within the last CATCH_UP_RECENT_SECONDS are read back every
    # CATCH_UP_SWEEP_SECONDS (0: never), for events Slack gave up on without the bot noticing.
    catch_up_sweep_seconds: float = Field(default=600.0, ge=0)
    catch_up_recent_seconds: float = Field(default=3600.0, gt=0)

    # Providers that cannot edit: also post the edited text as a new "(edited)" message.
    edit_follow_up: bool = False

    # Who may link (comma-separated Slack ids). Empty: anyone in a channel the bot is in.
    allowed_channel_ids: str = ""
    allowed_user_ids: str = ""
    allowed_usergroup_ids: str = ""
    # May unlink any link (besides the person who made it).
    admin_user_ids: str = ""
    # Whose messages go to requests (bot/bridge/access.py): `everyone` in a linked thread, as before this setting;
    # `allowed`: only those on the user/user-group allowlists (and admins), on every path that sends content.
    relay_from: Literal["everyone", "allowed"] = "everyone"

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # Each provider's own settings (bot/providers/<name>/settings.py), by provider name; set by load_settings.
    _providers: dict[str, ProviderSettings] = PrivateAttr(default_factory=dict)

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _strip_secret(cls, value: object) -> object:
        # Secrets pasted or mounted from a secret store often end in a newline, which no API accepts.
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @staticmethod
    def id_list(value: str) -> frozenset[str]:
        return frozenset(part.strip() for part in value.split(",") if part.strip())

    @property
    def provider_settings(self) -> Mapping[str, ProviderSettings]:
        """Each registered provider's settings, by provider name (read by load_settings)."""
        if not self._providers:
            self._providers = {p.name: p.settings() for p in registry.plugins()}
        return self._providers

    def request_budgets(self) -> dict[str, Limit]:
        """Each provider's call budget, by provider name."""
        return {name: settings.request_budget() for name, settings in self.provider_settings.items()}

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def sqlalchemy_url(self) -> str:
        """DATABASE_URL with the driver the store uses: the stdlib's for SQLite, asyncpg for PostgreSQL."""
        url = self.database_url
        for scheme in ("sqlite:///", "sqlite+aiosqlite:///", "sqlite+pysqlite:///"):
            if url.startswith(scheme):
                return "sqlite+pysqlite:///" + url.removeprefix(scheme)
        if url.startswith("postgresql+asyncpg://"):
            return url
        for scheme in ("postgresql://", "postgres://"):
            if url.startswith(scheme):
                return "postgresql+asyncpg://" + url.removeprefix(scheme)
        raise ConfigError(f"DATABASE_URL: unsupported database {url.split(':', 1)[0]!r}; "
                          "use sqlite:///path.db or postgresql://user:password@host/db")

    def missing_for_serve(self) -> list[str]:
        """Names of the settings `serve` cannot run without."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if self.slack_signing_secret is None and not self.socket_mode:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        started = [settings for settings in self.provider_settings.values() if settings.started()]
        for settings in started:
            missing += settings.missing()
        if not started:
            needed = " or ".join(p.minimal_settings for p in registry.plugins() if p.minimal_settings)
            missing.append(f"a provider's settings ({needed}; see `request-bridge --help`)")
        return missing

    def secrets(self) -> list[str]:
        """Every secret value, so the log filter can mask them."""
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        for settings in self.provider_settings.values():
            found += settings.secrets()
        # DATABASE_URL may carry the database password (postgresql://user:password@host/db).
        return found + _url_password_forms(self.database_url)


def _url_password_forms(url: str) -> list[str]:
    """A URL's password, and as HTTP Basic credentials (base64 of `user:password`), which a driver or proxy
    may echo in an error. (The Redactor masks every percent-encoding of each itself.)"""
    # Read by hand: make_url fails on a malformed port, and that URL's password must be masked all the same.
    user, _, written = url.split("://", 1)[-1].rpartition("@")[0].partition(":")
    if not written:
        return []
    password = unquote(written)
    pair = f"{unquote(user)}:{password}".encode()
    forms = [password]
    for encoded in (base64.b64encode(pair), base64.urlsafe_b64encode(pair)):
        forms += [encoded.decode(), encoded.decode().rstrip("=")]
    return forms


# Secrets that may be given as files (`NAME_FILE=/run/secrets/...`), as container secret stores do.
CORE_SECRETS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")


def secret_settings() -> tuple[str, ...]:
    """Every secret's environment name: the core's and each registered provider's."""
    names = [name.upper() for p in registry.plugins() for name in p.settings.secret_fields()]
    return CORE_SECRETS + tuple(names)


def _secrets_from_files(environ: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for name in secret_settings():
        path = environ.get(f"{name}_FILE")
        if not path:
            continue
        if environ.get(name):
            raise ConfigError(f"{name} and {name}_FILE are both set; keep one")
        try:
            values[name.lower()] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {path} ({exc.strerror})") from None
    return values


_S = TypeVar("_S", bound=BaseSettings)


def _validated(model: type[_S], values: dict[str, object], problems: list[str]) -> _S | None:
    """The model, or None with one line per invalid field added to `problems`."""
    try:
        return model(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            problems.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        return None


def load_settings(*, for_serve: bool = True, **overrides: object) -> Settings:
    """Read and validate settings; raise ConfigError with one line naming what is wrong."""
    values = {**_secrets_from_files(os.environ), **overrides}
    core_fields = set(Settings.model_fields) | {"_env_file"}
    problems: list[str] = []
    settings = _validated(Settings, {k: v for k, v in values.items() if k in core_fields}, problems)
    providers = {}
    for plugin in registry.plugins():
        own = set(plugin.settings.model_fields) | {"_env_file"}
        providers[plugin.name] = _validated(plugin.settings, {k: v for k, v in values.items() if k in own}, problems)
    if problems or settings is None:
        raise ConfigError("invalid settings: " + "; ".join(problems))
    settings._providers = {name: ps for name, ps in providers.items() if ps is not None}
    if for_serve:
        missing = settings.missing_for_serve()
        if missing:
            raise ConfigError("missing settings: " + ", ".join(missing) + " (see README, 'Configure')")
    check_database_url(settings.sqlalchemy_url)  # now, before anything is opened or written
    return settings


def check_database_url(url: str) -> None:
    """ConfigError naming what is wrong with DATABASE_URL that can be seen without connecting: not a URL, a
    port that is not a number from 1 to 65535, a SQLite file in a directory that does not exist."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        # A port that is not a number fails int() inside make_url; the password is not repeated here.
        reason = "its port is not a number" if "int()" in str(exc) else "not a database URL"
        raise ConfigError(f"DATABASE_URL: {reason}; use sqlite:///path.db or "
                          "postgresql://user:password@host:5432/db") from None
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise ConfigError(f"DATABASE_URL: port {parsed.port} is out of range (1-65535)")
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigError("DATABASE_URL: name the SQLite file, e.g. sqlite:///request-bridge.db")
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ConfigError(f"DATABASE_URL: the directory {folder} does not exist; create it or choose another")
