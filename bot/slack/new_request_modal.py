"""The `/request new` modal: Block Kit for it, and reading and checking what was submitted (pure).

The fields are those of Cloudforce One's Create a New Request body (request-edit: summary, content,
request_type, priority, tlp); the selects hold what the provider lists. Slack's limits
(https://docs.slack.dev/reference/block-kit/): a plain_text_input holds at most 3,000 characters, a static
select at most 100 options of at most 75 characters of text and 150 of value; private_metadata at most 3,000.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.providers.base import NewRequest, RequestOptions

CALLBACK_ID = "new_request"
SUMMARY_LIMIT = 150  # the API sets none; a summary is a title, and the Home tab and root message show it
CONTENT_LIMIT = 3000  # Slack's plain_text_input maximum
MAX_OPTIONS = 100
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150


class Field(StrEnum):
    """Block ids of the modal's inputs; each input's action id is the same string."""

    SUMMARY = "summary"
    CONTENT = "content"
    REQUEST_TYPE = "request_type"
    PRIORITY = "priority"
    TLP = "tlp"


class NewRequestContext(BaseModel):
    """private_metadata: where the command was typed, on which provider, and the command's response_url
    (valid 30 minutes) so the outcome reaches the person even where the bot cannot post."""

    channel: str
    provider: str
    response_url: str | None = None


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _options(values: tuple[str, ...]) -> list[dict[str, Any]]:
    # A value longer than Slack allows could not come back intact, so it is not offered.
    usable = [v for v in values if v and len(v) <= OPTION_VALUE_LIMIT][:MAX_OPTIONS]
    return [{"text": _plain(v if len(v) <= OPTION_TEXT_LIMIT else v[: OPTION_TEXT_LIMIT - 1] + "…"), "value": v}
            for v in usable]


def _select(field: Field, label: str, values: tuple[str, ...], *, hint: str) -> dict[str, Any] | None:
    options = _options(values)
    if not options:
        return None
    return {"type": "input", "block_id": field, "optional": True, "label": _plain(label), "hint": _plain(hint),
            "element": {"type": "static_select", "action_id": field, "options": options,
                        "placeholder": _plain(f"Choose a {label.lower()}")}}


def new_request_modal(*, provider_label: str, options: RequestOptions, context: NewRequestContext) -> dict[str, Any]:
    """The modal; a select appears only when the provider lists its choices."""
    default = f"Left empty, {provider_label} assigns its default."
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f"Creates a {provider_label} request and links it in <#{context.channel}>: its messages appear in "
            "the new thread, and replies there go to the request.")}},
        {"type": "input", "block_id": Field.SUMMARY, "label": _plain("Title"),
         "element": {"type": "plain_text_input", "action_id": Field.SUMMARY, "max_length": SUMMARY_LIMIT,
                     "placeholder": _plain("e.g. DoS attack on our edge")}},
        {"type": "input", "block_id": Field.CONTENT, "label": _plain("What do you need to know?"),
         "element": {"type": "plain_text_input", "action_id": Field.CONTENT, "multiline": True,
                     "max_length": CONTENT_LIMIT}},
    ]
    for select in (_select(Field.REQUEST_TYPE, "Request type", options.request_types, hint=default),
                   _select(Field.PRIORITY, "Priority", options.priorities, hint=default),
                   _select(Field.TLP, "TLP", options.tlps,
                           hint="Traffic Light Protocol: who the answer may be shared with. " + default)):
        if select is not None:
            blocks.append(select)
    return {"type": "modal", "callback_id": CALLBACK_ID, "title": _plain("New request"),
            "submit": _plain("Create"), "close": _plain("Cancel"), "blocks": blocks,
            "private_metadata": context.model_dump_json()}


def context_of(view: dict[str, Any]) -> NewRequestContext | None:
    """The modal's context, or None when the metadata is not ours (a forged or outdated view)."""
    try:
        return NewRequestContext.model_validate_json(str(view.get("private_metadata") or ""))
    except ValidationError:
        return None


def _state(view: dict[str, Any], field: Field) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    found = (values.get(field) or {}).get(field) if isinstance(values, dict) else None
    return found if isinstance(found, dict) else {}


def _typed(view: dict[str, Any], field: Field) -> str:
    value = _state(view, field).get("value")
    return value.strip() if isinstance(value, str) else ""


def _chosen(view: dict[str, Any], field: Field) -> str | None:
    option = _state(view, field).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) and value else None


def read_submission(view: dict[str, Any]) -> NewRequest | dict[str, str]:
    """The request to create, or errors by block id for `response_action: errors`."""
    summary, content = _typed(view, Field.SUMMARY), _typed(view, Field.CONTENT)
    errors: dict[str, str] = {}
    if not summary:
        errors[Field.SUMMARY] = "Give the request a title."
    elif len(summary) > SUMMARY_LIMIT:
        errors[Field.SUMMARY] = f"At most {SUMMARY_LIMIT} characters."
    if not content:
        errors[Field.CONTENT] = "Say what you need to know: this is what the analysts read first."
    elif len(content) > CONTENT_LIMIT:
        errors[Field.CONTENT] = f"At most {CONTENT_LIMIT} characters."
    if errors:
        return errors
    return NewRequest(summary=summary, content=content, request_type=_chosen(view, Field.REQUEST_TYPE),
                      priority=_chosen(view, Field.PRIORITY), tlp=_chosen(view, Field.TLP))
