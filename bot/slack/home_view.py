"""The App Home tab: the requests a person linked, with status, last activity and a button to each thread
(pure Block Kit).

A Home view holds at most 100 blocks (https://docs.slack.dev/reference/views): past that, the newest are
listed and a line says how many more there are. Last activity is written as Slack's date token, so every
reader sees it in their own time zone (https://docs.slack.dev/messaging/formatting-message-text#date-formatting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.models import Link
from bot.text.markup import escape_for_slack

MAX_BLOCKS = 100
TITLE_LIMIT = 150  # keeps a section far below Slack's 3,000 characters whatever the provider's title
# header, intro, divider, footer: the blocks around the list
_FRAME = 4


class HomeAction(StrEnum):
    # A URL button still sends a block_actions payload, which must be acknowledged.
    OPEN_THREAD = "open_thread"


@dataclass(frozen=True)
class HomeEntry:
    """One linked request as the Home tab shows it."""

    link_id: int
    provider: str  # display name
    request_id: str
    title: str | None
    status: str | None
    channel: str
    last_activity: float | None  # Unix time
    thread_url: str | None  # the thread's permalink; None when Slack could not give one


def last_activity(link: Link) -> float:
    """When either side last wrote in the link's thread (a reply from Slack, an answer seen by a poll), or
    when it was linked."""
    return max(t for t in (link.last_activity_at, link.last_slack_reply_at, link.created_at) if t is not None)


def most_recent_first(links: Sequence[Link]) -> list[Link]:
    return sorted(links, key=lambda link: (last_activity(link), link.id), reverse=True)


def listed_count(total: int) -> int:
    """How many of `total` links fit, with the frame and, when some are left out, the "and N more" line."""
    room = MAX_BLOCKS - _FRAME
    return total if total <= room else room - 1


def _date(when: float) -> str:
    fallback = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when)}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _entry(entry: HomeEntry) -> dict[str, Any]:
    title = entry.title or "(untitled)"
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1] + "…"
    status = f" · *{escape_for_slack(entry.status)}*" if entry.status else ""
    activity = f"Last activity {_date(entry.last_activity)}" if entry.last_activity else "No activity yet"
    lines = [f"*{escape_for_slack(title)}*",
             f"{entry.provider} `{escape_for_slack(entry.request_id)}`{status} · in <#{entry.channel}>",
             activity if entry.thread_url else f"{activity} · the thread's link is not available right now"]
    block: dict[str, Any] = {"type": "section", "block_id": f"link-{entry.link_id}",
                             "text": {"type": "mrkdwn", "text": "\n".join(lines)}}
    if entry.thread_url:
        block["accessory"] = {"type": "button", "action_id": HomeAction.OPEN_THREAD, "text": _plain("Open thread"),
                              "url": entry.thread_url, "value": str(entry.link_id)}
    return block


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def home_view(entries: Sequence[HomeEntry], *, total: int, creates_on: str | None) -> dict[str, Any]:
    """The Home view for `entries` (most recent first, already cut to `listed_count(total)`) of `total` links;
    `creates_on`: the provider `/request new` creates requests on, if any."""
    create = f" or `/request new` to create a {creates_on} request there" if creates_on else ""
    footer = _context("`/request help` in any channel explains everything the bridge does.")
    if total == 0:
        blocks = [
            {"type": "header", "text": _plain("Your linked requests")},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "You have not linked any requests yet. In a channel the bot is in, type "
                f"`/request link [provider] <request-id>` to link an existing request to a new thread{create}. "
                "The request's messages appear in the thread, replies there go to the request, and the "
                "requests you link are listed here.")}},
            {"type": "divider"},
            footer,
        ]
        return {"type": "home", "blocks": blocks}
    shown = list(entries[: listed_count(total)])
    intro = (f"The {total} request{'s' if total != 1 else ''} you linked, most recently active first. "
             f"Link another with `/request link`{create}.")
    blocks = [
        {"type": "header", "text": _plain("Your linked requests")},
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        {"type": "divider"},
        *(_entry(e) for e in shown),
    ]
    if total > len(shown):
        blocks.append(_context(f"…and {total - len(shown)} more: `/request list` in a channel lists its requests."))
    blocks.append(footer)
    return {"type": "home", "blocks": blocks}
