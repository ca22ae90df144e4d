"""HuaweiOSM against what real OSM lists can do and the first fake never did: newest first, equal times,
content cut at the list model's 400 characters, IAM's nested errors, both readings of a time without an
offset; and the APIs the bridge now uses: RevokeMessage (withdraw) and ListNewInstantMessages (batch)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import NotFound, PermissionDenied
from bot.providers.base import SupportsBatchPoll
from bot.providers.huawei.client import HuaweiOSM
from bot.providers.huawei.times import parse_time
from sandbox.server import serving
from tests.fakes.huawei import FakeHuawei
from tests.oracles.huawei_types import answer_problems
from tests.providers.test_huawei import run, settings_for

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def hw() -> Iterator[FakeHuawei]:
    with serving(FakeHuawei()) as fake:
        yield fake
        assert not answer_problems(fake.calls), answer_problems(fake.calls)  # the SDK's models


def test_a_newest_first_list_with_equal_times_reads_oldest_first_with_the_same_ids(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    for n in range(150):  # two pages; pairs share an instant
        hw.add_message(case_id, content=f"m{n}", created=T0 + timedelta(seconds=n // 2))
    oldest_first = run(settings_for(hw), lambda p: p.list_messages(case_id))
    hw.newest_first = True
    newest_first = run(settings_for(hw), lambda p: p.list_messages(case_id))
    assert [m.content for m in newest_first] == [f"m{n}" for n in range(150)]
    assert [m.id for m in newest_first] == [m.id for m in oldest_first]


def test_content_cut_at_400_is_read_whole_from_the_case_detail(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    long = "word " * 300  # 1500 characters
    hw.add_message(case_id, content=long, created=T0)
    hw.add_message(case_id, content="short", created=T0 + timedelta(seconds=1))
    whole = run(settings_for(hw), lambda p: p.list_messages(case_id))
    hw.list_content_limit = 400
    hw.clear_calls()
    cut = run(settings_for(hw), lambda p: p.list_messages(case_id))
    assert [m.content for m in cut] == [long, "short"]
    assert [m.id for m in cut] == [m.id for m in whole]  # one id whichever way the text came
    assert [c["path"].rsplit("/", 1)[-1] for c in hw.calls] == ["messages", case_id]


def test_a_short_list_needs_no_case_detail(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.add_message(case_id, content="short")
    hw.list_content_limit = 400
    run(settings_for(hw), lambda p: p.list_messages(case_id))
    assert len(hw.calls) == 1


def test_iams_nested_error_reaches_the_person_with_its_message(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.iam_errors = True
    with pytest.raises(PermissionDenied, match="requires authentication"):
        run(settings_for(hw, huawei_sk="wrong"), lambda p: p.list_messages(case_id))


@pytest.mark.parametrize(("zone", "wire", "instant"), [
    # GMT+0, the default: Huawei's doc (the X-Time-Zone zone) and the SDK (UTC) read it alike.
    ("GMT+0", "2026-03-01 09:00:00", T0),
    # Another zone: the doc's reading, which the bridge follows; the SDK would say 17:00 UTC.
    ("GMT+8", "2026-03-01 17:00:00", T0),
])
def test_a_time_without_offset_is_read_in_the_zone_asked_for(hw: FakeHuawei, zone: str, wire: str,
                                                             instant: datetime) -> None:
    hw.time_style = "naive"
    case_id = hw.add_request()
    hw.add_message(case_id, content="hello", created=T0)
    [message] = run(settings_for(hw, huawei_time_zone=zone), lambda p: p.list_messages(case_id))
    assert message.raw["create_time"] == wire
    assert parse_time(message.created, UTC) == instant


def test_a_message_deleted_in_slack_is_withdrawn(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.add_message(case_id, content="engineer", created=T0)

    async def body(p: HuaweiOSM) -> list[str]:
        await p.create_message(case_id, "oops")
        mine = [m for m in await p.list_messages(case_id) if m.content == "oops"]
        await p.delete_message(case_id, mine[0].id)
        with pytest.raises(NotFound):
            await p.delete_message(case_id, mine[0].id)
        return [m.content for m in await p.list_messages(case_id)]

    assert run(settings_for(hw), body) == ["engineer"]
    [withdraw] = [c for c in hw.calls if c["path"].endswith("/withdraw")]
    assert withdraw["method"] == "POST" and withdraw["json"] is None


def test_batch_tells_which_cases_have_new_messages(hw: FakeHuawei) -> None:
    cases = [hw.add_request() for _ in range(3)]

    async def body(p: HuaweiOSM) -> list[set[str]]:
        assert isinstance(p, SupportsBatchPoll)
        seen = [await p.changed_requests(cases)]  # no cursor yet: every case counts as changed
        seen.append(await p.changed_requests(cases))
        hw.add_message(cases[1], content="news")
        seen.append(await p.changed_requests(cases))
        seen.append(await p.changed_requests(cases))
        return seen

    assert run(settings_for(hw), body) == [set(cases), set(), {cases[1]}, set()]
    assert len(hw.calls) == 4


def test_batch_asks_about_at_most_100_cases_a_call(hw: FakeHuawei) -> None:
    cases = [hw.add_request() for _ in range(150)]
    run(settings_for(hw), lambda p: p.changed_requests(cases))
    assert [len(c["raw_query"].split("case_ids=")) - 1 for c in hw.calls] == [100, 50]
