"""JITSudo access requests: the client, its spec models, its settings and its plug-in registration."""

from __future__ import annotations

from bot.errors import ConfigError
from bot.http import build_client
from bot.providers.ids import canonical_uuid
from bot.providers.jitsudo.client import JITSudo, auth_headers
from bot.providers.jitsudo.settings import JITSudoSettings
from bot.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings


def build(settings: ProviderSettings, context: BuildContext) -> JITSudo | None:
    """The JITSudo provider, or None when JITSUDO_BASE_URL is not set; ConfigError names a bad setting."""
    assert isinstance(settings, JITSudoSettings)
    base_url = (settings.jitsudo_base_url or "").strip()
    if not base_url:
        return None
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError("JITSUDO_BASE_URL: must be an http(s) URL such as https://jitsudo.example.com")
    if not settings.jitsudo_tenant_id:
        raise ConfigError("JITSUDO_TENANT_ID: required with JITSUDO_BASE_URL (the tenant's UUID)")
    tenant_id = canonical_uuid(settings.jitsudo_tenant_id)
    if tenant_id is None:
        raise ConfigError("JITSUDO_TENANT_ID: must be the tenant's UUID, e.g. 2489e9ad-2ee2-8e00-8ec9-32d5f69181c0")
    api_key = settings.jitsudo_api_key.get_secret_value() if settings.jitsudo_api_key else None
    token = settings.jitsudo_bearer_token.get_secret_value() if settings.jitsudo_bearer_token else None
    if not api_key and not token:
        raise ConfigError("JITSUDO_API_KEY or JITSUDO_BEARER_TOKEN: one is required with JITSUDO_BASE_URL")
    headers = auth_headers(api_key=api_key, bearer_token=token, tenant_id=tenant_id)
    client = build_client(base_url=base_url.rstrip("/"), headers=headers, timeout=context.timeout,
                          transport=context.transport)
    return JITSudo(client)


PLUGIN = ProviderPlugin(
    name=JITSudo.name,
    summary="JITSudo access requests",
    settings=JITSudoSettings,
    build=build,
    env_help="""\
  JITSUDO_BASE_URL, JITSUDO_API_KEY (or JITSUDO_BEARER_TOKEN), JITSUDO_TENANT_ID   JITSudo
  JITSUDO_REQUEST_BUDGET   calls shared by all replicas, "requests/seconds" [300/60]""",
    credentials_help="JITSUDO_API_KEY (or JITSUDO_BEARER_TOKEN) and JITSUDO_TENANT_ID, the credential's own tenant",
    endpoint_setting="JITSUDO_BASE_URL",
    minimal_settings="JITSUDO_BASE_URL + JITSUDO_API_KEY + JITSUDO_TENANT_ID",
)

__all__ = ["PLUGIN", "JITSudo", "JITSudoSettings"]
