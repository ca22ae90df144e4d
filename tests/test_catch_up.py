"""missed_events(): what a complete read of a thread implies the bridge missed (pure)."""

from __future__ import annotations

from bot.catch_up import missed_events
from bot.models import EventKind, MappedMessage

ROOT = "1700000000.000100"


def row(ts: str, *, state: str = "sent", edited: str | None = None) -> MappedMessage:
    return MappedMessage(id=1, link_id=1, origin="slack", state=state, slack_ts=ts, provider_message_id="9",
                         slack_user="U1", author=None, content="x", provider_created=None, slack_edited_ts=edited,
                         attempts=1, error=None, created_at=0.0)


def test_new_edited_and_deleted_messages_are_found_and_the_rest_left_alone() -> None:
    thread = [
        {"ts": ROOT, "user": "UBOT", "bot_id": "B1", "text": "root"},
        {"ts": "1700000001.000100", "user": "U1", "text": "known, untouched"},
        {"ts": "1700000002.000100", "user": "U1", "text": "known, edited", "edited": {"ts": "1700000009.0"}},
        {"ts": "1700000003.000100", "user": "U2", "text": "new"},
        {"ts": "1700000004.000100", "user": "UBOT", "bot_id": "B1", "text": "an analyst post"},
        {"ts": "1700000005.000100", "user": "U1", "text": "applied edit", "edited": {"ts": "1700000010.0"}},
    ]
    rows = [row("1700000001.000100"), row("1700000002.000100"), row("1700000005.000100", edited="1700000010.0"),
            row("1700000006.000100"), row("1700000007.000100", state="deleted")]
    found = missed_events(thread, rows, channel="C1", thread_ts=ROOT)
    assert [(e.kind, e.ts, e.text) for e in found] == [
        (EventKind.EDIT, "1700000002.000100", "known, edited"),
        (EventKind.REPLY, "1700000003.000100", "new"),
        (EventKind.DELETE, "1700000006.000100", ""),
    ]
    assert found[0].dedup_key == "edit:C1:1700000002.000100:1700000009.0"
