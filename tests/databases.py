"""Databases for tests: a SQLite file, or a fresh database on the PostgreSQL server named by
TEST_DATABASE_URL (an admin URL, e.g. postgresql://bridge:bridge@127.0.0.1:5432/postgres; .ci/run sets it)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
STORES = ["sqlite", "postgresql"] if ADMIN_URL else ["sqlite"]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards. Yields its postgresql:// URL."""
    name = f"bridge_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class PrivateServer:
    """A PostgreSQL cluster of this test's own, on a free loopback port, that the test may stop and start.
    (Never the shared server of TEST_DATABASE_URL: other tests use it.) Run as the `postgres` user."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self._bindir = bindir
        self._root = root
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _pg(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self._bindir / args[0]), *args[1:]], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg("pg_ctl", "-D", str(self._root / "data"), "-l", str(self._root / "server.log"), "-o", options,
                 "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self._root / "data"), "-m", mode, "-w", "stop")


def _postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found and shutil.which("runuser") else None


@contextmanager
def private_postgres(port: int) -> Iterator[PrivateServer]:
    """A fresh, running cluster of our own (skips the test where PostgreSQL's binaries or the postgres user are
    missing); stopped and removed afterwards."""
    bindir = _postgres_bindir()
    if bindir is None or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's server binaries (initdb, pg_ctl) and root to run them as postgres")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("needs a postgres user to run a private cluster")
    root = Path(tempfile.mkdtemp(prefix="bridge-pg-"))
    shutil.chown(root, "postgres")
    server = PrivateServer(bindir, root, port)
    try:
        server._pg("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmallDisk:
    """A 16 MB tmpfs: `fill` takes its last byte (writes there fail: "database or disk is full"), `free` gives
    it back."""

    path: Path

    def fill(self) -> None:
        with (self.path / "filler").open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    def free(self) -> None:
        (self.path / "filler").unlink()


@contextmanager
def small_disk() -> Iterator[SmallDisk]:
    """A filesystem that can be filled (skips the test where a tmpfs cannot be mounted: it needs root). Mounted
    outside pytest's temporary directories, which another pytest session may clean up meanwhile."""
    disk = Path(tempfile.mkdtemp(prefix="bridge-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        disk.rmdir()
        pytest.skip("needs to mount a small tmpfs (root) to fill a SQLite file's disk")
    try:
        yield SmallDisk(disk)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
        with contextlib.suppress(OSError):
            disk.rmdir()
