"""A reader loop that awaits with a deadline stops when cancelled, whenever the cancel arrives.

``asyncio.wait_for`` on Python 3.11 hands the cancelled task the result when the awaited thing finished in
the same loop turn as the cancel; a loop reading a websocket (heartbeats keep coming) then never stops.
That hung CI for 300 s in the presence test; ``dialer.aio.wait_within`` must not.
"""

from __future__ import annotations

import asyncio

import pytest

from dialer.aio import wait_within


@pytest.mark.parametrize("turns_after_the_message", range(5))
async def test_a_reader_cancelled_as_its_message_arrives_stops(turns_after_the_message: int) -> None:
    inbox: asyncio.Queue[int] = asyncio.Queue()
    read: list[int] = []

    async def reader() -> None:
        while True:
            read.append(await wait_within(inbox.get(), 120))

    task = asyncio.create_task(reader())
    for _ in range(3):
        await asyncio.sleep(0)
    inbox.put_nowait(1)
    for _ in range(turns_after_the_message):
        await asyncio.sleep(0)
    task.cancel()
    inbox.put_nowait(2)            # the next heartbeat, already on its way
    await asyncio.sleep(0.05)
    assert task.done() and task.cancelled(), "the cancel was swallowed: the reader reads on"
    assert read in ([], [1])


async def test_past_its_deadline_it_raises_timeout_and_returns_the_result_within_it() -> None:
    with pytest.raises(TimeoutError):
        await wait_within(asyncio.sleep(1), 0.01)
    assert await wait_within(asyncio.sleep(0, result="done"), 1) == "done"
    assert await wait_within(asyncio.sleep(0, result="no deadline"), None) == "no deadline"
