"""Huawei OSM messages as the bridge sees them: their order, their ids, their full text.

ListMessages and ListNewInstantMessages answer QueryMessageInfoV2, which has no message id and whose
`content` the model caps at 400 characters; ShowCaseDetail answers IncidentMessageV2, which has both the
real `message_id` and (the bridge assumes) the whole text. The bridge's id for a message is derived from
what all three show alike (case, instant, replier, text), so a message keeps one id whichever API read it;
the real `message_id` is looked up in the case detail when it is needed (withdrawal), and a list text that
may have been cut is replaced by the detail's.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timezone
from typing import Protocol, TypeVar

from bot.providers.huawei.times import format_time, parse_time

# QueryMessageInfoV2.content: "String 0..400" (the ListNewInstantMessages reference, same model as ListMessages).
LIST_CONTENT_MAX = 400


class Message(Protocol):
    """What QueryMessageInfoV2 and IncidentMessageV2 share."""

    @property
    def replier(self) -> str | None: ...
    @property
    def replier_name(self) -> str | None: ...
    @property
    def content(self) -> str | None: ...
    @property
    def create_time(self) -> str | int | None: ...


M = TypeVar("M", bound=Message)


def message_ids(case_id: str, items: Sequence[Message], zone: timezone) -> list[str]:
    """A stable id per message: a hash of (case, creation instant, replier, content), plus `-N` for
    the Nth exact repeat. Same message, same id on every read; the instant is normalised to UTC so
    changing HUAWEI_TIME_ZONE changes no id."""
    seen: Counter[str] = Counter()
    ids = []
    for item in items:
        created = parse_time(item.create_time, zone)
        when = format_time(created) if created else str(item.create_time or "")
        who = item.replier or item.replier_name or ""
        key = "\x1f".join([case_id, when, who, item.content or ""])
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        seen[digest] += 1
        ids.append(digest if seen[digest] == 1 else f"{digest}-{seen[digest]}")
    return ids


def chronological(items: Sequence[M], zone: timezone) -> list[M]:
    """Oldest first. The doc does not say in which order lists answer: a newest-first list is turned
    round, then a stable sort by creation time keeps the server's order between equal times."""
    ordered = list(items)
    times = [parse_time(item.create_time, zone) for item in ordered]
    known = [t for t in times if t is not None]
    if len(known) >= 2 and known[0] > known[-1]:
        ordered, times = ordered[::-1], times[::-1]
    floor = datetime.min.replace(tzinfo=UTC)
    order = sorted(range(len(ordered)), key=lambda i: times[i] or floor)
    return [ordered[i] for i in order]


def may_be_cut(item: Message) -> bool:
    return len(item.content or "") >= LIST_CONTENT_MAX


def full_text(item: Message, detail: Sequence[Message], zone: timezone) -> str | None:
    """The detail's text of a list message that may have been cut: same instant, same replier, and a text
    that starts with the list's. None when the detail has no such message."""
    when = parse_time(item.create_time, zone)
    for candidate in detail:
        if (parse_time(candidate.create_time, zone) == when and candidate.replier == item.replier
                and (candidate.content or "").startswith(item.content or "")):
            return candidate.content
    return None
