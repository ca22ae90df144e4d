"""Local simulators of Slack's Web API and the providers' APIs, served on loopback by ServerThread.

The tests run the bridge against them, and `request-bridge demo` runs a whole conversation on them.
"""

from __future__ import annotations

from bot.simulators.cloudforce_one import FakeCloudforceOne
from bot.simulators.server import ServerThread, serving
from bot.simulators.slack import FakeSlack

__all__ = ["FakeCloudforceOne", "FakeSlack", "ServerThread", "serving"]
