from __future__ import annotations

from tests.harness import RunningBot, wait_for


def test_link_backfills_and_reply_roundtrip(bot: RunningBot, slack, cf) -> None:
    request_id = cf.add_request(summary="DoS attack", readable_id="RFI-2026-000001")
    cf.add_message(request_id, author="analyst@cloudflare.com", content="first")
    response = bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    assert response.status_code == 200, response.text
    wait_for(lambda: slack.responses, what="link response")
    print(slack.responses)
    print(slack.calls_to("chat.postMessage"))
