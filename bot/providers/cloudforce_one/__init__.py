"""Cloudflare Cloudforce One requests: the client, its spec models, its settings and its plug-in registration."""

from __future__ import annotations

from bot.http import build_client
from bot.providers.cloudforce_one.client import CloudforceOne, auth_headers
from bot.providers.cloudforce_one.settings import CloudforceOneSettings
from bot.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings


def build(settings: ProviderSettings, context: BuildContext) -> CloudforceOne | None:
    """The provider, or None when no account is set."""
    assert isinstance(settings, CloudforceOneSettings)
    if not settings.cloudflare_account_id:
        return None
    token = settings.cloudflare_api_token.get_secret_value() if settings.cloudflare_api_token else None
    key = settings.cloudflare_api_key.get_secret_value() if settings.cloudflare_api_key else None
    client = build_client(base_url=settings.cloudflare_base_url, timeout=context.timeout,
                          headers=auth_headers(api_token=token, email=settings.cloudflare_email, api_key=key),
                          transport=context.transport)
    return CloudforceOne(client, account_id=settings.cloudflare_account_id)


PLUGIN = ProviderPlugin(
    name=CloudforceOne.name,
    summary="Cloudflare Cloudforce One requests",
    settings=CloudforceOneSettings,
    build=build,
    env_help="""\
  CLOUDFLARE_ACCOUNT_ID    32-hex account identifier (Cloudforce One)
  CLOUDFLARE_API_TOKEN     API token with Cloudforce One Write (Bearer), or:
  CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY   the email + Global API key pair
  CLOUDFLARE_BASE_URL      v4 API base URL            [https://api.cloudflare.com/client/v4]
  CLOUDFLARE_REQUEST_BUDGET  calls shared by all replicas, "requests/seconds" [1080/300]""",
    credentials_help="CLOUDFLARE_ACCOUNT_ID, and CLOUDFLARE_API_TOKEN (a token with Cloudforce One Write on that "
                     "account) or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY",
    endpoint_setting="CLOUDFLARE_BASE_URL",
    # Cloudflare blocks a user for 5 minutes after the limit is passed.
    default_pause_seconds=300.0,
    minimal_settings="CLOUDFLARE_ACCOUNT_ID + CLOUDFLARE_API_TOKEN",
)

__all__ = ["PLUGIN", "CloudforceOne", "CloudforceOneSettings"]
