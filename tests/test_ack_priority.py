"""Background work yields to Slack's acks, but never waits on them for longer than max_wait."""

from __future__ import annotations

import asyncio

from bot.ack_priority import AckPriority


def test_background_waits_until_the_last_ack_is_answered() -> None:
    async def scenario() -> list[str]:
        acks = AckPriority(max_wait=5.0)
        order: list[str] = []

        async def background() -> None:
            await acks.yield_to_acks()
            order.append("background")

        with acks.acking():
            task = asyncio.create_task(background())
            with acks.acking():
                await asyncio.sleep(0.01)
                order.append("ack 2")
            await asyncio.sleep(0.01)
            assert not task.done()  # one ack still in flight
            order.append("ack 1")
        await task
        return order

    assert asyncio.run(scenario()) == ["ack 2", "ack 1", "background"]


def test_background_goes_on_after_max_wait_under_a_steady_stream_of_acks() -> None:
    async def scenario() -> tuple[int, bool]:
        acks = AckPriority(max_wait=0.05)
        with acks.acking():
            background = asyncio.create_task(acks.yield_to_acks())
            await asyncio.sleep(0.5)
            return acks.in_flight, background.done()

    assert asyncio.run(scenario()) == (1, True)


def test_no_wait_without_acks_in_flight() -> None:
    async def scenario() -> bool:
        acks = AckPriority(max_wait=10.0)
        task = asyncio.create_task(acks.yield_to_acks())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return task.done()

    assert asyncio.run(scenario())
