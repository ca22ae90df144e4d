"""What a provider plug-in declares: its settings, how to build it, and what operators are told about it.

A provider package (bot/providers/<name>/) exports one `ProviderPlugin`; bot/providers/registry.py lists them.
Nothing outside bot/providers/ names a provider or one of its settings: settings, budget, doctor, `--help` and
`/request help` read them from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import httpx
from pydantic import SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.budget.bucket import Limit, parse_limit
from bot.providers.base import Provider


class ProviderSettings(BaseSettings):
    """One provider's settings, read from the environment and `.env` like the core settings.

    A plug-in subclasses it with its own fields (named as their environment variables, lower-cased) and says
    which field holds its request budget and which fields, when set, mean the operator is configuring it.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # The field holding this provider's call budget, "requests/seconds" (bot/budget/ledger.py).
    BUDGET_FIELD: ClassVar[str] = ""
    # Fields whose presence means "this provider is being configured".
    STARTED_BY: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _strip_secret(cls, value: object, info: ValidationInfo) -> object:
        # Secrets pasted or mounted from a secret store often end in a newline, which no API accepts.
        if info.field_name in cls.secret_fields() and isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("*")
    @classmethod
    def _budget_is_a_rate(cls, value: object, info: ValidationInfo) -> object:
        if info.field_name == cls.BUDGET_FIELD:
            parse_limit(str(value))
        return value

    def started(self) -> bool:
        """Whether the operator set any of this provider's identifying settings."""
        return any(getattr(self, name) is not None for name in self.STARTED_BY)

    def missing(self) -> list[str]:
        """The settings still needed to run it, as environment variable names (empty: complete)."""
        return []

    def secrets(self) -> list[str]:
        """Every secret value set, so logs and Slack texts can mask them."""
        values = (getattr(self, name) for name in type(self).model_fields)
        return [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v.get_secret_value()]

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        """Its secret fields; their environment names may also be given as NAME_FILE."""
        return tuple(name for name, info in cls.model_fields.items() if "SecretStr" in str(info.annotation))

    def request_budget(self) -> Limit:
        return parse_limit(str(getattr(self, self.BUDGET_FIELD)))


@dataclass(frozen=True)
class BuildContext:
    """What the core hands every plug-in when it builds a provider."""

    timeout: float
    # The budget's transport for this provider (every call spends from its bucket); None in some tests.
    transport: httpx.AsyncBaseTransport | None = None


@dataclass(frozen=True)
class ProviderPlugin:
    name: str  # as typed in `/request link <name> <id>`
    summary: str  # one line for `/request help` and `--help`
    settings: type[ProviderSettings]
    # The provider, or None when it is not configured; raises ConfigError naming a bad setting.
    build: Callable[[ProviderSettings, BuildContext], Provider | None]
    # `request-bridge --help` lines for its settings.
    env_help: str
    # Where its credentials are set, for doctor's "fix:" line when a probe is refused.
    credentials_help: str
    # The setting that holds its base URL, for doctor's "fix:" line when it cannot be reached.
    endpoint_setting: str
    # How long a 429 without Retry-After pauses every call to it (None: the budget's fallback).
    default_pause_seconds: float | None = None
    # What to set at least, for the start-up error when no provider is configured.
    minimal_settings: str = ""
