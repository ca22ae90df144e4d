"""Emoji shortcodes and `@name` mentions in running text, outside code and `<...>` tokens (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import emoji

from bot.text.markup import escape_for_slack

__all__ = ["emojize", "mention_known_users"]

# Code (fenced or inline) and `<...>` tokens are left alone when emoji shortcodes are replaced.
_NOT_TEXT = re.compile(r"```.*?```|`[^`\n]+`|<[^<>]*>", re.S)


def emojize(text: str) -> str:
    """`:tada:` -> 🎉 outside code and `<...>` tokens; unknown (custom) shortcodes stay as they are."""
    return _outside_code(text, lambda part: _SKIN_TONE.sub(_skin_tone, emoji.emojize(part, language="alias")))


# Slack writes a skin tone as a second shortcode, `:+1::skin-tone-3:`; Unicode as a modifier after the emoji.
_SKIN_TONE = re.compile(r"(?<=[^\s:]):skin-tone-([2-6]):")


def _skin_tone(match: re.Match[str]) -> str:
    return chr(0x1F3FB + int(match.group(1)) - 2)  # EMOJI MODIFIER FITZPATRICK TYPE-1-2 .. TYPE-6


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def mention_known_users(escaped: str, users: Mapping[str, str]) -> str:
    """`@Display Name` -> `<@U…>` in already escaped mrkdwn, for names that belong to one known user."""
    owners: dict[str, list[str]] = {}
    for user_id, name in users.items():
        if name and _USER_ID.fullmatch(user_id):
            owners.setdefault(escape_for_slack(name), []).append(user_id)
    unique = {name: ids[0] for name, ids in owners.items() if len(ids) == 1}
    if not unique:
        return escaped
    # Longest names first, so "@Ada Lovelace" wins over "@Ada"; a name must end at a word boundary.
    names = sorted(unique, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w@])@(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
    return _outside_code(escaped, lambda part: pattern.sub(lambda m: f"<@{unique[m.group(1)]}>", part))


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    out: list[str] = []
    at = 0
    for match in _NOT_TEXT.finditer(text):
        out.append(change(text[at : match.start()]))
        out.append(match.group(0))
        at = match.end()
    out.append(change(text[at:]))
    return "".join(out)
