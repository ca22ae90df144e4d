"""The one place that turns a BridgeError into the short text a person sees (pure)."""

from __future__ import annotations

import math

from bot.errors import (
    BridgeError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)
from bot.text.markup import escape_for_slack


def error_reply(exc: BridgeError, *, doing: str) -> str:
    """`doing` names the action that failed, e.g. "Linking request `f174e90a-…`".

    Error texts can come from a provider (or echo the person's input): they are escaped, so they cannot
    ping a channel or show a disguised link in the bot's name.
    """
    detail = escape_for_slack(str(exc))
    if isinstance(exc, InvalidInput):
        return f":warning: {detail}"
    where = exc.provider if isinstance(exc, ProviderError) and exc.provider else "the other side"
    if isinstance(exc, NotFound):
        return f":warning: {doing} failed: {where} says it does not exist ({detail})."
    if isinstance(exc, PermissionDenied):
        return (f":warning: {doing} failed: {where} refused the bot's credentials ({detail}). "
                "Ask whoever runs Request Bridge to check its API credentials and account.")
    if isinstance(exc, RateLimited):
        wait = wait_text(exc.retry_after)
        return f":hourglass: {doing} failed: {where} is rate limiting the bot; try again in {wait}."
    if isinstance(exc, Unavailable):
        return f":warning: {doing} failed: {where} could not be reached ({detail}). Try again shortly."
    if isinstance(exc, Rejected):
        return f":warning: {doing} failed: {where} refused it ({detail})."
    return f":warning: {doing} failed: {detail}"


def wait_text(seconds: float) -> str:
    """A wait as a person reads it: "about 10 s", "about 2 min"; never "0s" (pure)."""
    if seconds < 55:
        return f"about {max(10, math.ceil(seconds / 10) * 10)} s"
    return f"about {max(1, round(seconds / 60))} min"
