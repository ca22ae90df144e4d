"""Huawei OSM date-times, as the bridge reads them.

The OSM reference says times are "processed based on the time zone" of the X-Time-Zone header (GMT+8
when absent) and shows `create_time` as a bare String; the official SDK types it `datetime` and reads it
generically for every Huawei service by appending `Z` to a time without one, i.e. as UTC. The bridge reads
a time without an offset in the zone it asked for (HUAWEI_TIME_ZONE, sent as X-Time-Zone), and asks for
GMT+0 by default, where both readings agree. `request-bridge doctor --live` tells which one the account's
server follows (it reads the same message under two zones).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_ZONE = re.compile(r"^(?:GMT|UTC)?\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$", re.IGNORECASE)
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$")


def parse_zone(value: str) -> timezone:
    """`GMT+8`, `GMT-03:30`, `GMT+0`, `UTC` -> a fixed offset. Raises ValueError."""
    match = _ZONE.match(value.strip())
    if match is None:
        raise ValueError(value)
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        raise ValueError(value)
    return timezone(-offset if sign == "-" else offset)


def parse_time(value: str | int | None, zone: timezone) -> datetime | None:
    """A Huawei date-time (RFC 3339, `...Z`, naive `YYYY-MM-DD[T ]HH:MM:SS` in `zone`, or epoch
    seconds/milliseconds) as an aware UTC datetime; None when it cannot be read."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.isdigit():
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not _NAIVE.match(text):
            return None
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds: sorts as text and reads back with fromisoformat."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
