"""The fakes follow their specs: envelopes, auth, errors, paging, metadata and fault injection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox import FakeCloudforceOne, FakeSlack, ServerThread

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _serve(fake: FakeCloudforceOne | FakeSlack) -> Iterator[Any]:
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield fake


@pytest.fixture
def cf() -> Iterator[FakeCloudforceOne]:
    yield from _serve(FakeCloudforceOne())


@pytest.fixture
def cf_http(cf: FakeCloudforceOne) -> Iterator[httpx.Client]:
    base = f"{cf.base_url}/accounts/{ACCOUNT}/cloudforce-one/requests"
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer cf-test-token"}, timeout=5) as client:
        yield client


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from _serve(FakeSlack())


@pytest.fixture
def slack_http(slack: FakeSlack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=slack.base_url, headers={"Authorization": "Bearer xoxb-test-token"}) as client:
        yield client


def test_server_thread_runs_coroutines_on_its_loop() -> None:
    async def where() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    with ServerThread(FakeSlack().app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.run(where()) is server.loop


# ---------------------------------------------------------------- Cloudforce One


def test_cf_envelopes_and_author(cf: FakeCloudforceOne, cf_http: httpx.Client) -> None:
    rid = cf.add_request(readable_id="RFI-2026-000042")
    got = cf_http.get(f"/{rid}").json()
    assert got["success"] is True and got["errors"] == [] and got["messages"] == []
    required = {"id", "created", "updated", "content", "priority", "request", "summary", "tlp"}
    assert required <= got["result"].keys()
    assert got["result"]["readable_id"] == "RFI-2026-000042" and got["result"]["status"] == "open"

    made = cf_http.post(f"/{rid}/message/new", json={"content": "hello"}).json()["result"]
    assert made["author"] == "bridge-bot@example.com" and made["is_follow_on_request"] is False
    assert made["created"].endswith("Z") and isinstance(made["id"], int)
    key_auth = {"X-Auth-Email": "Bridge-Bot@example.com", "X-Auth-Key": cf.api_key}  # author = this header
    with httpx.Client(base_url=cf_http.base_url) as plain:
        by_key = plain.post(f"/{rid}/message/new", json={"content": "k"}, headers=key_auth).json()
    assert by_key["result"]["author"] == "Bridge-Bot@example.com"

    path = f"/{rid}/message/{made['id']}"
    assert cf_http.put(path, json={"content": "edited"}).json()["result"]["content"] == "edited"
    assert cf_http.delete(path).json() == {"errors": [], "messages": [], "success": True}
    assert [m["content"] for m in cf.messages(rid)] == ["k"]
    assert cf.calls_matching("PUT", path)[0]["json"] == {"content": "edited"}


def test_cf_auth_failures(cf: FakeCloudforceOne, cf_http: httpx.Client) -> None:
    rid = cf.add_request()
    with httpx.Client(base_url=cf_http.base_url) as plain:
        missing = plain.get(f"/{rid}")
        wrong = plain.get(f"/{rid}", headers={"Authorization": "Bearer nope"})
        bad_key = plain.get(f"/{rid}", headers={"X-Auth-Email": cf.email, "X-Auth-Key": "nope"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == 9106
    assert missing.json()["success"] is False and missing.json()["result"] is None
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["code"] == 10000
    assert bad_key.status_code == 403
    other = cf_http.get(f"{cf.base_url}/accounts/{'0' * 32}/cloudforce-one/requests/{rid}")
    assert other.status_code == 403 and other.json()["errors"][0]["code"] == 10000


def test_cf_validation_and_not_found(cf: FakeCloudforceOne, cf_http: httpx.Client) -> None:
    rid = cf.add_request()

    def status(response: httpx.Response) -> tuple[int, bool]:
        body = response.json()
        assert body["errors"][0]["code"] >= 1000
        return response.status_code, body["success"]

    long_account = f"{cf.base_url}/accounts/{'a' * 33}/cloudforce-one/requests/{rid}"
    assert status(cf_http.get(long_account)) == (400, False)
    assert status(cf_http.get("/" + "r" * 37)) == (400, False)
    assert status(cf_http.put(f"/{rid}/message/abc", json={"content": "x"})) == (400, False)
    assert status(cf_http.get("/f174e90a-fafe-4643-bbbc-4a0ed4fc8415")) == (404, False)
    assert status(cf_http.put(f"/{rid}/message/999", json={"content": "x"})) == (404, False)
    assert status(cf_http.post(f"/{rid}/message/new", content=b"{not json")) == (400, False)
    assert status(cf_http.post(f"/{rid}/message", json={"per_page": 10})) == (400, False)


def test_cf_message_paging_filters_and_sorting(cf: FakeCloudforceOne, cf_http: httpx.Client) -> None:
    rid = cf.add_request()
    cf.clock = lambda: T0  # a frozen clock still gives distinct created values
    for n in range(5):
        cf.add_message(rid, content=f"m{n}")
    created = [m["created"] for m in cf.messages(rid)]
    assert len(set(created)) == 5 and created[0] == "2026-01-01T00:00:00.000000Z"

    def page(**body: object) -> list[str]:
        response = cf_http.post(f"/{rid}/message", json={"per_page": 2, **body})
        assert "result_info" not in response.json()
        return [m["content"] for m in response.json()["result"]]

    assert page(page=0) == page(page=1) == ["m0", "m1"]
    assert page(page=3) == ["m4"] and page(page=4) == []
    assert page(page=1, after=created[1], per_page=10) == ["m2", "m3", "m4"]
    assert page(page=1, before=created[1], per_page=10) == ["m0"]
    assert page(page=1, sort_order="desc") == ["m4", "m3"]
    assert cf_http.post(f"/{rid}/message", json={"page": 1, "per_page": 2, "sort_by": "x"}).status_code == 400


def test_cf_fault_injection(cf: FakeCloudforceOne, cf_http: httpx.Client) -> None:
    rid = cf.add_request()
    cf.fail_next("list_messages", "429", retry_after=7)
    limited = cf_http.post(f"/{rid}/message", json={"page": 1, "per_page": 10})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["errors"][0]["code"] == 971

    cf.fail_next("get_request", "garbage")
    garbage = cf_http.get(f"/{rid}")
    assert garbage.status_code == 200 and garbage.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        garbage.json()

    cf.fail_next("create_message", "reset")
    with pytest.raises(httpx.TransportError):
        cf_http.post(f"/{rid}/message/new", json={"content": "lost"})
    assert cf.messages(rid) == []

    cf.fail_next("any", "apply_then_500")
    ambiguous = cf_http.post(f"/{rid}/message/new", json={"content": "kept"})
    assert ambiguous.status_code == 500 and [m["content"] for m in cf.messages(rid)] == ["kept"]

    cf.fail_next("get_request", "slow", delay=1.0)
    with pytest.raises(httpx.TimeoutException):
        cf_http.get(f"/{rid}", timeout=0.2)
    assert cf.fault_count == 5
    assert [c["injected"] for c in cf.calls] == ["429", "garbage", "reset", "apply_then_500", "slow"]


# ---------------------------------------------------------------- Slack


def test_slack_auth(slack_http: httpx.Client) -> None:
    body = slack_http.post("auth.test").json()
    assert (body["ok"], body["user_id"], body["bot_id"], body["team_id"]) == (True, "UBOT", "BBOT", "T111")
    missing = slack_http.post("auth.test", headers={"Authorization": ""})
    assert missing.status_code == 200 and missing.json() == {"ok": False, "error": "not_authed"}
    wrong = slack_http.post("auth.test", data={"token": "xoxb-wrong"}, headers={"Authorization": ""})
    assert wrong.json() == {"ok": False, "error": "invalid_auth"}
    unknown = slack_http.post("chat.nope")
    assert unknown.status_code == 404 and unknown.json() == {"ok": False, "error": "unknown_method"}


def test_slack_post_update_delete(slack: FakeSlack, slack_http: httpx.Client) -> None:
    root = slack.post_user_message("C1", "help", user="U1")
    meta = {"event_type": "bridge_message", "event_payload": {"provider": "cf1", "message_id": 1}}
    posted = slack_http.post(
        "chat.postMessage", json={"channel": "C1", "text": "hi", "thread_ts": root, "metadata": meta}
    ).json()
    assert posted["ok"] and posted["channel"] == "C1" and float(posted["ts"]) > float(root)
    assert posted["message"]["bot_id"] == "BBOT" and posted["message"]["user"] == "UBOT"
    assert slack_http.post("chat.postMessage", json={"channel": "C1"}).json()["error"] == "no_text"
    assert slack_http.post("chat.postMessage", json={"text": "x"}).json()["error"] == "channel_not_found"

    update = {"channel": "C1", "ts": posted["ts"], "text": "hi!"}
    assert slack_http.post("chat.update", json=update).json()["text"] == "hi!"
    human = slack_http.post("chat.update", json={**update, "ts": root}).json()
    assert human["error"] == "cant_update_message"

    def delete(ts: str) -> str | None:  # form-encoded, as slack_sdk sends chat.delete
        return slack_http.post("chat.delete", data={"channel": "C1", "ts": ts}).json().get("error")

    assert [delete(root), delete(posted["ts"]), delete(posted["ts"])] == [
        "cant_delete_message",
        None,
        "message_not_found",
    ]
    assert (slack.message("C1", posted["ts"]) or {}).get("deleted") is True
    assert [m["text"] for m in slack.thread("C1", root)] == ["help"]


def test_slack_replies_metadata_and_paging(slack: FakeSlack, slack_http: httpx.Client) -> None:
    root = slack.post_user_message("C1", "root", user="U1")
    meta = {"event_type": "bridge_message", "event_payload": {"message_id": 7}}
    slack_http.post(
        "chat.postMessage", json={"channel": "C1", "text": "a", "thread_ts": root, "metadata": meta}
    )
    gone = slack.post_user_message("C1", "b", user="U2", thread_ts=root)
    slack.post_user_message("C1", "c", user="U2", thread_ts=root)
    slack.delete_user_message("C1", gone)

    def replies(**params: str | int) -> dict[str, Any]:
        return slack_http.get("conversations.replies", params={"channel": "C1", "ts": root, **params}).json()

    plain = replies()
    assert [m["text"] for m in plain["messages"]] == ["root", "a", "c"] and plain["has_more"] is False
    assert all("metadata" not in m for m in plain["messages"])
    assert replies(include_all_metadata="1")["messages"][1]["metadata"] == meta

    first = replies(limit=2)
    assert first["has_more"] is True and len(first["messages"]) == 2
    rest = replies(cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["c"]
    assert replies(ts="1.000001") == {"ok": False, "error": "thread_not_found"}


def test_slack_users_permalink_ephemeral_response_url(slack: FakeSlack, slack_http: httpx.Client) -> None:
    slack.add_user("U1", name="ana", display_name="Ana", real_name="Ana Lyst")
    user = slack_http.get("users.info", params={"user": "U1"}).json()["user"]
    assert user["profile"]["display_name"] == "Ana" and user["profile"]["image_48"]
    assert slack_http.get("users.info", params={"user": "U9"}).json()["error"] == "user_not_found"
    ts = slack.post_user_message("C1", "x", user="U1", ts="1700000000.000100")
    link = slack_http.get("chat.getPermalink", params={"channel": "C1", "message_ts": ts}).json()
    assert link["permalink"] == "https://fake.slack.com/archives/C1/p1700000000000100"
    eph = slack_http.post("chat.postEphemeral", json={"channel": "C1", "user": "U1", "text": "psst"}).json()
    assert eph["ok"] and eph["message_ts"] and slack.ephemerals[0]["text"] == "psst"
    assert httpx.post(slack.response_url("cmd"), json={"text": "done"}).text == "ok"
    assert slack.responses == [("cmd", {"text": "done"})]


def test_slack_fault_injection(slack: FakeSlack, slack_http: httpx.Client) -> None:
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=3)
    limited = slack_http.post("chat.postMessage", json={"channel": "C1", "text": "x"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    slack.fail_next("chat.postMessage", "garbage")
    garbage = slack_http.post("chat.postMessage", json={"channel": "C1", "text": "x"})
    assert garbage.status_code == 200 and garbage.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        garbage.json()
    slack.fail_next("chat.postMessage", "server_error")
    assert slack_http.post("chat.postMessage", json={"channel": "C1", "text": "x"}).status_code == 503
    assert [c["injected"] for c in slack.calls] == ["ratelimited", "garbage", "server_error"]
    ok = slack_http.post("chat.postMessage", json={"channel": "C1", "text": "x"}).json()
    assert ok["ok"] and slack.thread("C1", ok["ts"])[0]["text"] == "x"  # only the real post is stored
