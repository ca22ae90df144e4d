"""Cut long mrkdwn into parts that each fit one Slack block, never breaking a code block or a token.

A part that ends inside a ``` code block closes it, and the next part reopens it, so every part renders
on its own. Cuts fall at a line end where possible, then at a space, and never inside `<...>` (a
mention or link) or an entity (`&amp;`).
"""

from __future__ import annotations

import re

__all__ = ["FENCE", "split_mrkdwn"]

FENCE = "```"
_ATOMS = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);|```")


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, in order; one part when the text fits."""
    if limit < 2 * (len(FENCE) + 1) + 10:
        raise ValueError("limit too small to carry a code block")
    if len(text) <= limit:
        return [text]
    room = limit - len(FENCE) - 1  # always room to close a code block: "\n```"
    reopened = FENCE + "\n"
    parts: list[str] = []
    current = ""
    in_code = False  # whether `current` ends inside a code block

    for line in text.split("\n"):
        while True:
            sep = "" if current in ("", reopened) else "\n"
            if len(current) + len(sep) + len(line) <= room:
                current += sep + line
                in_code ^= line.count(FENCE) % 2 == 1
                break
            if sep:
                # The line goes to the next part, whole if it fits there.
                parts.append(current + ("\n" + FENCE if in_code else ""))
                current = reopened if in_code else ""
                continue
            at = _cut(line, room - len(current))
            head, line = line[:at], line[at:]
            current += head
            in_code ^= head.count(FENCE) % 2 == 1
            parts.append(current + ("\n" + FENCE if in_code else ""))
            current = reopened if in_code else ""
    if current not in ("", reopened):
        parts.append(current)
    return parts


def _cut(line: str, free: int) -> int:
    """Where to cut a line longer than `free`: after the last space that fits, else at `free`; never
    inside a token, an entity or a fence marker unless one alone is longer than `free`."""
    atoms = [(m.start(), m.end()) for m in _ATOMS.finditer(line)]

    def splits_atom(at: int) -> bool:
        return any(start < at < end for start, end in atoms)

    for at in range(free, free // 2, -1):
        if line[at - 1] == " " and not splits_atom(at):
            return at
    for at in range(free, 0, -1):
        if not splits_atom(at):
            return at
    return free
