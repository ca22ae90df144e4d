"""Message blocks and authorship for the Slack fake, checked as Slack documents them.

The Web API extract in shared/specs predates Block Kit's limits and `chat:write.customize`; this follows
Slack's public docs:
- https://docs.slack.dev/reference/block-kit/blocks (a message holds up to 50 blocks; `block_id` at most
  255 characters and unique; section `text` at most 3,000 characters, up to 10 `fields` of at most 2,000;
  context: 1 to 10 `elements`, text objects or images; header `text` plain_text of at most 150);
- https://docs.slack.dev/reference/block-kit/composition-objects/text-object (`type` plain_text or
  mrkdwn, `text` 1 to 3,000 characters, `emoji` only on plain_text, `verbatim` only on mrkdwn);
- https://docs.slack.dev/reference/methods/chat.postMessage (invalid blocks answer `invalid_blocks` with
  the problems in `response_metadata.messages`; `text` over 40,000 characters is truncated; `username`,
  `icon_url` and `icon_emoji` customise the author and need the `chat:write.customize` scope).
The docs do not say what Slack does with those fields when the scope is missing: apps report both a
`missing_scope` error naming `chat:write.customize` and the fields being ignored, so the fake can do either
(`FakeSlack(customize_without_scope=...)`) and the bridge is tested against both.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
BLOCK_ID_LIMIT = 255
SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
HEADER_LIMIT = 150
TEXT_OBJECT_LIMIT = 3000
TEXT_TRUNCATED_AT = 40_000
CUSTOMIZE_SCOPE = "chat:write.customize"
AUTHORSHIP_FIELDS = ("username", "icon_url", "icon_emoji")


def block_problems(blocks: Any) -> list[str]:
    """Slack's schema messages for a message's `blocks`; empty when they are valid."""
    if not isinstance(blocks, list):
        return ["[ERROR] must provide an array [json-pointer:/blocks]"]
    problems: list[str] = []
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"[ERROR] no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for n, block in enumerate(blocks):
        where = f"/blocks/{n}"
        if not isinstance(block, dict):
            problems.append(f"[ERROR] must provide an object [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > BLOCK_ID_LIMIT:
                problems.append(f"[ERROR] must be less than {BLOCK_ID_LIMIT + 1} characters "
                                f"[json-pointer:{where}/block_id]")
            elif block_id in seen_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{where}/block_id]")
            seen_ids.add(str(block_id))
        kind = block.get("type")
        if kind == "section":
            problems += _section(block, where)
        elif kind == "context":
            problems += _context(block, where)
        elif kind == "header":
            problems += _text_object(block.get("text"), f"{where}/text", limit=HEADER_LIMIT, plain_only=True)
        elif not isinstance(kind, str) or not kind:
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
        # Other block types (divider, actions, rich_text, ...) are not checked further here.
    return problems


def _section(block: dict[str, Any], where: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        return [f"[ERROR] must provide either text or fields [json-pointer:{where}]"]
    problems = [] if text is None else _text_object(text, f"{where}/text", limit=SECTION_TEXT_LIMIT)
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
            problems.append(f"[ERROR] no more than {MAX_FIELDS} items allowed [json-pointer:{where}/fields]")
        else:
            for k, field in enumerate(fields):
                problems += _text_object(field, f"{where}/fields/{k}", limit=FIELD_LIMIT)
    return problems


def _context(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"[ERROR] missing required field: elements [json-pointer:{where}]"]
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        return [f"[ERROR] no more than {MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:{where}/elements]"]
    problems: list[str] = []
    for k, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            if not element.get("image_url") or not element.get("alt_text"):
                problems.append(f"[ERROR] missing required field: image_url or alt_text "
                                f"[json-pointer:{where}/elements/{k}]")
        else:
            problems += _text_object(element, f"{where}/elements/{k}", limit=TEXT_OBJECT_LIMIT)
    return problems


def _text_object(obj: Any, where: str, *, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"[ERROR] must provide an object [json-pointer:{where}]"]
    kind = obj.get("type")
    if kind not in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")):
        return [f"[ERROR] must be a valid enum value [json-pointer:{where}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters [json-pointer:{where}/text]"]
    problems = []
    if len(text) > limit:
        problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}/text]")
    if "emoji" in obj and kind != "plain_text":
        problems.append(f"[ERROR] emoji is only allowed on plain_text [json-pointer:{where}/emoji]")
    if "verbatim" in obj and kind != "mrkdwn":
        problems.append(f"[ERROR] verbatim is only allowed on mrkdwn [json-pointer:{where}/verbatim]")
    return problems


def customizes_author(params: dict[str, Any]) -> bool:
    return any(params.get(key) for key in AUTHORSHIP_FIELDS)


def echoed_author(params: dict[str, Any]) -> dict[str, Any]:
    """The fields a posted message carries for a custom author, as conversations.replies returns them."""
    data: dict[str, Any] = {}
    if params.get("username"):
        data["username"] = str(params["username"])
    # icon_emoji overrides icon_url (chat.postMessage docs).
    if params.get("icon_emoji"):
        data["icons"] = {"emoji": str(params["icon_emoji"])}
    elif params.get("icon_url"):
        data["icons"] = {"image_48": str(params["icon_url"])}
    return data
