"""The one factory for outbound HTTP clients, and the retry policy every provider call goes through.

Retries honour Retry-After and never repeat a write that may already have been applied: a create that
timed out or got a 5xx raises AmbiguousWrite, and the caller checks the provider before trying again.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot import __version__
from bot.errors import AmbiguousWrite, RateLimited, Unavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A longer Retry-After is not slept inline: the caller is told and tries again later.
    max_inline_wait: float = 10.0
    # A provider answer larger than this is refused rather than read into memory.
    max_response_bytes: int = 10 * 1024 * 1024


def build_client(*, base_url: str, headers: Mapping[str, str], timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An httpx client with the bridge's base URL, auth headers, timeouts and user agent."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"User-Agent": f"request-bridge/{__version__}", **headers},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        transport=transport,
    )


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else default


class ResponseTooLarge(httpx.TransportError):
    """The answer exceeded RetryPolicy.max_response_bytes; it was not read to the end."""


async def _bounded(client: httpx.AsyncClient, method: str, url: str, *, json: Any, max_bytes: int) -> httpx.Response:
    """Send a request and read at most `max_bytes` of the answer."""
    async with client.stream(method, url, json=json) as response:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLarge(f"answer larger than {max_bytes} bytes", request=response.request)
        # The body is already decoded: drop the headers that describe the wire form.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=response.request)


def _backoff(policy: RetryPolicy, attempt: int) -> float:
    return min(policy.max_delay, policy.base_delay * 2 ** attempt) * (0.5 + random.random() / 2)


async def send(
    client: httpx.AsyncClient, method: str, url: str, *, provider: str, idempotent: bool,
    json: Any = None, policy: RetryPolicy = RetryPolicy(),
) -> httpx.Response:
    """Send one request with retries; return the first response that is neither 429 nor 5xx.

    Raises RateLimited, Unavailable, or AmbiguousWrite (non-idempotent call whose outcome is unknown).
    """
    last_error = "no attempt made"
    for attempt in range(policy.attempts):
        try:
            response = await _bounded(client, method, url, json=json, max_bytes=policy.max_response_bytes)
        except httpx.ConnectError as exc:
            # The request never left: safe to repeat even for a create.
            last_error = f"cannot connect: {exc}"
        except ResponseTooLarge as exc:
            last_error = str(exc)
            if not idempotent:
                raise AmbiguousWrite(f"no usable answer ({last_error})", provider=provider) from None
        except httpx.TransportError as exc:
            # The type only: a transport error's text can quote the request, headers included.
            last_error = type(exc).__name__
            if not idempotent:
                raise AmbiguousWrite(f"no answer ({last_error})", provider=provider) from None
        else:
            if response.status_code == 429:
                wait = retry_after_seconds(response)
                if wait > policy.max_inline_wait or attempt == policy.attempts - 1:
                    raise RateLimited(f"rate limited, retry after {wait:.0f}s", retry_after=wait, provider=provider)
                log.warning("rate limited", extra={"provider": provider, "retry_after": wait})
                await asyncio.sleep(wait)
                continue
            if response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                if not idempotent:
                    raise AmbiguousWrite(f"server error ({last_error})", provider=provider,
                                         status=response.status_code)
            else:
                return response
        if attempt < policy.attempts - 1:
            await asyncio.sleep(_backoff(policy, attempt))
    raise Unavailable(f"unavailable after {policy.attempts} attempts ({last_error})", provider=provider)
