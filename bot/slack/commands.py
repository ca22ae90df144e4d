"""The `/request` slash command: parsing and help text (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    LINK = "link"
    UNLINK = "unlink"
    LIST = "list"
    HELP = "help"
    NOTIFY = "notify"
    NEW = "new"


@dataclass(frozen=True)
class Command:
    action: Action
    argument: str | None = None
    provider: str | None = None  # `/request link <provider> <id>`; may be left out with one provider
    problem: str | None = None  # why the text was not understood; the help text follows it
    switch: bool | None = None  # `/request notify on|off …`


HELP_TEXT = """*Request Bridge* links a Slack thread to a request on an outside system ({providers}).
• `/request link [provider] <request-id>` posts a message here and links its thread to the request; the \
request's messages appear in the thread, and replies in the thread go to the request. The provider may be \
left out when only one is configured.
• `/request new [provider]` opens a form that creates a request (title, what you need to know, and the \
type, priority and TLP the provider offers) and links it here, as `/request link` does.
• `/request unlink [provider] <request-id>` stops bridging that request in this channel.
• `/request list` shows the requests linked in this channel.
• `/request notify on|off [provider] <request-id>`: whoever linked the request is mentioned in its thread when \
the other side answers (or no longer); the button under the link's announcement does the same.
• The bot's *Home* tab lists the requests you linked, with their status, last activity and threads.
• Message shortcuts (the ⋮ menu of a message): *Link thread to request* links that message's thread instead \
of posting a new one; *Send to request* sends that one message to a request linked in this channel.
• `/request help` shows this text.
Edit or delete your reply in the thread and the request follows (where the provider allows it)."""

_NEEDS_ARGUMENT = {Action.LINK, Action.UNLINK}


def parse(text: str) -> Command:
    """Parse the text after `/request`."""
    words = text.split()
    if not words:
        return Command(Action.HELP)
    verb = words[0].lower()
    try:
        action = Action(verb)
    except ValueError:
        return Command(Action.HELP, problem=f"Unknown sub-command `{words[0][:40]}`.")
    if action == Action.NOTIFY:
        return _parse_notify(words[1:])
    if action == Action.NEW:
        if len(words) > 2:
            return Command(Action.HELP, problem="`/request new` takes at most a provider.")
        return Command(action, provider=words[1].lower() if len(words) == 2 else None)
    if action in _NEEDS_ARGUMENT:
        if len(words) not in (2, 3):
            problem = "missing the request id" if len(words) < 2 else "takes a provider and one request id"
            return Command(Action.HELP, problem=f"`/request {action}` {problem}.")
        if len(words) == 3:
            return Command(action, words[2], provider=words[1].lower())
        return Command(action, words[1])
    if len(words) > 1:
        return Command(Action.HELP, problem=f"`/request {action}` takes no arguments.")
    return Command(action)


def _parse_notify(words: list[str]) -> Command:
    if not words or words[0].lower() not in ("on", "off") or len(words) not in (2, 3):
        return Command(Action.HELP, problem="`/request notify` takes `on` or `off`, then the request id.")
    on = words[0].lower() == "on"
    if len(words) == 3:
        return Command(Action.NOTIFY, words[2], provider=words[1].lower(), switch=on)
    return Command(Action.NOTIFY, words[1], switch=on)


def help_text(providers: Mapping[str, str]) -> str:
    """The help, naming the configured providers (name as typed -> as shown)."""
    return HELP_TEXT.format(providers=", ".join(f"`{name}`: {shown}" for name, shown in providers.items()))


def help_reply(command: Command, *, providers: Mapping[str, str]) -> str:
    text = help_text(providers)
    return f"{command.problem}\n\n{text}" if command.problem else text
