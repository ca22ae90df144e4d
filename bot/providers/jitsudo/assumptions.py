"""What the bridge assumes about JITSudo that its spec does not settle, checked on the real server
(`request-bridge doctor --live --request jitsudo=<id>`): at most five reads, and never a write (JITSudo
documents no delete, so a test message would stay on the request).
"""

from __future__ import annotations

from typing import Protocol

from bot.errors import ProviderError
from bot.providers.base import Finding, RequestInfo
from bot.providers.jitsudo.models import RequestMessageList


class Client(Protocol):
    """The parts of JITSudo the checks use (structural, so this module imports no client)."""

    has_request_route: bool | None

    async def probe(self) -> str: ...
    async def get_request(self, request_id: str) -> RequestInfo: ...
    async def message_page(self, request_id: str, *, limit: int, cursor: str | None = None) -> RequestMessageList: ...


async def check(client: Client, request_id: str, *, write_test: bool) -> list[Finding]:
    findings: list[Finding] = []
    try:
        await client.probe()
        findings.append(Finding(True, "credential and tenant", "accepted (X-Tenant-ID names the credential's tenant)"))
        info = await client.get_request(request_id)
        findings.append(Finding(True, "request status (GET /v1/access/requests/{id})", f"{info.status}"))
        route = "present: requests get their resource, action and reason as a title" if client.has_request_route \
            else "absent (it is not in the spec): asked once, then requests are titled from their grants"
        findings.append(Finding(True, "GET /v1/requests/{id}", route))
        findings.append(await _cursor(client, request_id))
    except ProviderError as exc:
        findings.append(Finding(False, "JITSudo answered", str(exc), "fix what `doctor` reports first"))
    if write_test:
        findings.append(Finding(True, "write test", "skipped: JITSudo has no delete, a test message would stay"))
    return findings


async def _cursor(client: Client, request_id: str) -> Finding:
    first = await client.message_page(request_id, limit=1)
    if not first.has_more:
        return Finding(True, "message cursor", f"{len(first.data)} message(s), one page: run again once the "
                       "request has two messages to see the cursor move")
    if not first.next_cursor:
        return Finding(False, "message cursor", "has_more without a next_cursor",
                       "report this to the JITSudo operator: the bridge cannot read past the first page")
    second = await client.message_page(request_id, limit=1, cursor=first.next_cursor)
    moved = {m.id for m in second.data}.isdisjoint(m.id for m in first.data)
    return Finding(moved, "message cursor", "next_cursor moves to the next page" if moved else
                   "next_cursor answers the same page again",
                   "report this to the JITSudo operator: the bridge stops at a repeated page")
