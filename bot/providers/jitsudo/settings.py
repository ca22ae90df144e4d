"""JITSudo's settings: the base URL, an API key (X-API-Key) or a bearer token, the tenant, the request budget."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr

from bot.providers.plugin import ProviderSettings


class JITSudoSettings(ProviderSettings):
    BUDGET_FIELD: ClassVar[str] = "jitsudo_request_budget"
    STARTED_BY: ClassVar[tuple[str, ...]] = ("jitsudo_base_url",)

    jitsudo_base_url: str | None = None
    jitsudo_api_key: SecretStr | None = None
    jitsudo_bearer_token: SecretStr | None = None
    # Sent on every call as X-Tenant-ID; it must name the credential's own tenant.
    jitsudo_tenant_id: str | None = None
    # JITSudo publishes no limit: a conservative default.
    jitsudo_request_budget: str = "300/60"
