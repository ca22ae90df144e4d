"""The provider side of the fault-injection world, once per provider: its fake, the bot's settings for it,
and how its people write. Cloudforce One and JITSudo name every message (the bridge's posts carry that id
in their metadata); Huawei OSM names none, so its messages are known by a token in their content."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.cloudforce_one import FakeCloudforceOne
from tests.fakes.huawei import FakeHuawei
from tests.fakes.jitsudo import FakeJITSudo
from tests.faults.simulator import metadata_key

TOKEN = re.compile(r"\[(a\d+)\]")
# The scripted exchange runs many times faster than a real team; the budget is tested in test_budget.py.
BUDGET = "6000/60"


@dataclass
class Side:
    name: str  # as in `/request link <name> <id>` and the bot's budgets
    display: str
    fake: Any
    env: Callable[[], dict[str, str]]  # the bot's settings for it, once the fake is bound to its URL
    new_request: Callable[[int], str]
    write: Callable[[str, str, str], str]  # (request id, author, content) -> the message's key
    authors: tuple[str, ...]
    role: str | None
    edit: Callable[[str, str, str], None] | None = None  # the other side edits its own message (key, text)
    delete: Callable[[str, str], None] | None = None
    edits_follow: bool = True  # a Slack edit / deletion reaches the provider (else the author is told)

    def key_of_post(self, post: dict[str, Any]) -> str | None:
        """Which other-side message a Slack post mirrors: its id, or (Huawei) the token in its text."""
        if self.name != "huawei":
            return metadata_key(post)
        found = TOKEN.search(post.get("text") or "")
        if found:
            return found.group(1)
        mirrored = metadata_key(post)
        return None if mirrored is None else f"unscripted:{mirrored}"

    def messages(self, request_id: str) -> list[dict[str, Any]]:
        return list(self.fake.messages(request_id))


def cloudforce_one() -> Side:
    fake = FakeCloudforceOne()

    def env() -> dict[str, str]:
        return {"CLOUDFLARE_ACCOUNT_ID": fake.account_id, "CLOUDFLARE_API_TOKEN": "cf-test-token",
                "CLOUDFLARE_BASE_URL": fake.base_url, "CLOUDFLARE_REQUEST_BUDGET": BUDGET}

    return Side(name="cloudforce-one", display="Cloudforce One", fake=fake, env=env,
                new_request=lambda n: fake.add_request(summary=f"request {n}"),
                write=lambda rid, author, text: str(fake.add_message(rid, author=author, content=text)["id"]),
                authors=("ana@cloudflare.com", "ben@cloudflare.com"), role=None,
                edit=lambda rid, key, text: fake.edit_message(rid, int(key), text),
                delete=lambda rid, key: fake.delete_message(rid, int(key)))


def huawei() -> Side:
    fake = FakeHuawei()

    def write(rid: str, author: str, text: str) -> str:
        fake.add_message(rid, author=author, role="engineer", content=text)
        found = TOKEN.search(text)
        assert found is not None
        return found.group(1)

    def env() -> dict[str, str]:
        return {"HUAWEI_ENDPOINT": fake.base_url, "HUAWEI_AK": fake.ak, "HUAWEI_SK": fake.sk,
                "HUAWEI_DOMAIN_ID": fake.domain_id, "HUAWEI_REQUEST_BUDGET": BUDGET}

    return Side(name="huawei", display="Huawei Cloud", fake=fake, env=env,
                new_request=lambda n: fake.add_request(title=f"case {n}"), write=write,
                authors=("Li Wei", "Zhang Min"), role="Huawei engineer", edits_follow=False)


def jitsudo() -> Side:
    fake = FakeJITSudo()
    def env() -> dict[str, str]:
        return {"JITSUDO_BASE_URL": fake.base_url, "JITSUDO_API_KEY": fake.api_key,
                "JITSUDO_TENANT_ID": fake.tenant_id, "JITSUDO_REQUEST_BUDGET": BUDGET}

    return Side(name="jitsudo", display="JITSudo", fake=fake, env=env,
                new_request=lambda n: fake.add_request(),
                write=lambda rid, author, text: str(fake.add_message(rid, author=author, role="approver",
                                                                     content=text)["id"]),
                authors=("approver@example.com", "lead@example.com"), role="approver", edits_follow=False)


SIDES: dict[str, Callable[[], Side]] = {"cloudforce-one": cloudforce_one, "huawei": huawei, "jitsudo": jitsudo}
