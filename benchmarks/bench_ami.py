"""Benchmark of the AMI adapter: parser + translation on recorded traffic, then end to end with the simulated PBX.

    .venv/bin/python benchmarks/bench_ami.py [--calls 3000] [--rounds 30] [--skip-e2e]

(a) The recordings (c1-c8, b, d1, d2, e), their ids renamed per round so every round brings new legs,
    go through ``AmiParser`` and ``Translator`` as one byte stream: AMI messages per second, alone and
    with translation; panoramisk 1.4's ``Message.from_line`` parses the same messages for comparison.
(b) ``AmiAdapter`` and ``SimulatedPbx`` in one process pinned to one core: ``--calls`` customers are
    originated (AMD on, ring 9 s, speed 10), held until all are answered and waiting at once, then
    hung up through the adapter; AMI events per second over the whole run and the peak of live legs.
Targets (issue 5): at least 5,000 AMI events/s on one core, and 3,000 concurrent calls.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dialer.aio import wait_within
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.ami.message import EOL, AmiParser, MessageKind
from dialer.ami.transcript import Direction, parse_transcript
from dialer.ami.translate import Translator
from dialer.clock import RealClock
from dialer.pbx_port import (
    CTX_CUSTOMER,
    VAR_AMD,
    CustomerReady,
    LegFailed,
    LegHungUp,
    LegKind,
    OriginateRequest,
    new_leg_id,
)

RECORDINGS = ROOT.parent / "shared" / "asterisk-ami"
CORPUS = ["b_originate_answered_full_events", "c1_originate_busy", "c2_originate_noanswer_timeout",
          "c3_originate_congestion", "c4_originate_reject_cause17", "c5_originate_reject_cause34",
          "c6_originate_answer_then_drop", "c7_originate_busy_failed_extension", "c8_concurrent_originates_mixed",
          "d1_bridge_action_agent_customer", "d2_redirect_into_agent_confbridge", "e_amd_results"]
_IDS = re.compile(r"^\s*[\d.]+ \[\w+\] >> (?:ActionID|ChannelId|OtherChannelId): (\S+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Round:
    wire: bytes                                        # what Asterisk sent, all connections, no banner
    legs: tuple[tuple[OriginateRequest, str, str], ...]  # (request, ActionID, OtherChannelId)


def _rounds(count: int) -> list[Round]:
    texts = [(RECORDINGS / f"{name}.txt").read_text() for name in CORPUS]
    out = []
    for index in range(count):
        wire: list[bytes] = []
        legs: list[tuple[OriginateRequest, str, str]] = []
        for text in texts:
            ids = sorted(set(_IDS.findall(text)), key=len, reverse=True)
            pattern = re.compile("|".join(re.escape(i) for i in ids)) if ids else None
            renamed = pattern.sub(r"\g<0>~" + str(index), text) if pattern else text
            transcript = parse_transcript(renamed)
            for item in transcript.messages(Direction.TO_ASTERISK):
                msg = item.parse()
                if msg.get("Action") == "Originate" and msg.get("ChannelId"):
                    request = OriginateRequest(leg_id=msg.get("ChannelId"), kind=LegKind.CUSTOMER,
                                               dial_string=msg.get("Channel"), context=msg.get("Context"),
                                               exten=msg.get("Exten"))
                    legs.append((request, msg.get("ActionID"), msg.get("OtherChannelId")))
            for conn in transcript.connections():
                data = transcript.wire_bytes(conn)
                wire.append(data.split(b"\r\n", 1)[1] if data.startswith(b"Asterisk Call Manager/") else data)
        out.append(Round(b"".join(wire), tuple(legs)))
    return out


def bench_parse_translate(rounds: int) -> dict[str, float]:
    """(a): messages/s through the parser alone, parser + translation, and panoramisk's parser."""
    data = _rounds(rounds)
    stream = b"Asterisk Call Manager/11.0.0\r\n" + b"".join(r.wire for r in data)
    chunks = [stream[i:i + 65536] for i in range(0, len(stream), 65536)]

    start = time.perf_counter()
    parser = AmiParser()
    count = sum(len(parser.feed(chunk)) for chunk in chunks)
    parse_s = time.perf_counter() - start

    translator = Translator("bench")
    domain = events = 0
    start = time.perf_counter()
    for r in data:
        for request, action_id, other in r.legs:
            if not translator.is_active(request.leg_id):
                translator.expect(request, action_id, other)
        parser = AmiParser()
        parser.feed(b"Asterisk Call Manager/11.0.0\r\n")
        for at in range(0, len(r.wire), 65536):
            for msg in parser.feed(r.wire[at:at + 65536]):
                if msg.kind is MessageKind.EVENT:
                    events += 1
                    domain += len(translator.feed(msg, 0.0))
    both_s = time.perf_counter() - start

    from panoramisk.message import Message  # the client's library, for comparison only
    texts = stream.decode().split(EOL + EOL)
    start = time.perf_counter()
    for text in texts:
        Message.from_line(text)
    pano_s = time.perf_counter() - start
    return {"messages": count, "parse_per_s": count / parse_s, "events": events, "domain_events": domain,
            "parse_translate_events_per_s": events / both_s, "panoramisk_parse_per_s": len(texts) / pano_s}


async def bench_end_to_end(calls: int) -> dict[str, float]:
    """(b): the adapter and the simulated PBX in one process, ``calls`` customers up at once."""
    from simulations.pbx import PbxConfig, SimulatedPbx
    pbx = SimulatedPbx(PbxConfig(seed=1, speed=10.0, hold_limit_s=10_000.0))
    await pbx.start()
    config = AmiServerConfig("bench", "127.0.0.1", pbx.port, "dialer", "dialer-secret", max_channels=calls,
                             action_timeout_s=30.0, ping_interval_s=5.0, ping_timeout_s=30.0)
    ready: set[str] = set()
    ended: set[str] = set()
    all_ready, all_ended = asyncio.Event(), asyncio.Event()
    peak_legs = peak_channels = 0
    async with AmiAdapter([config], clock=RealClock()) as ami:
        async def consume() -> None:
            async for event in ami.events():
                if isinstance(event, CustomerReady):
                    ready.add(event.leg_id)
                    if len(ready) == calls:
                        all_ready.set()
                elif isinstance(event, (LegFailed, LegHungUp)):
                    ended.add(event.leg_id)
                    if len(ended) == calls:
                        all_ended.set()
        consumer = asyncio.create_task(consume())
        received0 = ami.statistics()[0].messages_received
        sent0 = pbx.events_sent
        start, cpu0 = time.perf_counter(), time.process_time()
        requests = [OriginateRequest(leg_id=new_leg_id(), kind=LegKind.CUSTOMER,
                                     dial_string="Local/1999@sim-customer", context=CTX_CUSTOMER, exten="s",
                                     timeout_s=60.0, variables={VAR_AMD: "1"}) for _ in range(calls)]
        for batch in range(0, calls, 200):
            await asyncio.gather(*(ami.originate(r) for r in requests[batch:batch + 200]))
        originated_s = time.perf_counter() - start
        await wait_within(all_ready.wait(), 120)
        peak_legs = ami.statistics()[0].active_legs
        peak_channels = pbx.statistics().channels
        up_s = time.perf_counter() - start
        for batch in range(0, calls, 200):
            await asyncio.gather(*(ami.hangup(r.leg_id) for r in requests[batch:batch + 200]))
        await wait_within(all_ended.wait(), 120)
        total_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu0
        received = ami.statistics()[0].messages_received - received0
        consumer.cancel()
    sent = pbx.events_sent - sent0
    await pbx.stop()
    return {"calls": calls, "originate_s": originated_s, "all_up_s": up_s, "total_s": total_s,
            "peak_live_legs": peak_legs, "peak_pbx_channels": peak_channels, "ami_messages": received,
            "pbx_events_sent": sent, "ami_messages_per_s": received / total_s, "cpu_s": cpu_s,
            "ami_messages_per_cpu_s": received / cpu_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--skip-e2e", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    a = bench_parse_translate(args.rounds)
    print(f"(a) recordings x{args.rounds}: {a['messages']:,} AMI messages, {a['events']:,} events -> "
          f"{a['domain_events']:,} domain events")
    print(f"    parser alone:             {a['parse_per_s']:>10,.0f} messages/s")
    print(f"    parser + translation:     {a['parse_translate_events_per_s']:>10,.0f} events/s")
    print(f"    panoramisk 1.4 parser:    {a['panoramisk_parse_per_s']:>10,.0f} messages/s (comparison)")
    if args.skip_e2e:
        return
    b = asyncio.run(bench_end_to_end(args.calls))
    print(f"(b) adapter + simulated PBX, one process on one core, {b['calls']:,} calls:")
    print(f"    originated in {b['originate_s']:.2f} s; all answered and waiting at {b['all_up_s']:.2f} s; "
          f"all ended at {b['total_s']:.2f} s")
    print(f"    peak live legs {b['peak_live_legs']:,} (PBX channels {b['peak_pbx_channels']:,})")
    print(f"    {b['ami_messages']:,} AMI messages received ({b['pbx_events_sent']:,} events sent by the PBX)"
          f" -> {b['ami_messages_per_s']:,.0f} messages/s end to end")
    print(f"    CPU {b['cpu_s']:.2f} s for PBX + adapter together -> {b['ami_messages_per_cpu_s']:,.0f} messages "
          "per CPU second")


if __name__ == "__main__":
    main()
