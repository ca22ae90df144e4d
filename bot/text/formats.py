"""Text formats of the two sides, and the conversion between them (pure functions).

Slack writes `mrkdwn` (https://api.slack.com/reference/surfaces/formatting); each provider declares the
format of its message content (`Provider.text_format`):

- `plain`: shown as it is, the way people type in a plain text box. Slack's markers (`*bold*`, `_it_`,
  `~strike~`, backticks, "> " quotes, "• " lists) stay as typed, since they read well as they are;
  mentions, channels and links become readable text; emoji shortcodes become the emoji themselves.
- `markdown`: CommonMark (+ `~~strike~~`), converted marker by marker (bot/text/mrkdwn_markdown.py).

Either way, text coming from a provider reaches Slack escaped: it can mention only people the bridge
knows by name (`@Ada` -> `<@U1>`) and never `@channel`, a channel, or a link whose label lies.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from bot.text.inline import emojize, mention_known_users
from bot.text.markup import escape_for_slack, slack_to_text
from bot.text.mrkdwn_markdown import markdown_to_mrkdwn, mrkdwn_to_markdown

__all__ = ["TextFormat", "emojize", "mention_known_users", "provider_to_slack", "slack_to_provider"]


class TextFormat(StrEnum):
    PLAIN = "plain"
    MARKDOWN = "markdown"


def slack_to_provider(text: str, *, users: Mapping[str, str], fmt: TextFormat) -> str:
    """A Slack message's text as the provider's content; `users` maps user id to display name."""
    if fmt == TextFormat.MARKDOWN:
        return mrkdwn_to_markdown(text, users=users)
    return slack_to_text(emojize(text), users=users)


def provider_to_slack(text: str, *, fmt: TextFormat, users: Mapping[str, str] | None = None) -> str:
    """Provider content as safe Slack mrkdwn; `users` (id -> display name) turns `@name` into mentions."""
    if fmt == TextFormat.MARKDOWN:
        return markdown_to_mrkdwn(text, users=users or {})
    return mention_known_users(escape_for_slack(text), users or {})
