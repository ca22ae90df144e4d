"""Fault injection shared by the provider fakes: scripted faults (`fail_next`) and seeded random ones
(`set_fault_rate`). Each fake lists its operations and fault kinds, and turns a Fault into the response
its own API would give."""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web


@dataclass
class Fault:
    op: str
    kind: str
    remaining: int
    retry_after: int
    delay: float


class FaultInjection:
    """Mixin: call `_init_faults()` in `__init__`, and `_take_fault(op, call)` for every call served."""

    OPS: tuple[str, ...] = ()
    FAULT_KINDS: tuple[str, ...] = ()
    DEFAULT_RETRY_AFTER = 1

    def _init_faults(self) -> None:
        self._fault_lock = threading.Lock()
        self._faults: list[Fault] = []
        self._fault_count = 0
        self._fault_rate = 0.0
        self._fault_rng = random.Random(0)
        self._fault_kinds: tuple[str, ...] = ()
        self._fault_delay = 5.0
        # Called with the op's name once a call has been applied, before its answer is sent: the
        # fault-injection suite kills the bot there, between a create and its confirmation.
        self.after_applied: Callable[[str], None] | None = None

    def fail_next(self, op: str, kind: str, *, count: int = 1, retry_after: int | None = None,
                  delay: float = 5.0) -> None:
        """Make the next ``count`` calls of ``op`` (or ``"any"``) fail as ``kind``."""
        if op not in (*self.OPS, "any"):
            raise ValueError(f"unknown op {op!r}")
        if kind not in self.FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        wait = self.DEFAULT_RETRY_AFTER if retry_after is None else retry_after
        with self._fault_lock:
            self._faults.append(Fault(op, kind, count, wait, delay))

    def set_fault_rate(self, rate: float, *, seed: int, kinds: tuple[str, ...] | None = None,
                       delay: float = 5.0) -> None:
        """Fail each call with probability `rate`, choosing among `kinds`; 0 stops it. Retry-After is 1 s."""
        kinds = self.FAULT_KINDS if kinds is None else kinds
        if any(kind not in self.FAULT_KINDS for kind in kinds):
            raise ValueError(f"unknown fault kind in {kinds!r}")
        with self._fault_lock:
            self._fault_rate, self._fault_rng = rate, random.Random(seed)
            self._fault_kinds, self._fault_delay = kinds, delay

    def clear_faults(self) -> None:
        """Drop every fault not yet served and stop random ones (the outage is over)."""
        with self._fault_lock:
            self._faults.clear()
            self._fault_rate = 0.0

    def _applied(self, op: str, status: int) -> None:
        if self.after_applied is not None and status < 400:
            self.after_applied(op)

    @property
    def fault_count(self) -> int:
        """How many calls were answered by an injected fault."""
        with self._fault_lock:
            return self._fault_count

    def _take_fault(self, op: str, call: dict[str, Any]) -> Fault | None:
        """The fault for this call, if any; marks the recorded call as injected."""
        with self._fault_lock:
            found = next((f for f in self._faults if f.op in (op, "any")), None)
            if found is not None:
                found.remaining -= 1
                if found.remaining <= 0:
                    self._faults.remove(found)
            elif self._fault_rate and self._fault_rng.random() < self._fault_rate:
                found = Fault(op, self._fault_rng.choice(self._fault_kinds), 1, 1, self._fault_delay)
            if found is not None:
                self._fault_count += 1
                call["injected"] = found.kind
            return found


def reset_connection(request: web.Request) -> NoReturn:
    """The "reset" fault: RST the connection (SO_LINGER 0), so the client sees a connection error and no answer."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    raise web.HTTPInternalServerError()  # never written: the transport is gone
