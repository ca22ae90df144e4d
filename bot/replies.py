"""The one place that turns a BridgeError into the short text a person sees (pure)."""

from __future__ import annotations

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


def error_reply(exc: BridgeError, *, doing: str) -> str:
    """`doing` names the action that failed, e.g. "Linking request `f174e90a-…`"."""
    if isinstance(exc, InvalidInput):
        return f":warning: {exc}"
    where = exc.provider if isinstance(exc, ProviderError) and exc.provider else "the other side"
    if isinstance(exc, NotFound):
        return f":warning: {doing} failed: {where} says it does not exist ({exc})."
    if isinstance(exc, PermissionDenied):
        return (f":warning: {doing} failed: {where} refused the bot's credentials ({exc}). "
                "Ask whoever runs Request Bridge to check its API credentials and account.")
    if isinstance(exc, RateLimited):
        return f":hourglass: {doing} failed: {where} is rate limiting the bot; try again in {exc.retry_after:.0f}s."
    if isinstance(exc, Unavailable):
        return f":warning: {doing} failed: {where} could not be reached ({exc}). Try again shortly."
    if isinstance(exc, Rejected):
        return f":warning: {doing} failed: {where} refused it ({exc})."
    return f":warning: {doing} failed: {exc}"
