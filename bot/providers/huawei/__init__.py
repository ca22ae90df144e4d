"""Huawei Cloud service tickets (OSM): the client, its spec models, AK/SK signing, its settings and plug-in."""

from __future__ import annotations

from bot.errors import ConfigError
from bot.http import build_client
from bot.providers.huawei.client import HuaweiOSM
from bot.providers.huawei.settings import HuaweiSettings
from bot.providers.huawei.signing import HuaweiAkSkAuth
from bot.providers.huawei.times import parse_zone
from bot.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings


def build(settings: ProviderSettings, context: BuildContext) -> HuaweiOSM | None:
    """The provider, or None when no Huawei credentials are set. Raises ConfigError on half a pair."""
    assert isinstance(settings, HuaweiSettings)
    ak = settings.huawei_ak or None
    sk = settings.huawei_sk.get_secret_value() if settings.huawei_sk else None
    token = settings.huawei_auth_token.get_secret_value() if settings.huawei_auth_token else None
    if not (ak or sk or token):
        return None
    if bool(ak) != bool(sk):
        missing = "HUAWEI_SK" if ak else "HUAWEI_AK"
        raise ConfigError(f"{missing}: missing; HUAWEI_AK and HUAWEI_SK go together")
    if ak and not settings.huawei_domain_id:
        raise ConfigError("HUAWEI_DOMAIN_ID: required with HUAWEI_AK/HUAWEI_SK (OSM is a global service; "
                          "signed calls name the account)")
    if not settings.huawei_endpoint.startswith(("http://", "https://")):
        raise ConfigError("HUAWEI_ENDPOINT: must be an http(s) URL such as https://osm.myhuaweicloud.com")
    if settings.huawei_group_id and len(settings.huawei_group_id) > 64:
        raise ConfigError("HUAWEI_GROUP_ID: at most 64 characters")
    try:
        zone = parse_zone(settings.huawei_time_zone)
    except ValueError:
        raise ConfigError("HUAWEI_TIME_ZONE: must look like GMT+8, GMT-03:30 or GMT+0") from None
    headers = {"X-Language": settings.huawei_language, "X-Time-Zone": settings.huawei_time_zone}
    if settings.huawei_site is not None:
        headers["X-Site"] = str(settings.huawei_site)
    if not ak and token:
        headers["X-Auth-Token"] = token
    client = build_client(base_url=settings.huawei_endpoint.rstrip("/"), headers=headers,
                          timeout=context.timeout, transport=context.transport)
    if ak and sk:
        client.auth = HuaweiAkSkAuth(ak=ak, sk=sk, domain_id=settings.huawei_domain_id)
        auth_settings = "HUAWEI_AK, HUAWEI_SK and HUAWEI_DOMAIN_ID"
    else:
        auth_settings = "HUAWEI_AUTH_TOKEN (an IAM token expires after 24 hours)"
    return HuaweiOSM(client, auth_settings=auth_settings, group_id=settings.huawei_group_id or None, zone=zone)



PLUGIN = ProviderPlugin(
    name=HuaweiOSM.name,
    summary="Huawei Cloud service tickets",
    settings=HuaweiSettings,
    build=build,
    env_help="""\
  HUAWEI_AK + HUAWEI_SK + HUAWEI_DOMAIN_ID (or HUAWEI_AUTH_TOKEN), HUAWEI_ENDPOINT, HUAWEI_GROUP_ID,
  HUAWEI_SITE, HUAWEI_LANGUAGE, HUAWEI_TIME_ZONE           Huawei Cloud service tickets
  HUAWEI_REQUEST_BUDGET    calls shared by all replicas, "requests/seconds" [600/300]""",
    credentials_help="HUAWEI_AK + HUAWEI_SK + HUAWEI_DOMAIN_ID (or HUAWEI_AUTH_TOKEN, which expires after 24 h)",
    endpoint_setting="HUAWEI_ENDPOINT",
    minimal_settings="HUAWEI_AK + HUAWEI_SK + HUAWEI_DOMAIN_ID",
)

__all__ = ["PLUGIN", "HuaweiOSM", "HuaweiSettings"]
