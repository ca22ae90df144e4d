"""The one mapping from a provider's HTTP answer to the bridge's error tree, shared by every provider.

A provider first reads what only it knows (Huawei's error codes, JITSudo's tenant and policy refusals) and
hands the rest here, so a status means the same on every provider:
404 NotFound, 401/403 PermissionDenied, 429 RateLimited, 5xx Unavailable (AmbiguousWrite for a write whose
outcome is unknown), any other refusal Rejected.
"""

from __future__ import annotations

import httpx

from bot.errors import (
    AmbiguousWrite,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)

DEFAULT_RETRY_AFTER = 60.0


def error_for_status(status: int, detail: str, *, provider: str, idempotent: bool = True,
                     retry_after: float = DEFAULT_RETRY_AFTER, denied: str = "access denied: ",
                     server: str = "") -> ProviderError:
    """The error for a refused call; `denied` and `server` prefix the detail of those two kinds."""
    if status == 404:
        return NotFound(detail, provider=provider, status=status)
    if status in (401, 403):
        return PermissionDenied(f"{denied}{detail}", provider=provider, status=status)
    if status == 429:
        return RateLimited(detail, retry_after=retry_after, provider=provider, status=status)
    if status >= 500:
        kind = Unavailable if idempotent else AmbiguousWrite
        return kind(f"{server}{detail}", provider=provider, status=status)
    return Rejected(detail, provider=provider, status=status)


def garbled(response: httpx.Response, *, provider: str, idempotent: bool) -> ProviderError:
    """An answer that is not what the API documents: a write's outcome is then unknown."""
    if response.is_success and not idempotent:
        return AmbiguousWrite("garbled answer to a write", provider=provider, status=response.status_code)
    return Unavailable(f"garbled answer (HTTP {response.status_code})", provider=provider,
                       status=response.status_code)
