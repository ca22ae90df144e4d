"""Huawei OSM's settings: AK/SK (Huawei's recommendation) or an IAM token, the endpoint, the request budget."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import SecretStr

from bot.providers.plugin import ProviderSettings


class HuaweiSettings(ProviderSettings):
    BUDGET_FIELD: ClassVar[str] = "huawei_request_budget"
    STARTED_BY: ClassVar[tuple[str, ...]] = ("huawei_ak", "huawei_sk", "huawei_auth_token")

    # OSM is a global service: signing with AK/SK also needs the account's domain id.
    huawei_endpoint: str = "https://osm.myhuaweicloud.com"
    huawei_ak: str | None = None
    huawei_sk: SecretStr | None = None
    huawei_domain_id: str | None = None
    huawei_auth_token: SecretStr | None = None
    huawei_group_id: str | None = None
    huawei_site: Literal[0, 1] | None = None
    huawei_language: str = "en-us"
    huawei_time_zone: str = "GMT+0"
    # Huawei publishes no limit: a conservative default.
    huawei_request_budget: str = "600/300"
