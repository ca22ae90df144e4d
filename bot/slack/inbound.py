"""What Slack sends to /slack/events, checked before anything reads it: the v0 signature over the raw bytes,
then the body's shape (pure).

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 under the app's signing secret and refuses nothing
older than five minutes (https://api.slack.com/authentication/verifying-requests-from-slack). Checking that
first means a forger's body is never parsed; checking the shape next means Bolt only ever sees the two
bodies Slack sends: a JSON object, or a form whose `payload` (if any) is a JSON object. Bolt's own check of
the signature is off (request_bridge/server.py): this one comes first and is the same, and a body cleaned of
NUL characters no longer matches its signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

MAX_AGE_SECONDS = 5 * 60
# Slack's payloads nest a dozen levels at most (rich text in blocks in a view); far deeper is an attack.
MAX_DEPTH = 64
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Malformed(ValueError):
    """A signed body that is not one Slack sends: answered 400."""


def signature_ok(*, secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float) -> bool:
    """Whether Slack signed these exact bytes, within five minutes of `now`."""
    if not secret or timestamp is None or signature is None:
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("v0=" + expected, signature)


def parse_body(body: bytes, content_type: str | None) -> tuple[dict[str, Any], str]:
    """The body as Bolt will read it (slack_bolt.request.internals.parse_body), and the text to hand Bolt; or
    Malformed when reading it would fail or give anything but an object: not UTF-8 (whatever charset is
    claimed), not JSON, JSON that is not an object, or nested past MAX_DEPTH.

    A NUL character (which PostgreSQL cannot store in text) is dropped from every key and value; the text for
    Bolt is then the body re-encoded without them."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    if not text:
        return {}, text
    kind = (content_type or "").split(";")[0]
    if kind == "application/json" or text.startswith("{"):
        parsed = _object(text)
        cleaned = _without_nul(parsed, depth=0)
        return cleaned, text if cleaned == parsed else json.dumps(cleaned)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    clean_fields = _without_nul(fields, depth=0)
    if clean_fields != fields:
        text = urlencode(clean_fields)
    if "payload" not in text:
        return clean_fields, text
    if "payload" not in clean_fields:
        return {}, text
    payload = _object(clean_fields["payload"])
    clean_payload = _without_nul(payload, depth=0)
    if clean_payload != payload:
        text = urlencode({**clean_fields, "payload": json.dumps(clean_payload)})
    return clean_payload, text


def _object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(f"the body is JSON {type(value).__name__}, not an object")
    return value


def _without_nul(value: Any, *, depth: int) -> Any:
    """The value with NUL characters dropped from every string; Malformed past MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise Malformed("the body is nested too deeply")
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k, depth=depth + 1): _without_nul(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(item, depth=depth + 1) for item in value]
    return value
