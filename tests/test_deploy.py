"""The Dockerfile, read as the builder reads it (no Docker daemon needed): slim base, non-root user, a
HEALTHCHECK, and every package of the project (sandbox too, which `request-bridge demo` needs) in
the image, importable with the runtime dependencies alone."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent
# Installed only with `.[dev]`: the image must run without them.
DEV_ONLY = ("pytest", "hypothesis", "jsonschema", "yaml", "huaweicloudsdkcore", "ruff", "mypy")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    pairs = []
    for line in logical.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_the_image_is_slim_runs_as_a_non_root_user_and_has_a_healthcheck() -> None:
    steps = instructions()
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", next(args for kw, args in steps if kw == "FROM"))
    users = [args for kw, args in steps if kw == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users
    checks = [args for kw, args in steps if kw == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0] and "CMD" in checks[0]
    assert [args for kw, args in steps if kw == "CMD"][-1] == '["request-bridge", "serve"]'
    # The user exists before it is switched to, and owns the data volume.
    run = " ".join(args for kw, args in steps if kw == "RUN")
    assert f"--uid {user}" in run and "chown app:app /data" in run


def test_every_package_is_copied_into_the_image_and_not_ignored() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=str(ROOT), include=include)
    assert {"bot", "bot.providers", "request_bridge", "sandbox", "handlers"} <= set(packages)
    copied = {src.rstrip("/") for kw, args in instructions() if kw == "COPY" for src in args.split()[:-1]}
    allowed = [line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    for top in {p.split(".")[0] for p in packages} | {"pyproject.toml", "README.md"}:
        assert top in copied, f"{top} is not copied into the image"
        assert any(fnmatch.fnmatch(top, pattern) for pattern in allowed), f".dockerignore drops {top}"


def test_serve_doctor_and_demo_import_without_dev_dependencies() -> None:
    # What `pip install .` in the image provides: the runtime dependencies only.
    script = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {DEV_ONLY!r}:
            raise ImportError("dev-only dependency imported at run time: " + name)
sys.meta_path.insert(0, Block())
import request_bridge.cli, request_bridge.server, bot.ops.doctor, request_bridge.demo, bot.metrics, handlers
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
