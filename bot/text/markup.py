"""Slack message markup: to plain text for the provider, and escaping of outside text for Slack.

Slack's format: https://api.slack.com/reference/surfaces/formatting#advanced
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["escape_for_slack", "slack_to_text", "user_ids_in"]

# One pass over both the `<...>` tokens and the three entities. Slack escapes `&`, `<` and `>` in
# message text, so a literal `<` always opens a token and never occurs inside one. Doing both in a
# single pass is the same as "convert the tokens, then unescape last": unescaped text is never
# re-read, so "&amp;lt;" becomes "&lt;" and "&lt;!channel&gt;" stays text instead of a mention.
_MARKUP = re.compile(r"<(?P<token>[^<>]*)>|&(?P<entity>amp|lt|gt);|(?P<stray><(?=[!@#]))")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_TOKEN = re.compile(r"<([^<>]*)>")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BROADCASTS = frozenset({"here", "channel", "everyone"})


def slack_to_text(text: str, *, users: Mapping[str, str]) -> str:
    """Render Slack message markup as readable plain text; `users` maps user id to display name."""

    def replace(match: re.Match[str]) -> str:
        entity = match.group("entity")
        if entity is not None:
            return _ENTITIES[entity]
        if match.group("stray") is not None:
            # Slack never sends a bare `<`; before `!`, `@` or `#` it is shown as a look-alike, so it cannot
            # form a mention or broadcast with the unescaped text that follows.
            return "\u2039"
        return _render_token(match.group("token"), users)

    return _MARKUP.sub(replace, text)


def user_ids_in(text: str) -> list[str]:
    """Return the ids of the users mentioned in `text`, unique, in order of first mention."""
    ids: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        target = match.group(1).partition("|")[0]
        if target.startswith("@") and len(target) > 1:
            ids.setdefault(target[1:])
    return list(ids)


def escape_for_slack(text: str) -> str:
    """Escape `&`, `<` and `>` so outside text cannot ping `<!channel>` or forge links in Slack."""
    # `&` first, or the `&` of the entities added for `<` and `>` would be escaped again.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _render_token(body: str, users: Mapping[str, str]) -> str:
    target, _, raw_label = body.partition("|")
    label = _unescape(raw_label)
    if target.startswith("@") and len(target) > 1:
        user_id = target[1:]
        # Display names from `users` are plain text already: they are not unescaped again.
        return "@" + (users.get(user_id) or label or user_id)
    if target.startswith("#") and len(target) > 1:
        return "#" + (label or target[1:])
    if target.startswith("!"):
        special = _render_special(target[1:], label)
        if special is not None:
            return special
    elif _SCHEME.match(target):
        return _render_link(_unescape(target), label)
    # Unknown markup stays exactly as it came (still escaped), so it cannot turn into a mention.
    return "<" + body + ">"


def _render_special(command: str, label: str) -> str | None:
    # `<!here>`, `<!subteam^S123|@team>`, `<!date^1392734382^{date_short}|Feb 18, 2014>`.
    kind, _, argument = command.partition("^")
    if kind in _BROADCASTS:
        return "@" + kind
    if kind == "subteam" and argument:
        handle = label or argument
        return handle if handle.startswith("@") else "@" + handle
    if label:
        # `date` and any special command Slack adds later carry a readable fallback after the `|`.
        return label
    return None


def _render_link(url: str, label: str) -> str:
    if url.lower().startswith("mailto:"):
        address = url[len("mailto:") :]
        if not label or label in (address, url):
            return address
        return f"{label} ({address})"
    if not label or label == url:
        return url
    return f"{label} ({url})"
