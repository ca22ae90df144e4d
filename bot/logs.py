"""Logging, configured once at the entry point: text or JSON lines, with secrets masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Slack tokens look like xoxb-..., xapp-...; mask them even if they were never configured here.
_TOKEN = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")


def secret_pattern(secret: str) -> str:
    """A regular expression matching the secret as is, percent-encoded any way (each character as itself or as
    %XX in either case, a space as `+` too: URLs, form bodies) or JSON-escaped (pure)."""
    parts = []
    for char in secret:
        either = [re.escape(char), "(?i:" + re.escape("".join(f"%{byte:02x}" for byte in char.encode())) + ")"]
        if char == " ":
            either.append(r"\+")
        parts.append("(?:" + "|".join(either) + ")")
    return "|".join(["".join(parts), re.escape(json.dumps(secret)[1:-1])])


class Redactor(logging.Filter):
    """Replaces every configured secret, in each of its encodings, and anything shaped like a Slack token,
    with ***. The logs use it as a filter; every text the bot sends to Slack passes `mask` (bot/slack/gateway.py)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        found = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._secrets = re.compile("|".join(secret_pattern(s) for s in found)) if found else None

    def mask(self, text: str) -> str:
        """The text with every secret masked, for output that is printed or sent rather than logged."""
        return self._clean(text)

    def mask_value(self, value: object) -> object:
        """Every string in a JSON-like value (a message's blocks, a view) masked."""
        return self._clean_value(value)

    def _clean(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub("***", text)
        return _TOKEN.sub("***", text)

    def _clean_value(self, value: object) -> object:
        if isinstance(value, str):
            return self._clean(value)
        if isinstance(value, dict):
            return {self._clean_value(k): self._clean_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set):
            return [self._clean_value(v) for v in value]
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, self._clean_value(value))
        if record.exc_info:
            # Tracebacks quote exception texts, which can carry a credential: format here, then mask.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        return f"{line} {extras}" if extras else line


def configure(*, level: str, fmt: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk says at INFO that it retries a connection: a start against an unreachable Slack is one line.
    for noisy in ("apscheduler", "aiohttp.access", "httpx", "slack_sdk"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
