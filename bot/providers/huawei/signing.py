"""Huawei Cloud AK/SK request signing (SDK-HMAC-SHA256), as an httpx `Auth` that signs every request.

The algorithm is the one of the official SDK core (huaweicloudsdkcore/signer/signer.py), which
tests/providers/test_huawei.py checks this module against on the same inputs:

    CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
    StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexSHA256(CanonicalRequest)
    Authorization    = SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=HexHMAC-SHA256(SK, StringToSign)

It is written here rather than imported because the SDK core brings requests, pymongo, dnspython and
more into the runtime for these few lines, and its `Signer`/`SdkRequest` are internal classes.
The signature covers the bytes httpx actually sends (path, query, headers and body of the built
request) and is made per request, so every retry gets a fresh X-Sdk-Date.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

import httpx

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
HEADER_DATE = "X-Sdk-Date"
# GlobalCredentials: the account a domain-level (global) service acts for.
HEADER_DOMAIN_ID = "X-Domain-Id"


def _encode(value: str) -> str:
    # The SDK's _url_encode: RFC 3986 unreserved characters stay, everything else is %XX.
    return quote(value, safe="~")


def canonical_uri(raw_path: str) -> str:
    """Each path segment decoded and re-encoded; always ends with '/' (an SDK rule, not a typo)."""
    path = "/".join(_encode(segment) for segment in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(raw_query: str) -> str:
    """Parameters decoded, sorted by name then value, re-encoded, joined with '&'."""
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Host, Content-Type and the X- headers, lower-cased and sorted.

    The SDK signs every header it sends; httpx adds transport headers (Accept-Encoding, Connection,
    User-Agent, Content-Length) that a proxy may rewrite, so only the headers the API reads are
    signed. The SDK skips names containing '_' (the gateway drops them), and so do we.
    """
    names = {name.lower() for name in headers}
    chosen = {n for n in names if (n in ("host", "content-type") or n.startswith("x-")) and "_" not in n}
    chosen.discard("authorization")
    return sorted(chosen)


def signature(
    *, method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], signed: list[str],
    body: bytes, sdk_date: str, sk: str,
) -> str:
    """The hex signature of one request; `headers` holds the values actually sent."""
    lowered = {name.lower(): value for name, value in headers.items()}
    canonical_headers = "".join(f"{name}:{lowered[name].strip()}\n" for name in signed)
    canonical_request = "\n".join([
        method.upper(),
        canonical_uri(raw_path),
        canonical_query(raw_query),
        canonical_headers,
        ";".join(signed),
        hashlib.sha256(body).hexdigest(),
    ])
    string_to_sign = "\n".join([ALGORITHM, sdk_date, hashlib.sha256(canonical_request.encode()).hexdigest()])
    return hmac.new(sk.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(*, ak: str, signed: list[str], signature_hex: str) -> str:
    return f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, Signature={signature_hex}"


def sign_request(request: httpx.Request, *, ak: str, sk: str, domain_id: str | None, now: datetime) -> None:
    """Add X-Domain-Id, X-Sdk-Date and Authorization to a built httpx request, in place."""
    if domain_id:
        request.headers[HEADER_DOMAIN_ID] = domain_id
    sdk_date = now.astimezone(UTC).strftime(DATE_FORMAT)
    request.headers[HEADER_DATE] = sdk_date
    request.headers.pop("Authorization", None)
    raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
    signed = signed_header_names(request.headers)
    signature_hex = signature(method=request.method, raw_path=raw_path, raw_query=raw_query,
                              headers=request.headers, signed=signed, body=request.content,
                              sdk_date=sdk_date, sk=sk)
    request.headers["Authorization"] = authorization(ak=ak, signed=signed, signature_hex=signature_hex)


class HuaweiAkSkAuth(httpx.Auth):
    """Signs each request as it is sent (a retry is a new request, with a new date)."""

    requires_request_body = True

    def __init__(self, *, ak: str, sk: str, domain_id: str | None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._ak, self._sk, self._domain_id, self._clock = ak, sk, domain_id, clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        sign_request(request, ak=self._ak, sk=self._sk, domain_id=self._domain_id, now=self._clock())
        yield request
