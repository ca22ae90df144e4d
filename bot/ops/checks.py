"""The doctor's checklist: one line per check, and what to fix under each failure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    detail: str
    fix: str = ""


def render(checks: Iterable[Check]) -> str:
    """The checklist: one ✓/✗ line per check, a `fix:` line under each failure, then a summary."""
    checks = list(checks)
    lines = []
    for check in checks:
        lines.append(f"{'✓' if check.ok else '✗'} {check.what}: {check.detail}")
        if check.fix and not check.ok:
            lines.append(f"    fix: {check.fix}")
    failed = sum(not c.ok for c in checks)
    lines.append(f"all well ({len(checks)} checks)" if not failed else f"{failed} of {len(checks)} checks failed")
    return "\n".join(lines)
