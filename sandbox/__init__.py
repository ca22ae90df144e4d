"""A sandbox Slack and Cloudforce One on loopback: what `request-bridge demo` needs to try the bridge with no accounts.

Simulators of Slack's Web API and of Cloudforce One, served on loopback by ServerThread; the tests use the same
ones (their other fakes are in tests/fakes/). Imports nothing from bot/, handlers/ or request_bridge/.
"""

from __future__ import annotations

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread, serving
from sandbox.slack import FakeSlack

__all__ = ["FakeCloudforceOne", "FakeSlack", "ServerThread", "serving"]
