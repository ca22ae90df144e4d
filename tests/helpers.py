"""Small steps many end-to-end tests share: linking a request and finding what the fakes hold."""

from __future__ import annotations

from typing import Any

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import RunningBot, wait_for

CHANNEL = "C111"


def link_request(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, **request: Any) -> tuple[str, str]:
    """Create a request on the fake, link it with /request link, return (request_id, thread_ts)."""
    request_id = cf.add_request(**request)
    before = len(slack.responses)
    response = bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    assert response.status_code == 200, response.text
    wait_for(lambda: len(slack.responses) > before, what="the link command's answer")
    assert "Linked request" in slack.responses[-1][1]["text"], slack.responses[-1]
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.thread_ts is not None
    return request_id, link.thread_ts


def thread_texts(slack: FakeSlack, thread_ts: str, channel: str = CHANNEL) -> list[str]:
    """Texts of the thread's replies (root excluded), oldest first."""
    return [m["text"] for m in slack.thread(channel, thread_ts)[1:]]


def created_contents(cf: FakeCloudforceOne, request_id: str) -> list[str]:
    return [m["content"] for m in cf.messages(request_id)]


def provider_calls(cf: FakeCloudforceOne, method: str, fragment: str) -> list[dict[str, Any]]:
    """Calls of `method` whose path contains `fragment` (injected failures included)."""
    return [c for c in cf.calls if c["method"] == method and fragment in c["path"]]
