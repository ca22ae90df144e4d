"""Small steps many end-to-end tests share: linking a request and finding what the fakes hold."""

from __future__ import annotations

from typing import Any

from request_bridge.embedded import CHANNEL, link_request
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack

__all__ = ["CHANNEL", "created_contents", "link_request", "provider_calls", "thread_texts"]


def thread_texts(slack: FakeSlack, thread_ts: str, channel: str = CHANNEL) -> list[str]:
    """Texts of the thread's replies (root excluded), oldest first."""
    return [m["text"] for m in slack.thread(channel, thread_ts)[1:]]


def created_contents(cf: FakeCloudforceOne, request_id: str) -> list[str]:
    return [m["content"] for m in cf.messages(request_id)]


def provider_calls(cf: FakeCloudforceOne, method: str, fragment: str) -> list[dict[str, Any]]:
    """Calls of `method` whose path contains `fragment` (injected failures included)."""
    return [c for c in cf.calls if c["method"] == method and fragment in c["path"]]
