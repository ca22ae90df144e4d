"""Settings from the environment (and a `.env` file), validated once at start-up.

A missing or malformed setting becomes one `ConfigError` line naming it, never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.budget.bucket import Limit, parse_limit
from bot.errors import ConfigError

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
    # Calls per provider, as "requests/seconds", shared by every replica (bot/budget/ledger.py). Cloudflare allows
    # 1,200 per 5 minutes per user (the default keeps 10% for the dashboard and other tools); Huawei OSM and
    # JITSudo publish no limit: conservative defaults.
    cloudflare_request_budget: str = "1080/300"
    huawei_request_budget: str = "600/300"
    jitsudo_request_budget: str = "300/60"
    # Cloudforce One's `after` filter only sees new messages; edits and deletions of older ones need a
    # full listing, done on every Nth poll of a link.
    reconcile_every_polls: int = Field(default=10, ge=1)
    retry_interval_seconds: float = Field(default=15.0, gt=0)
    # A replica's hold on a link; after it lapses (the replica died) another replica takes the link over.
    lease_seconds: float = Field(default=60.0, gt=0)
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

    cloudflare_account_id: str | None = None
    cloudflare_api_token: SecretStr | None = None
    cloudflare_email: str | None = None
    cloudflare_api_key: SecretStr | None = None
    cloudflare_base_url: str = "https://api.cloudflare.com/client/v4"

    # Huawei Cloud service tickets (OSM). AK/SK signing is Huawei's recommendation; an IAM token is the
    # alternative. OSM is a global service: signing with AK/SK also needs the account's domain id.
    huawei_endpoint: str = "https://osm.myhuaweicloud.com"
    huawei_ak: str | None = None
    huawei_sk: SecretStr | None = None
    huawei_domain_id: str | None = None
    huawei_auth_token: SecretStr | None = None
    huawei_group_id: str | None = None
    huawei_site: Literal[0, 1] | None = None
    huawei_language: str = "en-us"
    huawei_time_zone: str = "GMT+0"

    # JITSudo access requests: an API key (X-API-Key) or a bearer token, and the tenant on every call.
    jitsudo_base_url: str | None = None
    jitsudo_api_key: SecretStr | None = None
    jitsudo_bearer_token: SecretStr | None = None
    jitsudo_tenant_id: str | None = None

    # Providers that cannot edit: also post the edited text as a new "(edited)" message.
    edit_follow_up: bool = False

    # Who may link (comma-separated Slack ids). Empty: anyone in a channel the bot is in.
    allowed_channel_ids: str = ""
    allowed_user_ids: str = ""
    allowed_usergroup_ids: str = ""
    # May unlink any link (besides the person who made it).
    admin_user_ids: str = ""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "cloudflare_api_token",
                     "cloudflare_api_key", "huawei_sk", "huawei_auth_token", "jitsudo_api_key",
                     "jitsudo_bearer_token", mode="before")
    @classmethod
    def _strip_secret(cls, value: object) -> object:
        # Secrets pasted or mounted from a secret store often end in a newline, which no API accepts.
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("cloudflare_request_budget", "huawei_request_budget", "jitsudo_request_budget")
    @classmethod
    def _budget_is_a_rate(cls, value: str) -> str:
        parse_limit(value)
        return value

    @field_validator("cloudflare_account_id")
    @classmethod
    def _account_id_is_hex(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT_ID.match(value):
            raise ValueError("must be the 32-character hex account identifier from the Cloudflare dashboard")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("cloudflare_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.cloudflare.com/client/v4")
        return value.rstrip("/")

    @staticmethod
    def id_list(value: str) -> frozenset[str]:
        return frozenset(part.strip() for part in value.split(",") if part.strip())

    def request_budgets(self) -> dict[str, Limit]:
        """Each provider's call budget, by provider name."""
        return {"cloudforce-one": parse_limit(self.cloudflare_request_budget),
                "huawei": parse_limit(self.huawei_request_budget),
                "jitsudo": parse_limit(self.jitsudo_request_budget)}

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
        cf_credentials = self.cloudflare_api_token is not None or (
            self.cloudflare_email is not None and self.cloudflare_api_key is not None)
        cf_started = self.cloudflare_account_id is not None or self.cloudflare_api_token is not None \
            or self.cloudflare_email is not None or self.cloudflare_api_key is not None
        others = (self.huawei_ak is not None or self.huawei_auth_token is not None
                  or self.jitsudo_base_url is not None)
        if cf_started or not others:
            if self.cloudflare_account_id is None:
                missing.append("CLOUDFLARE_ACCOUNT_ID")
            if not cf_credentials:
                missing.append("CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY)")
            if not cf_started:
                missing[-2:] = [" + ".join(missing[-2:]) + ", or another provider's settings (HUAWEI_*, JITSUDO_*)"]
        return missing

    def secrets(self) -> list[str]:
        """Every secret value, so the log filter can mask them."""
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                  self.cloudflare_api_token, self.cloudflare_api_key, self.huawei_sk, self.huawei_auth_token,
                  self.jitsudo_api_key, self.jitsudo_bearer_token]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        # DATABASE_URL may carry the database password (postgresql://user:password@host/db).
        password = _url_password(self.database_url)
        return found + [password] if password else found


def _url_password(url: str) -> str | None:
    try:
        return make_url(url).password
    except ArgumentError:  # not a URL at all: sqlalchemy_url names the problem
        return None


# Secrets that may be given as files (`NAME_FILE=/run/secrets/...`), as container secret stores do.
SECRET_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CLOUDFLARE_API_TOKEN",
                   "CLOUDFLARE_API_KEY", "HUAWEI_SK", "HUAWEI_AUTH_TOKEN", "JITSUDO_API_KEY", "JITSUDO_BEARER_TOKEN")


def _secrets_from_files(environ: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for name in SECRET_SETTINGS:
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


def load_settings(*, for_serve: bool = True, **overrides: object) -> Settings:
    """Read and validate settings; raise ConfigError with one line naming what is wrong."""
    try:
        settings = Settings(**{**_secrets_from_files(os.environ), **overrides})  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            problems.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
    if for_serve:
        missing = settings.missing_for_serve()
        if missing:
            raise ConfigError("missing settings: " + ", ".join(missing) + " (see README, 'Configure')")
    settings.sqlalchemy_url  # noqa: B018 - validates DATABASE_URL now rather than at first use
    return settings
