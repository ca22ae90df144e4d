"""Background work yields to Slack's acks, but never waits on them for longer than max_wait."""

from __future__ import annotations

import asyncio

from bot.bridge.ack_priority import AckPriority


async def _let_others_run() -> None:
    for _ in range(5):
        await asyncio.sleep(0)  # a turn of the event loop, not a timed wait


def test_background_waits_until_the_last_ack_is_answered() -> None:
    async def scenario() -> list[str]:
        acks = AckPriority(max_wait=60.0)
        order: list[str] = []

        async def background() -> None:
            await acks.yield_to_acks()
            order.append("background")

        with acks.acking():
            task = asyncio.create_task(background())
            with acks.acking():
                await _let_others_run()
                order.append("ack 2")
            await _let_others_run()
            assert not task.done()  # one ack still in flight
            order.append("ack 1")
        await task
        return order

    assert asyncio.run(scenario()) == ["ack 2", "ack 1", "background"]


def test_background_goes_on_after_max_wait_while_an_ack_is_still_in_flight() -> None:
    async def scenario() -> int:
        acks = AckPriority(max_wait=0.05)
        with acks.acking():
            # Returns by itself: the ack below is never answered while it waits.
            await asyncio.wait_for(acks.yield_to_acks(), timeout=30)
            return acks.in_flight

    assert asyncio.run(scenario()) == 1


def test_no_wait_without_acks_in_flight() -> None:
    async def scenario() -> bool:
        acks = AckPriority(max_wait=60.0)
        task = asyncio.create_task(acks.yield_to_acks())
        await _let_others_run()
        return task.done()

    assert asyncio.run(scenario())
