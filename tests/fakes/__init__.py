"""Local fake servers for Slack's Web API and Cloudflare Cloudforce One, run in a thread by ServerThread."""

from __future__ import annotations

from tests.fakes.cloudforce_one import FakeCloudforceOne
from tests.fakes.server import ServerThread
from tests.fakes.slack import FakeSlack

__all__ = ["FakeCloudforceOne", "FakeSlack", "ServerThread"]
