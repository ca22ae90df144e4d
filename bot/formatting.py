"""Text formats of the two sides, and the conversion between them (pure functions).

Slack writes `mrkdwn` (https://api.slack.com/reference/surfaces/formatting); each provider declares the
format of its message content (`Provider.text_format`):

- `plain`: shown as it is, the way people type in a plain text box. Slack's markers (`*bold*`, `_it_`,
  `~strike~`, backticks, "> " quotes, "• " lists) stay as typed, since they read well as they are;
  mentions, channels and links become readable text; emoji shortcodes become the emoji themselves.
- `markdown`: CommonMark (+ `~~strike~~`), converted marker by marker (bot/mrkdwn_markdown.py).

Either way, text coming from a provider reaches Slack escaped: it can mention only people the bridge
knows by name (`@Ada` -> `<@U1>`) and never `@channel`, a channel, or a link whose label lies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum

import emoji

from bot.markup import escape_for_slack, slack_to_text

__all__ = ["TextFormat", "emojize", "mention_known_users", "provider_to_slack", "slack_to_provider"]


class TextFormat(StrEnum):
    PLAIN = "plain"
    MARKDOWN = "markdown"


# Code (fenced or inline) and `<...>` tokens are left alone when emoji shortcodes are replaced.
_NOT_TEXT = re.compile(r"```.*?```|`[^`\n]+`|<[^<>]*>", re.S)


def slack_to_provider(text: str, *, users: Mapping[str, str], fmt: TextFormat) -> str:
    """A Slack message's text as the provider's content; `users` maps user id to display name."""
    if fmt == TextFormat.MARKDOWN:
        from bot.mrkdwn_markdown import mrkdwn_to_markdown

        return mrkdwn_to_markdown(text, users=users)
    return slack_to_text(emojize(text), users=users)


def provider_to_slack(text: str, *, fmt: TextFormat, users: Mapping[str, str] | None = None) -> str:
    """Provider content as safe Slack mrkdwn; `users` (id -> display name) turns `@name` into mentions."""
    if fmt == TextFormat.MARKDOWN:
        from bot.mrkdwn_markdown import markdown_to_mrkdwn

        return markdown_to_mrkdwn(text, users=users or {})
    return mention_known_users(escape_for_slack(text), users or {})


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
