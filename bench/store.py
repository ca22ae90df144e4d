"""Mapping-store benchmark: lookups, inserts and the inbox at N mapped messages, against a 10k baseline.

    .venv/bin/python -m bench.store [--messages N] [--database sqlite|postgresql|both] [--admin-url URL]

For each engine, two fresh stores (temporary SQLite files, or new PostgreSQL databases that are dropped
afterwards), each with 1,000 active links: the baseline store gets 10,000 mapped messages, the main store
N. Their `messages` tables are bulk-loaded with SQLAlchemy Core executemany, 10,000 rows per transaction
(setup, timed separately). Then every operation is measured through `bot.store.database.Store`'s public methods on
both stores in alternating blocks, so machine noise hits baseline and N alike and the ratio N/baseline
shows how the store scales. With `--database both`, each engine runs in its own child process so its
peak RSS is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.models import EventState, LinkState, MessageState, Origin, SlackEvent
from bot.settings import Settings
from bot.store import schema
from bot.store.database import Store

DEFAULT_ADMIN_URL = "postgresql://bridge:bridge@127.0.0.1:5432/postgres"
BASELINE = 10_000
LINKS = 1_000
BATCH = 10_000
LOOKUPS = 5_000  # of each kind, per store
INSERTS = 2_000  # of each kind, per store
EVENTS = 2_000  # enqueued per store; all but PENDING_BACKLOG are then finished
PENDING_BACKLOG = 100
PENDING_CALLS = 200
ROUNDS = 10  # each measurement alternates baseline/N in this many blocks
WARMUP = 400
SEED = 20240601

_MASK128 = (1 << 128) - 1
_MULT = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd, so i -> i * _MULT mod 2**128 is a bijection

_TEXT = ("the request was escalated to the on-call analyst, who confirmed the indicator and attached "
         "a sample of the traffic from the affected range; please rotate credentials and reply here "
         "once the firewall rule is in place so we can close the ticket, thanks for the quick report")
_WORDS = _TEXT.split()


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# keys of bulk-loaded message i: deterministic, so lookups need no list of 1M keys in memory ---------------

def slack_ts_of(i: int) -> str:
    return f"{1_700_000_000 + i}.{(i * 7919) % 1_000_000:06d}"  # unique: the seconds part is


def provider_id_of(i: int) -> str:
    h = f"{(i * _MULT + 0x1234567) & _MASK128:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _content_pool(rng: random.Random, size: int = 4096) -> list[str]:
    pool = []
    for _ in range(size):
        target = rng.randint(85, 115)
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < target:
            words.append(rng.choice(_WORDS))
        pool.append(" ".join(words).capitalize() + ".")
    return pool


# measurements -------------------------------------------------------------------------------------------

@dataclass
class Stat:
    name: str
    n: int
    mean_us: float
    p99_us: float
    ops_s: float

    @classmethod
    def of(cls, name: str, latencies: list[float], wall: float) -> Stat:
        ordered = sorted(latencies)
        p99 = ordered[max(0, -(-99 * len(ordered) // 100) - 1)]  # nearest rank
        return cls(name, len(ordered), sum(ordered) / len(ordered) * 1e6, p99 * 1e6, len(ordered) / wall)


@dataclass
class Target:
    """One store under test, and what the measured operations need to know about it."""

    store: Store
    size: int
    link_ids: list[int]
    tag: int = 0  # keeps keys written by one round apart from the bulk keys and from other rounds'
    written: int = 0  # messages added by the insert measurements
    keys: list[int] = field(default_factory=list)
    pending: list[SlackEvent] = field(default_factory=list)


Op = Callable[[Target, int], Awaitable[Any]]


async def compare(name: str, count: int, op: Op, base: Target, main: Target, rounds: int) -> tuple[Stat, Stat]:
    """`count` calls of `op` on each target, in `rounds` alternating blocks (base first, then main first)."""
    latencies: dict[int, list[float]] = {id(base): [], id(main): []}
    wall = {id(base): 0.0, id(main): 0.0}
    bounds = [count * r // rounds for r in range(rounds + 1)]
    for r in range(rounds):
        for target in ((base, main) if r % 2 == 0 else (main, base)):
            lat = latencies[id(target)]
            start = time.perf_counter()
            for k in range(bounds[r], bounds[r + 1]):
                t0 = time.perf_counter()
                await op(target, k)
                lat.append(time.perf_counter() - t0)
            wall[id(target)] += time.perf_counter() - start
    return (Stat.of(name, latencies[id(base)], wall[id(base)]),
            Stat.of(name, latencies[id(main)], wall[id(main)]))


async def by_slack_ts(t: Target, k: int) -> None:
    i = t.keys[k]
    found = await t.store.messages.by_slack_ts(t.link_ids[i % len(t.link_ids)], slack_ts_of(i))
    assert found is not None, i


async def by_provider_id(t: Target, k: int) -> None:
    i = t.keys[-1 - k]
    found = await t.store.messages.by_provider_id(t.link_ids[i % len(t.link_ids)], provider_id_of(i))
    assert found is not None, i


async def insert_slack(t: Target, k: int) -> None:
    await t.store.messages.insert_slack(
        link_id=t.link_ids[(k * 7) % len(t.link_ids)], slack_ts=f"{1_800_000_000 + t.tag * 100_000 + k}.000001",
        slack_user="U00000042", content=f"Reply {k}: please rotate the credentials and confirm here once done.")
    t.written += 1


async def insert_provider(t: Target, k: int) -> None:
    await t.store.messages.insert_provider(
        link_id=t.link_ids[(k * 11) % len(t.link_ids)], provider_message_id=str(uuid.uuid4()),
        content=f"Analyst note {k}: the indicator is confirmed malicious; the block is in place.",
        author="analyst@example.com", author_role="analyst", provider_created=time.strftime("%Y-%m-%dT%H:%M:%SZ"))
    t.written += 1


async def enqueue(t: Target, k: int) -> None:
    stored = await t.store.events.enqueue(
        dedup_key=f"bench:{t.tag}:{k}:reply", event_id=f"Ev{t.tag}{k:08d}", link_id=t.link_ids[k % len(t.link_ids)],
        kind="reply", slack_ts=f"{1_900_000_000 + t.tag * 100_000 + k}.000001", user_id="U00000042",
        text=f"Reply {k} from the thread, waiting in the inbox until its link's worker applies it.")
    assert stored


async def finish(t: Target, k: int) -> None:
    await t.store.events.finish(t.pending[k].seq, state=EventState.DONE)


async def poll_inbox(t: Target, k: int) -> None:
    groups = await t.store.events.pending()
    assert sum(len(g) for g in groups.values()) == PENDING_BACKLOG


async def measure(base: Target, main: Target, rng: random.Random, *, tag: int, lookups: int, inserts: int,
                  events: int, pending_calls: int, rounds: int) -> list[tuple[Stat, Stat]]:
    """Every measured operation on both targets, through the store's public methods."""
    for t in (base, main):
        t.tag = tag
        t.keys = [rng.randrange(t.size) for _ in range(lookups)]
    out = [
        await compare("message_by_slack_ts", lookups, by_slack_ts, base, main, rounds),
        await compare("message_by_provider_id", lookups, by_provider_id, base, main, rounds),
        await compare("insert_slack_message", inserts, insert_slack, base, main, rounds),
        await compare("insert_provider_message", inserts, insert_provider, base, main, rounds),
        # Inbox: a burst of events, all but a small backlog finished, then polled as the inbox worker does.
        await compare("enqueue_event", events, enqueue, base, main, rounds),
    ]
    for t in (base, main):
        t.pending = [e for group in (await t.store.events.pending()).values() for e in group]
        assert len(t.pending) == events, len(t.pending)
    out.append(await compare("finish_event", events - PENDING_BACKLOG, finish, base, main, rounds))
    out.append(await compare(f"pending_events ({PENDING_BACKLOG} pending)", pending_calls, poll_inbox,
                             base, main, rounds))
    for t in (base, main):
        for leftover in t.pending[events - PENDING_BACKLOG:]:
            await t.store.events.finish(leftover.seq, state=EventState.DONE)
    return out


def _reset_peak_rss() -> bool:
    """Hand memory freed by the setup load back to the OS (glibc malloc_trim), then reset this process's
    peak RSS (VmHWM) to its current RSS (Linux: /proc/self/clear_refs)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _cpu_seconds() -> tuple[float, float, float]:
    """(whole machine busy, this process, PostgreSQL server processes), in CPU seconds so far."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # minus idle and iowait
    times = os.times()
    postgres = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        if comm.startswith("postgres"):
            postgres += int(rest[11]) + int(rest[12])  # utime, stime
    return busy / tick, times.user + times.system, postgres / tick


# fresh databases -------------------------------------------------------------------------------------------

def _store_url(database_url: str) -> str:
    # The store's own mapping from DATABASE_URL to its driver URL (no env or .env read).
    return Settings.model_construct(database_url=database_url).sqlalchemy_url


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class FreshDatabase:
    """A temporary SQLite file, or a PostgreSQL database created here and dropped on exit."""

    def __init__(self, engine: str, admin_url: str, label: str) -> None:
        self.engine = engine
        self.admin_url = admin_url
        self.label = label
        self.url = ""
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._pg_name = ""

    async def __aenter__(self) -> FreshDatabase:
        if self.engine == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix=f"bench_store_{self.label}_")
            self.url = f"sqlite:///{self._tmp.name}/bridge.db"
        else:
            self._pg_name = f"bridge_bench_{self.label}_{uuid.uuid4().hex[:12]}"
            await _admin(self.admin_url, f'CREATE DATABASE "{self._pg_name}"')
            self.url = self.admin_url.split("?", 1)[0].rsplit("/", 1)[0] + "/" + self._pg_name
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
        if self._pg_name:
            for attempt in range(10):  # e.g. the server is restarting: keep trying for a while
                try:
                    await _admin(self.admin_url, f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
                    return
                except (OSError, asyncpg.PostgresError) as exc:
                    if attempt == 9:
                        progress(f"could not drop database {self._pg_name}: {exc}")
                    await asyncio.sleep(2)

    async def size_bytes(self, loader: AsyncEngine) -> int:
        if self._tmp is not None:
            return sum(os.path.getsize(os.path.join(self._tmp.name, f)) for f in os.listdir(self._tmp.name))
        async with loader.connect() as conn:
            return int((await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one())


# bulk load (setup) ---------------------------------------------------------------------------------------

def _message_rows(start: int, stop: int, link_ids: list[int], pool: list[str]) -> Iterator[dict[str, Any]]:
    """Mapped messages start..stop: half Slack replies sent to the provider, half provider messages posted
    in Slack, 2% deleted since; each with its slack_ts and provider id (unique per link)."""
    now = time.time()
    for i in range(start, stop):
        slack_side = i % 2 == 0
        state = (MessageState.DELETED if i % 50 == 7 else
                 MessageState.SENT if slack_side else MessageState.POSTED)
        yield {
            "link_id": link_ids[i % len(link_ids)],
            "origin": Origin.SLACK if slack_side else Origin.PROVIDER,
            "state": state,
            "slack_ts": slack_ts_of(i),
            "provider_message_id": provider_id_of(i),
            "slack_user": f"U{i % 5000:08d}" if slack_side else None,
            "author": None if slack_side else f"analyst{i % 40}@example.com",
            "author_role": None if slack_side else "analyst",
            "content": pool[(i * 2654435761) % len(pool)],
            "provider_created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + i)),
            "slack_edited_ts": None,
            "attempts": 1 if slack_side else 0,
            "error": None,
            "created_at": now - (stop - i),
        }


async def _load_links(loader: AsyncEngine, rng: random.Random) -> list[int]:
    rows = [{
        "provider": ("cloudforce-one", "huawei", "jitsudo")[k % 3],
        "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "channel_id": f"C{k % 50:08d}",
        "thread_ts": f"{1_690_000_000 + k}.{k:06d}",
        "state": LinkState.ACTIVE,
        "title": f"Request {k}: suspicious traffic report",
        "request_status": "open",
        "created_by": f"U{k % 200:08d}",
        "created_at": time.time(),
        "poll_cursor": None,
        "polls": 0,
        "last_polled_at": None,
        "lease_owner": None,
        "lease_until": None,
    } for k in range(LINKS)]
    async with loader.begin() as conn:
        await conn.execute(schema.links.insert(), rows)
        ids = (await conn.execute(select(schema.links.c.id).order_by(schema.links.c.id))).scalars().all()
    return list(ids)


async def _bulk_load(loader: AsyncEngine, stop: int, link_ids: list[int], pool: list[str], deadline: float,
                     connections: int) -> int:
    """Insert messages 0..stop, BATCH rows per transaction (Core executemany), on `connections`
    connections at once. After `deadline` no new batch starts; returns how far it got (always a prefix)."""
    insert = schema.messages.insert()
    batches = iter(range(0, stop, BATCH))
    reached = 0

    async def worker() -> None:
        nonlocal reached
        for first in batches:  # shared iterator: each batch goes to exactly one worker, in order
            end = min(stop, first + BATCH)
            async with loader.begin() as conn:
                await conn.execute(insert, list(_message_rows(first, end, link_ids, pool)))
            reached = max(reached, end)
            if end % 200_000 == 0:
                progress(f"  loaded {end:,} messages")
            if time.perf_counter() > deadline:
                return

    await asyncio.gather(*(worker() for _ in range(connections)))
    # Every batch handed out has finished, and they were handed out in order: rows 0..reached exist.
    return reached


async def _lookup_plans(loader: AsyncEngine, link_id: int, i: int) -> dict[str, str]:
    """The query plan of each lookup: the statement bot/store/database.py builds, on the main store."""
    m = schema.messages
    statements = {
        "message_by_slack_ts": select(m).where(m.c.link_id == link_id, m.c.slack_ts == slack_ts_of(i)),
        "message_by_provider_id": select(m).where(m.c.link_id == link_id,
                                                  m.c.provider_message_id == provider_id_of(i)),
    }
    explain = "EXPLAIN QUERY PLAN " if loader.dialect.name == "sqlite" else "EXPLAIN "
    plans = {}
    async with loader.connect() as conn:
        for name, stmt in statements.items():
            sql = str(stmt.compile(dialect=loader.dialect, compile_kwargs={"literal_binds": True}))
            first = (await conn.exec_driver_sql(explain + sql)).first()
            assert first is not None
            plans[name] = re.sub(r"\s+\(cost=.*", "", str(first[-1]).strip())
    return plans


# one engine ---------------------------------------------------------------------------------------------

@dataclass
class EngineResult:
    engine: str
    requested: int
    loaded: int = 0
    load_seconds: float = 0.0
    load_note: str = ""
    baseline_size: int = 0
    baseline_load_seconds: float = 0.0
    stats: list[tuple[Stat, Stat]] = field(default_factory=list)
    db_bytes: int = 0
    plans: dict[str, str] = field(default_factory=dict)
    maxrss_mb: float = 0.0  # peak RSS of the process over everything, setup load included
    measure_rss_mb: float = 0.0  # peak RSS while the stores were measured (0: not available)
    cpu_self: float = 0.0  # % of one CPU during the timed measurement
    cpu_postgres: float = 0.0
    cpu_other: float = 0.0
    total_seconds: float = 0.0
    error: str = ""


def _sqlite_load_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The loader's connection only (the measured store keeps the project's own pragmas): a page cache
    # that holds the two unique indexes, and no fsync, roughly halve the 1M-row load.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


async def _prepare(db: FreshDatabase, size: int, rng: random.Random, pool: list[str],
                   budget: float) -> tuple[Target, AsyncEngine, float]:
    url = _store_url(db.url)
    store = await Store.open(url)  # creates the schema through the project's own migrations
    # A separate async engine for the setup load only (aiosqlite, a dev dependency, for SQLite).
    loader = create_async_engine(url.replace("sqlite+pysqlite:", "sqlite+aiosqlite:"))
    if db.engine == "sqlite":
        event.listen(loader.sync_engine, "connect", _sqlite_load_pragmas)
    link_ids = await _load_links(loader, rng)
    # PostgreSQL: two loader connections keep the server busy while Python builds the next batch.
    # SQLite has one writer, so a second connection would only wait for the lock.
    connections = 2 if db.engine == "postgresql" else 1
    t0 = time.perf_counter()
    loaded = await _bulk_load(loader, size, link_ids, pool, t0 + budget, connections)
    seconds = time.perf_counter() - t0
    if db.engine == "postgresql":
        async with loader.begin() as conn:  # what autovacuum does after a bulk load in production
            await conn.execute(text("ANALYZE links, messages"))
    return Target(store=store, size=loaded, link_ids=link_ids), loader, seconds


async def run_engine(engine: str, requested: int, admin_url: str, load_budget: float) -> EngineResult:
    result = EngineResult(engine=engine, requested=requested, baseline_size=min(BASELINE, requested))
    setup_peak_kib = 0
    started = time.perf_counter()
    rng = random.Random(SEED)
    pool = _content_pool(rng)
    async with FreshDatabase(engine, admin_url, "base") as base_db, \
            FreshDatabase(engine, admin_url, "main") as main_db:
        progress(f"[{engine}] loading {result.baseline_size:,} messages into the baseline store")
        base, base_loader, result.baseline_load_seconds = await _prepare(
            base_db, result.baseline_size, rng, pool, float("inf"))
        progress(f"[{engine}] loading {requested:,} messages into the main store")
        main, main_loader, result.load_seconds = await _prepare(main_db, requested, rng, pool, load_budget)
        try:
            result.loaded = main.size
            if main.size < requested:
                result.load_note = (f"the {load_budget:.0f} s load budget ran out: stopped at {main.size:,} of "
                                    f"{requested:,} messages ({requested:,} does not fit)")
            result.plans = await _lookup_plans(main_loader, main.link_ids[-1], main.size - 1)
            for loader in (base_loader, main_loader):
                await loader.dispose()  # frees the loader's connections (and SQLite's 256 MiB load cache)
            setup_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss_reset = _reset_peak_rss()  # this resets ru_maxrss too, hence setup_peak_kib
            progress(f"[{engine}] warming up both stores (untimed)")
            # First-use costs (connections, statement caches) land here, not in either measurement.
            await measure(base, main, rng, tag=0, lookups=WARMUP, inserts=WARMUP // 4, events=WARMUP,
                          pending_calls=WARMUP // 20, rounds=2)
            progress(f"[{engine}] measuring {base.size:,} vs {main.size:,} messages, alternating")
            cpu_before, wall_before = _cpu_seconds(), time.perf_counter()
            result.stats = await measure(base, main, rng, tag=1, lookups=LOOKUPS, inserts=INSERTS, events=EVENTS,
                                         pending_calls=PENDING_CALLS, rounds=ROUNDS)
            wall = time.perf_counter() - wall_before
            cpu_after = _cpu_seconds()
            busy, own, pg = (100 * (cpu_after[k] - cpu_before[k]) / wall for k in range(3))
            result.cpu_self, result.cpu_postgres, result.cpu_other = own, pg, max(0.0, busy - own - pg)
            if rss_reset:
                result.measure_rss_mb = _peak_rss_kib() / 1024
            for target in (base, main):
                assert await target.store.messages.count() == target.size + target.written
            result.db_bytes = await main_db.size_bytes(main_loader)
        finally:
            for target, loader in ((base, base_loader), (main, main_loader)):
                await loader.dispose()
                await target.store.close()
    result.maxrss_mb = max(setup_peak_kib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
    result.total_seconds = time.perf_counter() - started
    return result


# report -------------------------------------------------------------------------------------------------

def _short(n: int) -> str:
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{suffix}"
    return f"{n:,}"


def report(r: EngineResult) -> None:
    if r.error:
        print(f"\n== {r.engine}: not measured: {r.error}")
        return
    b, n = r.baseline_size, r.loaded
    print(f"\n== {r.engine}: {n:,} mapped messages on {LINKS:,} links vs a {b:,}-message baseline store; "
          f"setup load {r.load_seconds:.1f} s ({n / r.load_seconds:,.0f} rows/s), "
          f"database {r.db_bytes / 2**20:,.0f} MiB")
    if r.load_note:
        print(f"   NOTE: {r.load_note}")
    at_b, at_n = f"@{_short(b)}", f"@{_short(n)}"
    head = (f"{'operation':<30}{'ops':>6} |{'mean us':>9}{'p99 us':>9}{'ops/s':>8} {at_b:<6}"
            f"|{'mean us':>9}{'p99 us':>9}{'ops/s':>8} {at_n:<6}| ratio mean  p99")
    print(head)
    print("-" * len(head))
    for s_b, s_n in r.stats:
        print(f"{s_n.name:<30}{s_n.n:>6} |{s_b.mean_us:>9.0f}{s_b.p99_us:>9.0f}{s_b.ops_s:>8,.0f} {'':<6}"
              f"|{s_n.mean_us:>9.0f}{s_n.p99_us:>9.0f}{s_n.ops_s:>8,.0f} {'':<6}"
              f"| {s_n.mean_us / s_b.mean_us:>9.2f}x {s_n.p99_us / s_b.p99_us:>4.2f}x")
    for name, plan in r.plans.items():
        print(f"plan of {name} {at_n}: {plan}")
    print(f"CPU during the measurement (% of one CPU): this process {r.cpu_self:.0f}%, PostgreSQL server "
          f"{r.cpu_postgres:.0f}%, other processes {r.cpu_other:.0f}%"
          + ("  NOTE: other processes used over 20%: these figures are disturbed" if r.cpu_other > 20 else ""))
    stats = {s_n.name: (s_b, s_n) for s_b, s_n in r.stats}
    (ts_b, ts), (pid_b, pid) = stats["message_by_slack_ts"], stats["message_by_provider_id"]
    ins_b, ins = stats["insert_slack_message"]
    enq = stats["enqueue_event"][1]
    rss = (f"{r.measure_rss_mb:,.0f} MiB while measuring ({r.maxrss_mb:,.0f} MiB incl. the setup load)"
           if r.measure_rss_mb else f"{r.maxrss_mb:,.0f} MiB incl. the setup load")
    print(f"SUMMARY {r.engine}: {n:,} messages (loaded in {r.load_seconds:.1f} s); lookup by slack_ts "
          f"{ts.mean_us:,.0f} us mean / {ts.p99_us:,.0f} us p99 = {ts.mean_us / ts_b.mean_us:.2f}x the {_short(b)} "
          f"baseline, by provider id {pid.mean_us:,.0f} / {pid.p99_us:,.0f} us = {pid.mean_us / pid_b.mean_us:.2f}x; "
          f"insert_slack_message {ins.ops_s:,.0f}/s ({ins.mean_us / ins_b.mean_us:.2f}x); "
          f"enqueue_event {enq.ops_s:,.0f}/s; peak RSS {rss}; {r.total_seconds:.0f} s")


def _to_json(r: EngineResult) -> str:
    data = dict(r.__dict__)
    data["stats"] = [[s_b.__dict__, s_n.__dict__] for s_b, s_n in r.stats]
    return json.dumps(data)


def _from_json(raw: str) -> EngineResult:
    data = json.loads(raw)
    data["stats"] = [(Stat(**s_b), Stat(**s_n)) for s_b, s_n in data["stats"]]
    return EngineResult(**data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="mapped messages to load (default 1000000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--admin-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_ADMIN_URL,
                        help="PostgreSQL URL of a role that may CREATE DATABASE "
                             "(default: TEST_DATABASE_URL, else %(default)s)")
    parser.add_argument("--load-budget", type=float, default=180.0,
                        help="seconds the setup load may take per engine; it stops at the size reached (default 180)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child process's output
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be at least 1")

    started = time.perf_counter()
    engines = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if not args.json:
        print(f"bench.store: {args.messages:,} mapped messages on {LINKS:,} links vs a "
              f"{min(BASELINE, args.messages):,}-message baseline; per store {LOOKUPS:,} lookups of each kind, "
              f"{INSERTS:,} inserts of each kind, {EVENTS:,} inbox events, {PENDING_CALLS} inbox polls, "
              f"in {ROUNDS} alternating blocks; python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    failed = False
    for engine in engines:
        if len(engines) == 1:
            try:
                result = asyncio.run(run_engine(engine, args.messages, args.admin_url, args.load_budget))
            except (OSError, asyncpg.PostgresError) as exc:
                result = EngineResult(engine=engine, requested=args.messages, error=f"{type(exc).__name__}: {exc}")
        else:  # one child process per engine, so each engine's peak RSS is its own
            child = subprocess.run(
                [sys.executable, "-m", "bench.store", "--messages", str(args.messages), "--database", engine,
                 "--admin-url", args.admin_url, "--load-budget", str(args.load_budget), "--json"],
                stdout=subprocess.PIPE, text=True, check=False)
            lines = child.stdout.strip().splitlines()
            if not lines:
                result = EngineResult(engine=engine, requested=args.messages,
                                      error=f"child process exited with {child.returncode}")
            else:
                result = _from_json(lines[-1])
        failed = failed or bool(result.error)
        if args.json:
            print(_to_json(result), flush=True)
        else:
            report(result)
    if not args.json:
        print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
