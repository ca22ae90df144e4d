"""Block Kit for the message shortcuts' modals, and reading what people submitted in them (pure).

Limits from Slack's Block Kit reference (https://docs.slack.dev/reference/block-kit/): a modal title,
submit or close text is at most 24 characters, private_metadata at most 3000, an option's text at most 75
and its value at most 150, a static select at most 100 options.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
PRIVATE_METADATA_LIMIT = 3000
OPTION_TEXT_LIMIT = 75
MAX_OPTIONS = 100
PREVIEW_LIMIT = 600


class CallbackId(StrEnum):
    """Shortcut callback ids (as in manifest.yml) and modal callback ids."""

    LINK_THREAD = "link_thread"
    SEND_TO_REQUEST = "send_to_request"


class BlockId(StrEnum):
    PROVIDER = "provider"
    REQUEST_ID = "request_id"
    NOTIFY = "notify"
    LINK = "link"


class ActionId(StrEnum):
    PROVIDER = "provider"
    REQUEST_ID = "request_id"
    NOTIFY = "notify"
    LINK = "link"


class LinkThreadContext(BaseModel):
    """private_metadata of the "Link thread to request" modal: which thread it links."""

    channel: str
    thread_ts: str
    response_url: str | None = None  # the shortcut's: outcomes reach the person even where the bot is not


class ForwardContext(BaseModel):
    """private_metadata of the "Send to request" modal: the message it sends."""

    channel: str
    ts: str
    thread_ts: str | None = None
    author: str
    # None when the text did not fit in private_metadata: it is read back from Slack on submission.
    text: str | None = None
    response_url: str | None = None


def encode_forward(context: ForwardContext) -> str:
    encoded = context.model_dump_json()
    if len(encoded) <= PRIVATE_METADATA_LIMIT:
        return encoded
    return context.model_copy(update={"text": None}).model_dump_json()


def decode(model: type[M], private_metadata: object) -> M | None:
    """The modal's context, or None when the metadata is not ours (a forged or stale view)."""
    try:
        return model.model_validate_json(str(private_metadata or ""))
    except ValidationError:
        return None


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    shown = text if len(text) <= OPTION_TEXT_LIMIT else text[: OPTION_TEXT_LIMIT - 1] + "…"
    return {"text": _plain(shown), "value": value}


def _modal(callback_id: CallbackId, title: str, blocks: list[dict[str, Any]], *, metadata: str,
           submit: str | None) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": _plain(title),
                            "close": _plain("Cancel"), "blocks": blocks, "private_metadata": metadata}
    if submit:
        view["submit"] = _plain(submit)
    return view


def link_thread_modal(*, providers: list[tuple[str, str]], context: LinkThreadContext) -> dict[str, Any]:
    """Ask for the request (and its provider when more than one is configured); `providers`: (name, label)."""
    blocks: list[dict[str, Any]] = [{
        "type": "section",
        "text": {"type": "mrkdwn", "text": "This message's thread will be linked to the request: the request's "
                                           "messages are copied into it, and new replies there go to the request. "
                                           "What the thread already holds stays in Slack."},
    }]
    if len(providers) > 1:
        blocks.append({"type": "input", "block_id": BlockId.PROVIDER, "label": _plain("Provider"),
                       "element": {"type": "static_select", "action_id": ActionId.PROVIDER,
                                   "options": [_option(label, name) for name, label in providers]}})
    blocks.append({"type": "input", "block_id": BlockId.REQUEST_ID, "label": _plain("Request id"),
                   "element": {"type": "plain_text_input", "action_id": ActionId.REQUEST_ID, "max_length": 100,
                               "placeholder": _plain("e.g. f174e90a-fafe-4643-bbbc-4a0ed4fc8415")}})
    blocks.append({"type": "input", "block_id": BlockId.NOTIFY, "optional": True, "label": _plain("Notifications"),
                   "element": {"type": "checkboxes", "action_id": ActionId.NOTIFY,
                               "options": [_option("Mention me in the thread when the other side answers", "on")]}})
    return _modal(CallbackId.LINK_THREAD, "Link thread to request", blocks, metadata=context.model_dump_json(),
                  submit="Link")


def link_label(*, provider: str, request_id: str, title: str | None) -> str:
    return f"{provider} {request_id}" + (f": {title}" if title else "")


def send_to_request_modal(*, choices: list[tuple[int, str]], context: ForwardContext,
                          preview: str) -> dict[str, Any]:
    """Pick one of the linked requests (`choices`: link id, label); the only one is chosen already."""
    shown = preview if len(preview) <= PREVIEW_LIMIT else preview[:PREVIEW_LIMIT] + "…"
    options = [_option(label, str(link_id)) for link_id, label in choices[:MAX_OPTIONS]]
    select: dict[str, Any] = {"type": "static_select", "action_id": ActionId.LINK, "options": options}
    if len(options) == 1:
        select["initial_option"] = options[0]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Message by <@{context.author}>:\n{_quote(shown)}"}},
        {"type": "input", "block_id": BlockId.LINK, "label": _plain("Request"), "element": select},
    ]
    return _modal(CallbackId.SEND_TO_REQUEST, "Send to request", blocks, metadata=encode_forward(context),
                  submit="Send")


def _quote(text: str) -> str:
    return "\n".join(f">{line}" for line in (text or " ").splitlines() or [" "])


def _value(view: dict[str, Any], block: BlockId, action: ActionId) -> dict[str, Any]:
    values = ((view.get("state") or {}).get("values") or {}) if isinstance(view, dict) else {}
    found = (values.get(block) or {}).get(action) if isinstance(values, dict) else None
    return found if isinstance(found, dict) else {}


def text_input(view: dict[str, Any], block: BlockId, action: ActionId) -> str:
    value = _value(view, block, action).get("value")
    return value.strip() if isinstance(value, str) else ""


def selected(view: dict[str, Any], block: BlockId, action: ActionId) -> str | None:
    option = _value(view, block, action).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def checked(view: dict[str, Any], block: BlockId, action: ActionId) -> set[str]:
    options = _value(view, block, action).get("selected_options")
    return {str(o.get("value")) for o in options if isinstance(o, dict)} if isinstance(options, list) else set()


_EMOJI = re.compile(r"^:[a-z_]+: ")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r" ?\(<[^<>|]+\|[^<>]*>\)")  # " (<permalink|its thread>)": no link in plain text
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def as_modal_error(text: str) -> str:
    """A bridge reply as a modal field error, which Slack shows as plain text."""
    # <#C…> only renders in messages; naming the channel here could reveal a private one.
    text = _LINK.sub("", _EMOJI.sub("", text))
    return _MENTION.sub("someone", _CHANNEL.sub("another channel", text)).replace("`", "")
