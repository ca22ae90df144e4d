"""`request-bridge serve` with SLACK_APP_TOKEN: Socket Mode, as a real process, against a fake Slack
that hands it envelopes over a WebSocket. No signing secret is needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.fakes.slack_socket import SocketModeServer
from tests.harness import wait_for
from tests.helpers import CHANNEL
from tests.test_cli import clean_env, free_port


def test_socket_mode_links_and_bridges_a_reply(tmp_path: Path) -> None:
    slack, cf = FakeSlack(), FakeCloudforceOne()
    socket = SocketModeServer(slack)
    with ServerThread(slack.app) as slack_server, ServerThread(cf.app) as cf_server:
        slack.bind(slack_server.url)
        cf.bind(cf_server.url)
        slack.add_user("U111", name="alice", display_name="Alice")
        port = free_port()
        env = clean_env(SLACK_BOT_TOKEN=slack.bot_token, SLACK_APP_TOKEN=slack.app_token,
                        SLACK_API_URL=slack.base_url, CLOUDFLARE_ACCOUNT_ID=cf.account_id,
                        CLOUDFLARE_API_TOKEN="cf-test-token", CLOUDFLARE_BASE_URL=cf.base_url, PORT=str(port),
                        HOST="127.0.0.1", POLL_INTERVAL_SECONDS="3600")
        assert "SLACK_SIGNING_SECRET" not in env
        process = subprocess.Popen([sys.executable, "-m", "request_bridge", "serve"], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: socket.connected or process.poll() is not None, timeout=30, what="the socket")
            assert process.poll() is None, process.communicate()
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            opened = [c for c in slack.calls if c["method"] == "apps.connections.open"]
            assert opened and opened[0]["headers"]["Authorization"] == f"Bearer {slack.app_token}"

            request_id = cf.add_request(summary="via Socket Mode")
            command = socket.send("slash_commands", {
                "command": "/request", "text": f"link {request_id}", "channel_id": CHANNEL, "user_id": "U111",
                "team_id": "T111", "response_url": slack.response_url("link"), "trigger_id": "1.2.x"},
                accepts_response_payload=True)
            wait_for(lambda: command in socket.acks, what="the command's ack")
            assert "Linking request" in socket.acks[command]["payload"]["text"]
            wait_for(lambda: slack.responses, timeout=15, what="the link answer")
            assert "Linked request" in slack.responses[-1][1]["text"]
            thread = next(m["ts"] for m in slack.channel_messages(CHANNEL) if request_id in m["text"])

            event = socket.send("events_api", {
                "token": "t", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
                "event_id": "EvSocket1", "event_time": 1,
                "event": events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="over ws")})
            wait_for(lambda: event in socket.acks, what="the event's ack")
            wait_for(lambda: [m["content"] for m in cf.messages(request_id)] == ["Alice (via Slack): over ws"],
                     timeout=15, what="the create")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        assert slack.app_token not in stderr and slack.bot_token not in stderr
    assert os.path.exists(tmp_path / "request-bridge.db")
