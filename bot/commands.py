"""The `/request` slash command: parsing and help text (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    LINK = "link"
    UNLINK = "unlink"
    LIST = "list"
    HELP = "help"


@dataclass(frozen=True)
class Command:
    action: Action
    argument: str | None = None
    problem: str | None = None  # why the text was not understood; the help text follows it


HELP_TEXT = """*Request Bridge* links a Slack thread to a Cloudflare Cloudforce One request.
• `/request link <request-id>` posts a message here and links its thread to the request; the request's \
messages appear in the thread, and replies in the thread go to the request.
• `/request unlink <request-id>` stops bridging that request in this channel.
• `/request list` shows the requests linked in this channel.
• `/request help` shows this text.
Edit or delete your reply in the thread and the request follows."""

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
    if action in _NEEDS_ARGUMENT:
        if len(words) != 2:
            problem = "missing the request id" if len(words) < 2 else "takes exactly one request id"
            return Command(Action.HELP, problem=f"`/request {action}` {problem}.")
        return Command(action, words[1])
    if len(words) > 1:
        return Command(Action.HELP, problem=f"`/request {action}` takes no arguments.")
    return Command(action)


def help_reply(command: Command) -> str:
    return f"{command.problem}\n\n{HELP_TEXT}" if command.problem else HELP_TEXT
