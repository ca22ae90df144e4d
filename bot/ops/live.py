"""`request-bridge doctor --live`: what the bridge assumes about each provider's real API, checked on the
account it is configured for, for one request per provider named on the command line
(`--request cloudforce-one=<id>`). Each provider's checks live in its own package (`assumptions.py`); this
module runs them and turns their findings into the doctor's checklist.

Read-only unless `--write-test` (one marked message, deleted or withdrawn where the provider allows it).
Each provider's checks make at most eight calls, a small part of any request budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from bot.errors import BridgeError, ConfigError
from bot.ops.checks import Check
from bot.providers.base import Provider, SupportsLiveCheck
from bot.service import build_providers
from bot.settings import Settings


def parse_requests(values: list[str]) -> dict[str, str]:
    """`name=id` pairs from the command line. Raises ValueError naming the bad one."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, request_id = value.partition("=")
        if not sep or not name.strip() or not request_id.strip():
            raise ValueError(f"--request {value!r}: use PROVIDER=REQUEST_ID, e.g. huawei=CS2026010112345678")
        found[name.strip()] = request_id.strip()
    return found


async def live_checks(settings: Settings, requests: Mapping[str, str], *, write_test: bool) -> list[Check]:
    try:
        providers = build_providers(settings)
    except ConfigError as exc:
        return [Check(False, "provider settings", str(exc), "correct it in the environment or .env")]
    checks = [Check(False, f"--request {name}", "no such provider configured",
                    f"configured: {', '.join(providers) or 'none'}") for name in requests if name not in providers]
    runs = [_one(provider, requests[name], write_test=write_test)
            for name, provider in providers.items() if name in requests]
    unnamed = [name for name in providers if name not in requests]
    for name, provider in providers.items():
        if name in unnamed:
            await provider.aclose()
    checks += [c for found in await asyncio.gather(*runs) for c in found]
    checks += [Check(True, f"{name} (live)", f"not checked: add --request {name}=<id of a request to look at>")
               for name in unnamed]
    return checks


async def _one(provider: Provider, request_id: str, *, write_test: bool) -> list[Check]:
    label = provider.display_name
    try:
        if not isinstance(provider, SupportsLiveCheck):
            return [Check(True, f"{label} (live)", "this provider has no live checks")]
        canonical = provider.validate_request_id(request_id)
        findings = await provider.check_assumptions(canonical, write_test=write_test)
        return [Check(f.ok, f"{label}: {f.what}", f.detail, f.fix) for f in findings]
    except BridgeError as exc:
        return [Check(False, f"{label} (live)", str(exc), "name a request this account can read")]
    finally:
        await provider.aclose()
