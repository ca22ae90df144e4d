"""Work that runs after Slack got its answer (a modal's follow-up), kept until done and awaited on shutdown.

Bolt's lazy listeners run whatever the ack said; a follow-up here starts only when the ack accepted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None], *, what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work, what))
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception:  # the person is told in the work itself; a bug must still reach the log
            log.exception("background work failed", extra={"work": what})
