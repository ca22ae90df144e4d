"""Cloudforce One's settings: the account, its credentials, the API's base URL and the request budget."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import SecretStr, field_validator

from bot.providers.plugin import ProviderSettings

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")


class CloudforceOneSettings(ProviderSettings):
    BUDGET_FIELD: ClassVar[str] = "cloudflare_request_budget"
    STARTED_BY: ClassVar[tuple[str, ...]] = ("cloudflare_account_id", "cloudflare_api_token", "cloudflare_email",
                                             "cloudflare_api_key")

    cloudflare_account_id: str | None = None
    cloudflare_api_token: SecretStr | None = None
    cloudflare_email: str | None = None
    cloudflare_api_key: SecretStr | None = None
    cloudflare_base_url: str = "https://api.cloudflare.com/client/v4"
    # Cloudflare allows 1,200 calls per 5 minutes per user; the default keeps 10% for the dashboard and
    # other tools (https://developers.cloudflare.com/fundamentals/api/reference/limits/).
    cloudflare_request_budget: str = "1080/300"

    @field_validator("cloudflare_account_id")
    @classmethod
    def _account_id_is_hex(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT_ID.match(value):
            raise ValueError("must be the 32-character hex account identifier from the Cloudflare dashboard")
        return value

    @field_validator("cloudflare_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.cloudflare.com/client/v4")
        return value.rstrip("/")

    def missing(self) -> list[str]:
        missing = []
        if self.cloudflare_account_id is None:
            missing.append("CLOUDFLARE_ACCOUNT_ID")
        if self.cloudflare_api_token is None and (self.cloudflare_email is None or self.cloudflare_api_key is None):
            missing.append("CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY)")
        return missing
