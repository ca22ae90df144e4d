"""The App Home view and the `/request new` modal as Block Kit: structure, limits, escaping (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import Link
from bot.providers.base import NewRequest, RequestOptions
from bot.slack.home_view import (
    MAX_BLOCKS,
    HomeAction,
    HomeEntry,
    home_view,
    last_activity,
    listed_count,
    most_recent_first,
)
from bot.slack.new_request_modal import (
    CALLBACK_ID,
    MAX_OPTIONS,
    Field,
    NewRequestContext,
    context_of,
    new_request_modal,
    read_submission,
)
from sandbox.slack_views import ViewError, _check_home, _check_modal


def entry(n: int, **changes: Any) -> HomeEntry:
    values: dict[str, Any] = dict(link_id=n, provider="Cloudforce One", request_id=f"req-{n}", title=f"Title {n}",
                                  status="open", channel="C111", last_activity=1_700_000_000.0 + n,
                                  thread_url=f"https://fake.slack.com/archives/C111/p{n}")
    values.update(changes)
    return HomeEntry(**values)


def entries(total: int) -> list[HomeEntry]:
    return [entry(n) for n in range(total)][: listed_count(total)]


def section_texts(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def link(n: int, *, created: float, answered: float | None = None, replied: float | None = None) -> Link:
    return Link(id=n, provider="cloudforce-one", request_id=f"req-{n}", channel_id="C111", thread_ts="1.000100",
                state="active", title=None, request_status=None, created_by="U111", created_at=created,
                poll_cursor=None, polls=0, last_polled_at=None, last_activity_at=answered, last_slack_reply_at=replied)


def test_last_activity_is_the_latest_write_on_either_side() -> None:
    assert last_activity(link(1, created=10.0)) == 10.0
    assert last_activity(link(1, created=10.0, answered=30.0, replied=20.0)) == 30.0
    assert last_activity(link(1, created=10.0, answered=11.0, replied=40.0)) == 40.0
    links = [link(1, created=10.0, answered=50.0), link(2, created=20.0), link(3, created=5.0, replied=60.0),
             link(4, created=20.0)]
    assert [x.id for x in most_recent_first(links)] == [3, 1, 4, 2]


def test_empty_state_explains_the_commands() -> None:
    view = home_view([], total=0, creates_on="Cloudforce One")
    _check_home(view)
    assert view["type"] == "home" and view["blocks"][0]["type"] == "header"
    [intro] = section_texts(view)
    assert "not linked any requests yet" in intro and "`/request link [provider] <request-id>`" in intro
    assert "`/request new` to create a Cloudforce One request" in intro
    assert "/request new" not in section_texts(home_view([], total=0, creates_on=None))[0]


def test_each_link_is_a_section_with_its_details_and_a_thread_button() -> None:
    view = home_view([entry(7, status="accepted")], total=1, creates_on=None)
    _check_home(view)
    [block] = [b for b in view["blocks"] if b.get("block_id") == "link-7"]
    text = block["text"]["text"]
    assert text.startswith("*Title 7*\nCloudforce One `req-7` · *accepted* · in <#C111>")
    assert "Last activity <!date^1700000007^{date_short_pretty} at {time}|2023-11-14 22:13 UTC>" in text
    button = block["accessory"]
    assert button == {"type": "button", "action_id": HomeAction.OPEN_THREAD,
                      "text": {"type": "plain_text", "text": "Open thread"},
                      "url": "https://fake.slack.com/archives/C111/p7", "value": "7"}
    assert "The 1 request you linked" in section_texts(view)[0]


def test_outside_text_is_escaped_and_long_titles_shortened() -> None:
    view = home_view([entry(1, title="<!channel> & " + "x" * 400, status="<@U1>", thread_url=None)], total=1,
                     creates_on=None)
    _check_home(view)
    block = next(b for b in view["blocks"] if b.get("block_id") == "link-1")
    text = block["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text and "&lt;@U1&gt;" in text
    assert len(text.split("\n")[0]) < 200 and "…" in text
    assert "accessory" not in block and "link is not available" in text


@pytest.mark.parametrize(("total", "listed", "more"), [
    (1, 1, None), (96, 96, None), (97, 95, 2), (500, 95, 405),
])
def test_a_home_view_never_passes_100_blocks(total: int, listed: int, more: int | None) -> None:
    view = home_view(entries(total), total=total, creates_on="Cloudforce One")
    _check_home(view)  # the Slack fake's views.publish checks: 100 blocks, text limits, unique block ids
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert len([b for b in view["blocks"] if str(b.get("block_id", "")).startswith("link-")]) == listed
    contexts = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"]
    if more is None:
        assert not any("more" in c for c in contexts)
    else:
        assert len(view["blocks"]) == MAX_BLOCKS
        assert f"…and {more} more" in contexts[0]


def test_the_fake_refuses_101_blocks() -> None:
    view = home_view(entries(96), total=96, creates_on=None)
    view["blocks"].append({"type": "divider"})
    with pytest.raises(ViewError) as refused:
        _check_home(view)
    assert refused.value.error == "invalid_arguments"


OPTIONS = RequestOptions(request_types=("Indicators of Compromise", "Victomology"),
                         priorities=("routine", "high", "urgent"), tlps=("clear", "green", "amber", "red"))
CONTEXT = NewRequestContext(channel="C111", provider="cloudforce-one", response_url="https://hooks.slack.com/x")


def test_the_modal_has_the_create_fields_and_passes_slacks_checks() -> None:
    view = new_request_modal(provider_label="Cloudforce One", options=OPTIONS, context=CONTEXT)
    _check_modal(view)
    assert view["callback_id"] == CALLBACK_ID
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [Field.SUMMARY, Field.CONTENT, Field.REQUEST_TYPE, Field.PRIORITY, Field.TLP]
    assert not inputs[Field.SUMMARY].get("optional") and not inputs[Field.CONTENT].get("optional")
    assert all(inputs[f]["optional"] for f in (Field.REQUEST_TYPE, Field.PRIORITY, Field.TLP))
    assert inputs[Field.CONTENT]["element"]["multiline"] is True
    assert context_of(view) == CONTEXT


def test_a_choice_the_provider_does_not_list_is_left_out() -> None:
    view = new_request_modal(provider_label="X", options=RequestOptions(priorities=("routine",)), context=CONTEXT)
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        Field.SUMMARY, Field.CONTENT, Field.PRIORITY]


def test_options_respect_slacks_select_limits() -> None:
    many = tuple(f"type {n}" for n in range(150)) + ("y" * 151, "z" * 100)
    view = new_request_modal(provider_label="X", options=RequestOptions(request_types=many), context=CONTEXT)
    _check_modal(view)
    options = next(b for b in view["blocks"] if b.get("block_id") == Field.REQUEST_TYPE)["element"]["options"]
    assert len(options) == MAX_OPTIONS and all(len(o["text"]["text"]) <= 75 for o in options)
    assert all(len(o["value"]) <= 150 for o in options)
    assert "y" * 151 not in [o["value"] for o in options]  # could not come back intact


def submitted(**values: Any) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for field, value in values.items():
        if field in (Field.SUMMARY, Field.CONTENT):
            state[field] = {field: {"type": "plain_text_input", "value": value}}
        else:
            option = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
            state[field] = {field: {"type": "static_select", "selected_option": option}}
    return {"id": "V1", "private_metadata": CONTEXT.model_dump_json(), "state": {"values": state}}


def test_a_submission_becomes_the_create_body() -> None:
    view = submitted(summary="  DoS  ", content="Which regions?\n", request_type="Victomology", priority=None,
                     tlp="amber")
    assert read_submission(view) == NewRequest(summary="DoS", content="Which regions?", request_type="Victomology",
                                               priority=None, tlp="amber")


@pytest.mark.parametrize(("summary", "content", "fields"), [
    ("", "x", {Field.SUMMARY}), ("x", "   ", {Field.CONTENT}), ("x" * 151, "x", {Field.SUMMARY}),
    (None, None, {Field.SUMMARY, Field.CONTENT}),
])
def test_blank_or_long_fields_are_errors_by_block(summary: str | None, content: str | None, fields: set[str]) -> None:
    view = submitted(**{k: v for k, v in (("summary", summary), ("content", content)) if v is not None})
    errors = read_submission(view)
    assert isinstance(errors, dict) and set(errors) == fields


def test_a_view_without_our_metadata_has_no_context() -> None:
    assert context_of({"private_metadata": "{\"channel\": 1}"}) is None
    assert context_of({}) is None
