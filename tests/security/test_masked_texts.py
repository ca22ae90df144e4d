"""No secret in any text a person sees: what the bot sends to Slack is masked like its logs, at the one seam
every outgoing text passes (bot/slack/gateway.py, and the acknowledgements in request_bridge/server.py).

A provider whose 403 echoes the credential it was sent (`bad credentials: Authorization: Bearer <token>`),
percent-encoded and as HTTP Basic too, is met on a link and on a reply; the gateway itself is fed every
encoding of every secret, the database password of a PostgreSQL URL among them.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web

from bot.logs import Redactor
from bot.settings import load_settings
from bot.slack.gateway import SlackGateway, build_web_client
from bot.slack.shortcut_modals import BlockId, CallbackId
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL
from tests.interactions import send, text_value, use_shortcut, view_submission

MARKER = "s3kr1t"
CF_TOKEN = f"cfT-{MARKER}/8c6a+1e4b2d=="  # characters that percent-encoding changes
DB_PASSWORD = f"Rb@Pg%{MARKER}:/x"
DB_URL = f"postgresql://bridge:{quote(DB_PASSWORD, safe='')}@db.internal:5432/bridge"


def forms(secret: str, *, user: str | None = None) -> dict[str, str]:
    """Every encoding of a secret that a text may carry."""
    encoded = quote(secret, safe="")
    found = {"plain": secret, "percent-encoded": encoded, "JSON-escaped": json.dumps(secret)[1:-1],
             "percent-encoded, hex in mixed case": encoded.replace("%2F", "%2f").replace("%2B", "%2b"),
             "percent-encoded, every character": "".join(f"%{b:02X}" for b in secret.encode())}
    if user is not None:
        pair = f"{user}:{secret}".encode()
        found |= {"base64 user:password": base64.b64encode(pair).decode(),
                  "base64url user:password, unpadded": base64.urlsafe_b64encode(pair).decode().rstrip("=")}
    return found


def leaked(text: str) -> list[str]:
    secrets = {**{f"token {k}": v for k, v in forms(CF_TOKEN).items()},
               **{f"db password {k}": v for k, v in forms(DB_PASSWORD, user="bridge").items()}}
    return [name for name, value in secrets.items() if value in text] or ([MARKER] if MARKER in text else [])


def echoing_provider() -> web.Application:
    """A Cloudforce One that refuses every call with a 403 quoting the credentials it was sent."""
    async def refuse(request: web.Request) -> web.Response:
        sent = request.headers.get("Authorization", "")
        token = sent.removeprefix("Bearer ")
        detail = (f"bad credentials: Authorization: {sent}; token={quote(token, safe='')}; "
                  f"basic={base64.b64encode(f'bridge:{token}'.encode()).decode()}")
        return web.json_response({"success": False, "errors": [{"code": 10000, "message": detail}], "messages": [],
                                  "result": None}, status=403)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    return app


@pytest.fixture
def refused_bot(slack: FakeSlack, tmp_path: Path) -> Iterator[RunningBot]:
    with ServerThread(echoing_provider()) as provider:
        bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"), cf_url=provider.url,
                                      db_path=tmp_path / "bridge.db", cloudflare_api_token=CF_TOKEN))
        yield bot
        bot.stop()


def test_a_provider_error_echoing_the_token_is_masked_on_link_and_on_reply(refused_bot: RunningBot,
                                                                           slack: FakeSlack) -> None:
    bot = refused_bot
    request_id = "8b2c4f6a-1d3e-4a5b-9c7d-0e1f2a3b4c5d"
    assert bot.command(f"link {request_id}", response_url=slack.response_url("link")).status_code == 200
    answer = wait_for(lambda: [b["text"] for n, b in slack.responses if n == "link"], what="the link's answer")[-1]
    assert "refused the bot's credentials" in answer and "***" in answer
    assert leaked(answer) == [], answer

    # A linked thread whose reply the provider refuses the same way: its author is told, masked.
    store = bot.service.store
    link = bot.run(store.links.create(provider="cloudforce-one", request_id=request_id, channel_id=CHANNEL,
                                     created_by="U111", title=None, request_status=None))
    bot.run(store.links.activate(link.id, "1800000000.000100"))
    bot.post_event(events.reply(channel=CHANNEL, thread_ts="1800000000.000100", ts="1800000000.000200",
                                text="hello"), event_id="EvReply")
    bot.drain()
    told = wait_for(lambda: [e["text"] for e in slack.ephemerals if "credentials" in e["text"]], what="the refusal")
    assert "***" in told[-1] and leaked(told[-1]) == [], told
    everything = json.dumps([c["params"] for c in slack.calls]) + json.dumps(slack.responses)
    assert leaked(everything) == []


@pytest.mark.parametrize("method", ["post", "update", "ephemeral", "respond", "open_view", "publish_home"])
def test_every_encoding_of_every_secret_is_masked_at_the_gateway(slack: FakeSlack, method: str) -> None:
    settings = load_settings(for_serve=False, _env_file=None, cloudflare_api_token=CF_TOKEN, database_url=DB_URL)
    gateway = SlackGateway(build_web_client(token="xoxb-test-token", base_url=slack.base_url, timeout=5),
                           redactor=Redactor(settings.secrets()))
    texts = [f"{name}: {value}" for secret, user in ((CF_TOKEN, None), (DB_PASSWORD, "bridge"))
             for name, value in forms(secret, user=user).items()]
    text = "\n".join(texts + [f"the whole URL: {DB_URL}", "a Slack token: xoxb-1234-5678-abcdef"])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    view = {"type": "modal" if method == "open_view" else "home", "callback_id": "x", "blocks": blocks,
            "title": {"type": "plain_text", "text": "x"}, "private_metadata": text}

    async def send() -> None:
        if method == "post":
            await gateway.post(channel=CHANNEL, text=text, blocks=blocks)
        elif method == "update":
            ts = await gateway.post(channel=CHANNEL, text="first")
            await gateway.update(channel=CHANNEL, ts=ts, text=text, blocks=blocks)
        elif method == "ephemeral":
            assert await gateway.ephemeral(channel=CHANNEL, user="U111", text=text)
        elif method == "respond":
            assert await gateway.respond(response_url=slack.response_url("masked"), text=text)
        elif method == "open_view":
            await gateway.open_view(trigger_id=slack.issue_trigger("U111"), view=view)
        else:
            await gateway.publish_home(user="U111", view=view)

    asyncio.run(send())
    sent = json.dumps([c["params"] for c in slack.calls]) + json.dumps(slack.responses)
    assert "the whole URL" in sent or "the whole URL" in json.dumps(slack.opened_views(), default=str)
    assert leaked(sent) == [], sent
    assert "xoxb-1234" not in sent


def test_acknowledgements_are_masked_too(refused_bot: RunningBot, slack: FakeSlack) -> None:
    """An ack's text and a modal's field errors leave through Bolt's answer, not the gateway: a secret pasted
    where an id belongs comes back masked in both."""
    bot = refused_bot
    for pasted in (CF_TOKEN, quote(CF_TOKEN, safe="")):
        ack = bot.command(f"link {pasted}", response_url=slack.response_url("pasted"))
        assert ack.status_code == 200 and "***" in ack.text and leaked(ack.text) == [], ack.text
    root = slack.post_user_message(CHANNEL, "a thread", user="U111")
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    answer = send(bot, view_submission(opened, values={BlockId.REQUEST_ID: {"request_id": text_value(CF_TOKEN)}}))
    assert answer.status_code == 200 and "errors" in answer.json(), answer.text
    assert "***" in answer.text and leaked(answer.text) == [], answer.text
