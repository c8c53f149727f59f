"""Benchmark: the simulated PBX with a panoramisk client, in one process (one core), sustains at least
5,000 AMI events per second and holds 3,000 concurrent calls."""

from __future__ import annotations

import pytest

from simulations.pbx import benchmark


@pytest.mark.slow
async def test_the_simulated_pbx_and_a_panoramisk_client_hold_3000_concurrent_calls():
    ready, listed = await benchmark.concurrent_calls(3000)
    assert ready == 3000
    assert listed == 6000  # each call is a Local pair, as CoreShowChannels reports it


@pytest.mark.slow
async def test_the_simulated_pbx_and_a_panoramisk_client_sustain_5000_events_per_second_on_one_core():
    events, window_s, cpu_s = await benchmark.throughput(seconds=2.0, rate_per_s=400.0, warmup_s=0.5)
    assert events / window_s >= 5000
    assert cpu_s / window_s <= 1.05  # one process, one thread: at most one core
