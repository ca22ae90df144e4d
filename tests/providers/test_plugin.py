"""A provider is a plug-in: one package, registered in one place. A fourth provider, registered by this test
alone, is configured, documented, budgeted and bridged end to end without a line of bot/ changing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.providers import registry
from bot.settings import load_settings, secret_settings
from request_bridge.cli import environment_help
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.e2e.test_providers import NO_CLOUDFLARE
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, thread_texts
from tests.providers.ticket_desk import Desk, TicketDesk, plugin


@pytest.fixture
def desk() -> Iterator[Desk]:
    desk = Desk()
    registry.register(plugin(desk))
    yield desk
    registry.unregister(TicketDesk.name)


def test_its_settings_secrets_budget_and_help_come_from_the_plug_in(desk: Desk) -> None:
    settings = load_settings(_env_file=None, slack_bot_token="xoxb-t", slack_signing_secret="s", **NO_CLOUDFLARE,
                             ticket_desk_token="td-secret", ticket_desk_request_budget="50/10")
    assert settings.missing_for_serve() == []
    assert "td-secret" in settings.secrets()
    assert "TICKET_DESK_TOKEN" in secret_settings()  # may be given as TICKET_DESK_TOKEN_FILE
    assert settings.request_budgets()[TicketDesk.name].requests == 50
    assert "TICKET_DESK_TOKEN" in environment_help()
    with pytest.raises(ConfigError, match="TICKET_DESK_REQUEST_BUDGET"):
        load_settings(_env_file=None, ticket_desk_request_budget="lots", for_serve=False)


def test_without_it_registered_nothing_knows_it() -> None:
    assert registry.plugin(TicketDesk.name) is None
    assert "TICKET_DESK" not in environment_help()
    with pytest.raises(ConfigError, match="a provider's settings"):
        load_settings(_env_file=None, slack_bot_token="xoxb-t", slack_signing_secret="s", **NO_CLOUDFLARE,
                      ticket_desk_token="td-secret")


def test_a_thread_is_bridged_to_it_both_ways(desk: Desk, slack: FakeSlack, cf: FakeCloudforceOne,
                                             db_path: Path) -> None:
    desk.open("TD-7")
    desk.write("TD-7", "Grace", "before the link")
    bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path,
                                  **NO_CLOUDFLARE, ticket_desk_token="td-secret"))
    try:
        assert list(bot.service.providers) == [TicketDesk.name]
        helped = bot.command("help", response_url=slack.response_url("help"))
        assert "`ticket-desk`: Ticket Desk" in helped.json()["text"]

        bot.command("link td-7", response_url=slack.response_url("link"))
        wait_for(lambda: slack.responses, what="the link answer")
        assert "Linked request" in slack.responses[-1][1]["text"], slack.responses[-1]
        link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider=TicketDesk.name, request_id="TD-7"))
        assert link is not None and link.thread_ts
        assert thread_texts(slack, link.thread_ts)[0].endswith("before the link")

        bot.post_event(events.reply(channel=CHANNEL, thread_ts=link.thread_ts, ts="1800000000.000100",
                                    text="hello desk"), event_id="Ev1")
        wait_for(lambda: len(desk.tickets["TD-7"]) == 2, what="the reply on the ticket")
        assert desk.tickets["TD-7"][1].content == "Alice (via Slack): hello desk"

        desk.write("TD-7", "Grace", "answer from the desk")
        bot.poll()
        assert thread_texts(slack, link.thread_ts)[-1].endswith("answer from the desk")
    finally:
        bot.stop()
