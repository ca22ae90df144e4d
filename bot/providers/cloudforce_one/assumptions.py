"""What the bridge assumes about Cloudforce One that no document settles, checked on the real account
(`request-bridge doctor --live --request cloudforce-one=<id>`): at most eight reads, plus a create and a
delete with `--write-test`.

The page base and whether `after` / `sort_order` are honoured need two messages on the request; with
fewer, the check says so (the bridge learns them on its own, paging.py, at the first full page).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bot.errors import ProviderError
from bot.providers.base import Finding, ProviderMessage, RequestInfo, RequestOptions
from bot.providers.cloudforce_one.paging import Order

WRITE_TEST = "request-bridge doctor --live: write test, deleted at once"


class Client(Protocol):
    """The parts of CloudforceOne the checks use (structural, so this module imports no client)."""

    async def get_request(self, request_id: str) -> RequestInfo: ...
    async def request_options(self) -> RequestOptions: ...
    async def list_page(self, request_id: str, *, page: int, per_page: int, order: Order = "asc",
                        after: str | None = None) -> list[ProviderMessage]: ...
    async def create_message(self, request_id: str, content: str) -> ProviderMessage: ...
    async def delete_message(self, request_id: str, message_id: str) -> None: ...


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None


async def check(client: Client, request_id: str, *, write_test: bool) -> list[Finding]:
    findings: list[Finding] = []
    try:
        info = await client.get_request(request_id)
        priority = info.raw.get("priority")
        findings.append(Finding(True, "request record parses",
                                f"{info.readable_id or info.id}: {info.status}; priority {priority!r} "
                                "(the spec types it a date-time, its examples a word: the bridge takes either)"))
        options = await client.request_options()
        findings.append(Finding(True, "request types and constants parse",
                                f"{len(options.request_types)} types, priorities {list(options.priorities)}, "
                                f"TLP {list(options.tlps)}"))
        findings += await _list_checks(client, request_id)
        if write_test:
            findings += await _write_test(client, request_id)
    except ProviderError as exc:
        findings.append(Finding(False, "Cloudforce One answered", str(exc), "fix what `doctor` reports first"))
    return findings


async def _list_checks(client: Client, request_id: str) -> list[Finding]:
    first = await client.list_page(request_id, page=0, per_page=1)
    second = await client.list_page(request_id, page=1, per_page=1)
    if not first:
        return [Finding(True, "message list", "the request has no message yet: page base, `after` and sort "
                        "order cannot be told (the bridge learns them as it reads)")]
    created = first[0].created or first[0].updated
    findings = [Finding(_time(created) is not None, "message times are RFC 3339", repr(created),
                        "report this: the bridge cannot order messages whose times it cannot read")]
    if not second:
        return findings + [Finding(True, "page base", "page 1 is empty: 0-based with one message, cannot tell "
                                   "yet (learned at the first full page)")]
    if second[0].id != first[0].id:
        findings.append(Finding(True, "page base", "pages start at 0 (page 1 is the second page)"))
    else:
        third = await client.list_page(request_id, page=2, per_page=1)
        if third and third[0].id == first[0].id:
            findings.append(Finding(False, "page honoured", "every page answers the same messages",
                                    "nothing to set: the bridge pages by moving `after` instead (two extra calls, "
                                    "once); a request whose messages share one instant beyond a page is read in part"))
        else:
            findings.append(Finding(True, "page base", "pages start at 1 (page 0 is read as page 1)"))
    oldest = _time(created)
    after = (oldest + timedelta(microseconds=1)).isoformat().replace("+00:00", "Z") if oldest else None
    again = await client.list_page(request_id, page=0, per_page=50, after=after)
    honoured = all(m.id != first[0].id for m in again)
    findings.append(Finding(honoured, "`after` honoured", "messages before `after` are left out" if honoured
                            else "messages before `after` come back",
                            "nothing to set: the bridge then reads newest first and stops at its cursor"))
    newest = await client.list_page(request_id, page=0, per_page=1, order="desc")
    ordered = bool(newest) and (newest[0].id != first[0].id or first[0].created == second[0].created)
    findings.append(Finding(ordered, "`sort_order` honoured", "desc lists the newest first" if ordered
                            else "desc lists the oldest first",
                            "with `after` also ignored, the bridge cannot find new messages past the first page: "
                            "report this to Cloudflare"))
    return findings


async def _write_test(client: Client, request_id: str) -> list[Finding]:
    created = await client.create_message(request_id, WRITE_TEST)
    await client.delete_message(request_id, created.id)
    return [Finding(True, "write test", f"message {created.id} created and deleted")]
