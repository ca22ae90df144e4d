"""The fakes behind `/request new` and the Home tab: Cloudforce One's create, types and constants operations
(2026-07-27 spec extract: v4 envelope, 4XX failure envelope), and Slack's views.publish (Slack's docs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox import FakeCloudforceOne, FakeSlack
from sandbox.server import serving

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.fixture
def cf_http() -> Iterator[tuple[FakeCloudforceOne, httpx.Client]]:
    with serving(FakeCloudforceOne()) as fake:
        base = f"{fake.base_url}/accounts/{ACCOUNT}/cloudforce-one/requests"
        with httpx.Client(base_url=base, headers={"Authorization": "Bearer cf-test-token"}, timeout=5) as client:
            yield fake, client


@pytest.fixture
def slack_http() -> Iterator[tuple[FakeSlack, httpx.Client]]:
    token = {"Authorization": "Bearer xoxb-test-token"}
    with serving(FakeSlack()) as fake, httpx.Client(base_url=fake.base_url, headers=token) as client:
        yield fake, client


def test_types_and_constants_come_in_the_envelope(cf_http: tuple[FakeCloudforceOne, httpx.Client]) -> None:
    cf, http = cf_http
    types = http.get("/types")
    assert types.status_code == 200
    assert types.json() == {"errors": [], "messages": [], "success": True,
                            "result": ["Indicators of Compromise", "Victomology"]}
    constants = http.get("/constants").json()["result"]
    assert constants == {"priority": ["routine", "high", "urgent"],
                         "status": ["open", "accepted", "reported", "approved", "completed", "declined"],
                         "tlp": ["clear", "green", "amber", "amber-strict", "red"]}
    with httpx.Client(base_url=http.base_url) as plain:
        refused = plain.get("/types", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 403 and refused.json()["success"] is False
    assert refused.json()["errors"][0]["code"] == 10000


def test_create_applies_defaults_and_validates(cf_http: tuple[FakeCloudforceOne, httpx.Client]) -> None:
    cf, http = cf_http
    made = http.post("/new", json={"summary": "DoS", "content": "Which regions?", "priority": "urgent",
                                   "request_type": "Victomology", "tlp": "red"})
    assert made.status_code == 200
    item = made.json()["result"]
    required = {"id", "created", "updated", "content", "priority", "request", "summary", "tlp"}
    assert required <= item.keys() and item["request"] == "Victomology" and item["status"] == "open"
    assert cf.request(item["id"])["summary"] == "DoS"
    assert http.get(f"/{item['id']}").json()["result"]["tlp"] == "red"

    # "If one is not provided, a default will be assigned."
    bare = http.post("/new", json={}).json()["result"]
    assert (bare["priority"], bare["tlp"]) == ("routine", "clear")

    def refused(body: Any = None, content: bytes | None = None) -> tuple[int, str]:
        response = http.post("/new", json=body) if content is None else http.post("/new", content=content)
        answer = response.json()
        assert answer["success"] is False and answer["result"] is None and answer["errors"][0]["code"] >= 1000
        return response.status_code, answer["errors"][0]["message"]

    assert refused({"priority": "whenever"}) == (400, "priority: must be one of routine, high, urgent")
    assert refused({"tlp": "white"})[0] == 400
    assert refused({"summary": 5})[0] == 400
    assert refused(content=b"[1]")[0] == 400
    assert len(cf.calls_matching("POST", "/requests/new")) == 6


def test_publish_replaces_a_persons_home(slack_http: tuple[FakeSlack, httpx.Client]) -> None:
    slack, http = slack_http
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    first = http.post("views.publish", json={"user_id": "U111", "view": home}).json()
    assert first["ok"] is True and first["view"]["type"] == "home" and first["view"]["id"].startswith("V")
    again = http.post("views.publish", json={"user_id": "U111", "view": {**home, "blocks": []},
                                             "hash": first["view"]["hash"]}).json()
    assert again["ok"] is True and again["view"]["id"] == first["view"]["id"]
    assert slack.home_view("U111") == again["view"] and slack.home_view("U222") is None
    stale = http.post("views.publish", json={"user_id": "U111", "view": home, "hash": first["view"]["hash"]})
    assert stale.json() == {"ok": False, "error": "hash_conflict"}


@pytest.mark.parametrize(("body", "error"), [
    ({"view": {"type": "home", "blocks": []}}, "invalid_arguments"),
    ({"user_id": "U111", "view": {"type": "modal", "blocks": []}}, "invalid_arguments"),
    ({"user_id": "U111", "view": {"type": "home", "blocks": [{"type": "divider"}] * 101}}, "invalid_arguments"),
    ({"user_id": "U111", "view": {"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x"},
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": "y" * 76}, "url": "https://x"}}]}},
     "invalid_arguments"),
    ({"user_id": "U111", "view": {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                                                           "text": ""}}]}},
     "invalid_arguments"),
    ({"user_id": "U111", "view": {"type": "home", "blocks": [],
                                  "private_metadata": "x" * 300_000}}, "view_too_large"),
])
def test_publish_refuses_what_slack_refuses(slack_http: tuple[FakeSlack, httpx.Client], body: dict[str, Any],
                                            error: str) -> None:
    slack, http = slack_http
    answer = http.post("views.publish", json=body).json()
    assert answer["ok"] is False and answer["error"] == error
    assert slack.home_view("U111") is None


def test_publish_needs_the_home_tab_enabled(slack_http: tuple[FakeSlack, httpx.Client]) -> None:
    slack, http = slack_http
    slack.set_home_tab_enabled(False)  # an app whose manifest turns the Home tab off
    answer = http.post("views.publish", json={"user_id": "U111", "view": {"type": "home", "blocks": []}}).json()
    assert answer == {"ok": False, "error": "not_enabled"}
