"""missed_events(): what a complete read of a thread implies the bridge missed (pure)."""

from __future__ import annotations

from bot.bridge.catch_up import missed_events
from bot.models import EventKind, MappedMessage

ROOT = "1700000000.000100"


def row(ts: str, *, state: str = "sent", edited: str | None = None) -> MappedMessage:
    return MappedMessage(id=1, link_id=1, origin="slack", state=state, slack_ts=ts, provider_message_id="9",
                         slack_user="U1", author=None, author_role=None, content="x", provider_created=None,
                         slack_edited_ts=edited,
                         attempts=1, error=None, created_at=0.0)


def test_new_edited_and_deleted_messages_are_found_and_the_rest_left_alone() -> None:
    thread = [
        {"ts": ROOT, "user": "UBOT", "bot_id": "B1", "text": "root"},
        {"ts": "1700000001.000100", "user": "U1", "text": "known, untouched"},
        {"ts": "1700000002.000100", "user": "U1", "text": "known, edited", "edited": {"ts": "1700000009.0"}},
        {"ts": "1700000003.000100", "user": "U2", "text": "new"},
        {"ts": "1700000004.000100", "user": "UBOT", "bot_id": "B1", "text": "an analyst post"},
        {"ts": "1700000005.000100", "user": "U1", "text": "applied edit", "edited": {"ts": "1700000010.0"}},
        {"ts": "1700000008.000100", "user": "UBOT", "bot_id": "B1", "text": "a later analyst post"},
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


def test_a_reply_still_waiting_in_the_inbox_whose_message_is_gone_is_deleted_not_created() -> None:
    from bot.models import SlackEvent

    waiting = SlackEvent(seq=1, dedup_key="reply:C1:1700000002.000100", event_id=None, link_id=1, kind="reply",
                         slack_ts="1700000002.000100", edited_ts=None, user_id="U1", text="hi", state="pending",
                         attempts=0, next_attempt_at=0.0, last_error=None, received_at=0.0)
    thread = [{"ts": ROOT, "bot_id": "B1", "text": "root"}, {"ts": "1700000003.000100", "user": "U2", "text": "b"}]
    found = missed_events(thread, [], channel="C1", thread_ts=ROOT, pending=[waiting])
    assert [(e.kind, e.ts) for e in found] == [(EventKind.REPLY, "1700000003.000100"),
                                              (EventKind.DELETE, "1700000002.000100")]


def test_a_message_newer_than_the_read_is_not_taken_for_deleted() -> None:
    thread = [{"ts": ROOT, "bot_id": "B1", "text": "root"}]
    rows = [row("1700000050.000100")]  # posted (and bridged) after the read started
    assert missed_events(thread, rows, channel="C1", thread_ts=ROOT, read_started=1700000045.0) == []
    assert [e.kind for e in missed_events(thread, rows, channel="C1", thread_ts=ROOT,
                                          read_started=1700000070.0)] == [EventKind.DELETE]
