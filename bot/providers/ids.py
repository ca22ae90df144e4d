"""Request ids that go into URL paths: only their canonical form is accepted, before any call."""

from __future__ import annotations

import re

# A UUID in its canonical 36-character form. The id goes into a URL path and httpx resolves `../`,
# so anything else could point the bot's credentials at another endpoint.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def canonical_uuid(raw: str) -> str | None:
    """The UUID in lower case without surrounding blanks, or None when it is not one."""
    candidate = raw.strip().lower()
    return candidate if len(candidate) == 36 and _UUID.match(candidate) else None
