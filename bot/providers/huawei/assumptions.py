"""What the bridge assumes about Huawei OSM that no document settles, checked on the real account
(`request-bridge doctor --live --request huawei=<case id>`): five reads, plus a create, a withdrawal and
a read with `--write-test`.

- Times: read once with X-Time-Zone GMT+0 and once with GMT+8. A time with an offset needs no zone; a
  time without one that moves by eight hours follows X-Time-Zone (the reference's reading, which the
  bridge uses); one that stays put is UTC whatever the header says (the official SDK's reading), and then
  HUAWEI_TIME_ZONE must be GMT+0.
- The create body: the SDK and the newer reference send no `type`; seed 003's older page marks it
  mandatory. The write test sends what the bridge sends, and says whether the account took it.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Protocol

from bot.errors import ProviderError, Rejected
from bot.providers.base import Finding, ProviderMessage, RequestInfo
from bot.providers.huawei.messages import LIST_CONTENT_MAX
from bot.providers.huawei.models import IncidentDetailInfoV2, QueryMessageInfoV2
from bot.providers.huawei.times import parse_time, parse_zone

WRITE_TEST = "request-bridge doctor --live: write test, withdrawn at once"
ZONES = ("GMT+0", "GMT+8")


class Client(Protocol):
    """The parts of HuaweiOSM the checks use (structural, so this module imports no client)."""

    @property
    def zone(self) -> timezone: ...

    async def get_request(self, request_id: str) -> RequestInfo: ...
    async def detail(self, case_id: str) -> IncidentDetailInfoV2: ...
    async def first_page(self, case_id: str, *, time_zone: str) -> list[QueryMessageInfoV2]: ...
    async def changed_requests(self, request_ids: list[str]) -> set[str]: ...
    async def create_message(self, request_id: str, content: str) -> ProviderMessage | None: ...
    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]: ...
    async def delete_message(self, request_id: str, message_id: str) -> None: ...


async def check(client: Client, case_id: str, *, write_test: bool) -> list[Finding]:
    findings: list[Finding] = []
    try:
        info = await client.get_request(case_id)
        detail = await client.detail(case_id)
        with_ids = [m for m in detail.message_list or [] if m.message_id]
        findings.append(Finding(True, "case detail (ShowCaseDetail)",
                                f"{info.readable_id}: {info.status}; {len(with_ids)} of "
                                f"{len(detail.message_list or [])} messages carry a message_id (used to withdraw)"))
        pages = {zone: await client.first_page(case_id, time_zone=zone) for zone in ZONES}
        findings.append(Finding(True, "message list (ListMessages)",
                                f"{len(pages[ZONES[0]])} messages on the first page"))
        findings.append(_times(pages, client.zone))
        findings.append(_cut(pages[ZONES[0]], detail))
        await client.changed_requests([case_id])
        findings.append(Finding(True, "many cases in one call (ListNewInstantMessages)", "answers for this case"))
        if write_test:
            findings += await _write_test(client, case_id)
    except ProviderError as exc:
        findings.append(Finding(False, "Huawei OSM answered", str(exc), "fix what `doctor` reports first"))
    return findings


def _times(pages: dict[str, list[QueryMessageInfoV2]], configured: timezone) -> Finding:
    utc_page, local_page = pages[ZONES[0]], pages[ZONES[1]]
    if not utc_page or len(utc_page) != len(local_page):
        return Finding(True, "time zone", "no message to read a time from: run again once the case has one")
    raw_utc, raw_local = utc_page[0].create_time, local_page[0].create_time
    if parse_time(raw_utc, UTC) is None:
        return Finding(False, "time format", f"{raw_utc!r} is no time the bridge reads",
                       "report this: the bridge cannot order these messages")
    as_utc = parse_time(raw_utc, parse_zone(ZONES[0]))
    as_local = parse_time(raw_local, parse_zone(ZONES[1]))
    if as_utc == as_local:
        return Finding(True, "time zone", f"{raw_utc!r} / {raw_local!r}: times follow X-Time-Zone (or carry "
                       "their offset): any HUAWEI_TIME_ZONE reads right")
    if as_utc is not None and as_local is not None and as_utc - as_local == timedelta(hours=8):
        return Finding(configured.utcoffset(None) == timedelta(0), "time zone",
                       f"{raw_utc!r} under both zones: times are UTC whatever X-Time-Zone says",
                       "set HUAWEI_TIME_ZONE=GMT+0 (the default): another zone misreads every time")
    return Finding(False, "time zone", f"{raw_utc!r} under GMT+0, {raw_local!r} under GMT+8: neither reading fits",
                   "report this; keep HUAWEI_TIME_ZONE=GMT+0")


def _cut(page: list[QueryMessageInfoV2], detail: IncidentDetailInfoV2) -> Finding:
    longest = max((len(m.content or "") for m in detail.message_list or []), default=0)
    listed = max((len(m.content or "") for m in page), default=0)
    if longest <= LIST_CONTENT_MAX:
        return Finding(True, "message text length", f"no message over {LIST_CONTENT_MAX} characters to tell "
                       "whether the list cuts them (the bridge reads the case detail when one might be)")
    cut = listed <= LIST_CONTENT_MAX < longest
    return Finding(True, "message text length", f"the list {'cuts' if cut else 'does not cut'} text at "
                   f"{LIST_CONTENT_MAX} characters (longest: {longest} in the detail, {listed} listed)")


async def _write_test(client: Client, case_id: str) -> list[Finding]:
    try:
        await client.create_message(case_id, WRITE_TEST)
    except Rejected as exc:
        return [Finding(False, "create body without `type`", str(exc),
                        "the account wants `type` (seed 003's older page): report this, the bridge sends none")]
    findings = [Finding(True, "create body without `type`", "accepted (as the SDK and the newer reference say)")]
    mine = [m for m in await client.list_messages(case_id) if m.content == WRITE_TEST]
    if not mine:
        return findings + [Finding(False, "write test", "created, but not found in the list",
                                   "report this: the bridge finds its own messages by their text")]
    await client.delete_message(case_id, mine[-1].id)
    left = [m for m in await client.list_messages(case_id) if m.content == WRITE_TEST]
    return findings + [Finding(True, "withdraw (RevokeMessage)", "withdrawn; it leaves the list" if not left
                               else f"withdrawn; the list still shows it as {left[-1].content!r}")]
