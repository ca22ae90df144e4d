"""`request-bridge demo` as a newcomer runs it: a process with no settings, printing both sides' transcripts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CLI = [sys.executable, "-m", "request_bridge"]


def test_demo_runs_the_conversation_both_ways_and_prints_both_transcripts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CLOUDFLARE_", "DATABASE_URL"))}
    started = time.monotonic()
    result = subprocess.run([*CLI, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert elapsed < 30, f"the demo took {elapsed:.1f} s"
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == [], "nothing left behind"
    out = result.stdout
    slack_part, _, request_part = out.partition("── Cloudforce One, request ")
    assert "── Slack, #demo: the thread (4 replies) ──" in slack_part
    thread = [line.strip() for line in slack_part.split("── Slack, #demo")[1].splitlines()[1:] if line.strip()]
    entries: list[str] = []  # one per message: its first line and its continuation lines
    for line in thread:
        if line.startswith("↳") or not entries:
            entries.append(line)
        else:
            entries[-1] += "\n" + line
    replies = entries[1:]
    # Slack side: the back-filled analyst message, Alice's reply (edited), Bob's, then the analyst's answer.
    assert len(replies) == 4, thread
    assert "analyst@cloudflare.com" in replies[0] and "Alice:" in replies[1] and "Bob:" in replies[2]
    assert "`login-example.io`" in replies[1] and "(edited)" in replies[1]
    assert "@Alice also" in replies[2]
    assert "analyst@cloudflare.com" in replies[3] and "AS64500" in replies[3]
    # Cloudforce One side: the same four messages, in the same order, the edit applied in place.
    request = [line.strip() for line in request_part.splitlines()[1:] if line.strip().startswith(tuple("0123456789"))]
    assert len(request) == 4, request_part
    assert "analyst@cloudflare.com: Thanks" in request[0]
    # Each Slack reply is attributed to its author (the exact prefix is the formatting's business).
    assert "Alice" in request[1] and "`login-example.io`" in request[1] and request[1].endswith("(edited)")
    assert "Bob" in request[2] and "@Alice also" in request[2]
    assert "AS64500" in request[3]
    assert sum("login-example.co" in line for line in request) == 1, "the edit updated, it did not duplicate"


def test_demo_help_explains_what_it_does(tmp_path: Path) -> None:
    result = subprocess.run([*CLI, "demo", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for expected in ("simulators", "no accounts", "Slack thread and the Cloudforce One request"):
        assert expected in text, text
