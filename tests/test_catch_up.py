"""missed_events(): what a complete read of a thread implies the bridge missed (pure)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bridge.catch_up import missed_events
from bot.models import EventKind, MappedMessage, SlackEvent

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


def pending(ts: str, kind: str = "reply", seq: int = 1) -> SlackEvent:
    return SlackEvent(seq=seq, dedup_key=f"{kind}:C1:{ts}:{seq}", event_id=None, link_id=1, kind=kind, slack_ts=ts,
                      edited_ts=None, user_id="U1", text="hi", state="pending", attempts=0, next_attempt_at=0.0,
                      last_error=None, received_at=0.0)


def test_a_long_reply_stored_as_parts_is_one_message_and_does_not_crash_the_read() -> None:
    """Huawei takes 2,000 characters: a longer reply is stored as `ts`, `ts#2`, `ts#3` (and an edit sent as a
    follow-up as `ts~edited`). Sorting those as numbers raised decimal.InvalidOperation on every restart."""
    long_one, gone_one = "1700000001.000100", "1700000002.000100"
    rows = [row(long_one), row(f"{long_one}#2"), row(f"{long_one}#3"), row(f"{long_one}~1700000005.0"),
            row(gone_one), row(f"{gone_one}#2")]
    thread = [{"ts": ROOT, "bot_id": "B1", "text": "root"}, {"ts": long_one, "user": "U1", "text": "long"},
              {"ts": "1700000003.000100", "user": "U2", "text": "later"}]
    found = missed_events(thread, rows, channel="C1", thread_ts=ROOT)
    assert [(e.kind, e.ts) for e in found] == [(EventKind.REPLY, "1700000003.000100"), (EventKind.DELETE, gone_one)]


BASES = [f"17000000{n:02d}.000100" for n in range(1, 13)]
base_ts = st.sampled_from(BASES)
store_key = st.one_of(base_ts, st.builds(lambda ts, k: f"{ts}#{k}", base_ts, st.integers(2, 4)),
                      st.builds(lambda ts, e: f"{ts}~{e}", base_ts, st.sampled_from(["1700000099.0", "7"])))
stored = st.builds(lambda key, state, edited: row(key, state=state, edited=edited), store_key,
                   st.sampled_from(["pending", "sent", "failed", "deleted"]),
                   st.sampled_from([None, "1700000050.0"]))
duplicate = st.just(MappedMessage(id=2, link_id=1, origin="slack", state="duplicate", slack_ts=None,
                                  provider_message_id="77", slack_user=None, author=None, author_role=None,
                                  content="", provider_created=None, slack_edited_ts=None, attempts=0, error=None,
                                  created_at=0.0))
analyst = st.builds(lambda n: MappedMessage(id=3, link_id=1, origin="provider", state="posted", slack_ts=None,
                                            provider_message_id=str(n), slack_user=None, author="ana",
                                            author_role=None, content="x", provider_created=None,
                                            slack_edited_ts=None, attempts=0, error=None, created_at=0.0),
                    st.integers(1, 5))
in_thread = st.builds(lambda ts, user, bot, edited: {"ts": ts, "text": "t", **({"user": user} if user else {}),
                                                     **({"bot_id": "B1"} if bot else {}),
                                                     **({"edited": {"ts": edited}} if edited else {})},
                      base_ts, st.sampled_from(["U1", "U2", None]), st.booleans(),
                      st.sampled_from([None, "1700000050.0", "1700000060.0"]))
waiting = st.builds(pending, store_key, st.sampled_from(["reply", "edit", "delete"]), st.integers(1, 9))


@settings(max_examples=400, deadline=None)
@given(thread=st.lists(in_thread, max_size=10, unique_by=lambda m: m["ts"]),
       rows=st.lists(st.one_of(stored, duplicate, analyst), max_size=12), waiting=st.lists(waiting, max_size=5),
       read_started=st.one_of(st.none(), st.floats(1699999000, 1700001000)),
       elsewhere=st.sets(base_ts, max_size=3))
def test_any_mix_of_rows_parts_tombstones_and_thread_messages(thread: list[dict[str, Any]],
                                                              rows: list[MappedMessage], waiting: list[SlackEvent],
                                                              read_started: float | None, elsewhere: set[str]) -> None:
    unique = list({r.slack_ts or f"none{n}": r for n, r in enumerate(rows)}.values())  # the store's unique key
    found = missed_events([{"ts": ROOT, "bot_id": "B1", "text": "root"}, *thread], unique, channel="C1",
                          thread_ts=ROOT, pending=waiting, read_started=read_started, elsewhere=elsewhere)
    present = {m["ts"] for m in thread}
    keys = {r.slack_ts for r in unique if r.slack_ts}
    for event in found:
        assert "#" not in event.ts and "~" not in event.ts  # a part or a follow-up is never a message of its own
        if event.kind == EventKind.DELETE:
            assert event.ts not in present  # nothing still in the thread is taken for deleted
            assert event.ts not in elsewhere  # nor a channel message sent with the shortcut
            own = next((r for r in unique if r.slack_ts == event.ts), None)
            assert own is None or own.state in ("pending", "sent")  # tombstones and refusals stay as they are
        else:
            assert event.ts in present
        if event.kind == EventKind.REPLY:
            assert event.ts not in keys
    assert len({e.dedup_key for e in found}) == len(found)
