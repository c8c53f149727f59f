"""SMS benchmark: render and count messages (``--part render``), one core, messages per second.

``render``: a realistic Vietnamese template (diacritics, so UCS-2, and its ``plain`` twin in GSM-7) and an
English one over generated leads (Vietnamese names, a plan column, a callback in the customer's zone):

* count only: ``sms.count_segments`` over the rendered messages (target: well above 100,000 msg/s);
* render + count: ``sms.context.message_context`` + ``sms.templates.render`` (the capped sandbox) +
  ``count_segments``, as a bulk send's estimate does for every recipient.

``bulk``: the bulk send's throughput against the simulated provider (``simulations.sms_bulk_run``, the code of
``tests/sms/test_bulk_exactly_once.py`` at 100,000 messages): faults on, a worker killed with SIGKILL half-way;
prints messages/s against the rate limit, duplicates in the provider's log (must be 0) and how long a STOP took.

Run: ``.venv/bin/python benchmarks/bench_sms.py [--part render] [--messages 1000000]``;
``.venv/bin/python benchmarks/bench_sms.py --part bulk [--bulk-messages 100000] [--rate 80] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms.context import message_context
from sms.plain import without_diacritics
from sms.segments import count_segments
from sms.templates import render

VIETNAMESE = ("Chào {{ lead.first_name }}, {{ campaign.name }} xin xác nhận lịch gọi lại lúc {{ callback.time }} "
              "ngày {{ callback.date }} để tư vấn gói {{ lead.plan }}. Nếu cần đổi giờ, vui lòng gọi 1900 1234. "
              "Trân trọng, {{ agent_name }}.")
ENGLISH = ("Hi {{ lead.first_name }}, this is {{ agent_name }} from {{ campaign.name }}. We will call you back at "
           "{{ callback.time }} on {{ callback.date }} about your {{ lead.plan }} plan. Reply STOP to opt out.")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Thanh", "Đức", "Hữu", "Quang", "")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hương", "Khánh", "Linh", "Long",
         "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Thảo", "Thư", "Trang", "Tuấn", "Uyên", "Việt", "Yến")
PLANS = ("Vàng", "Bạc", "Kim cương", "Tiết kiệm", "Gia đình")
AGENTS = ("Lan", "Hùng", "Phương", "Tâm")


def make_leads(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"id": i, "first_name": " ".join(p for p in (rng.choice(MIDDLE), rng.choice(GIVEN)) if p),
             "last_name": rng.choice(FAMILY), "phone_e164": f"+849{rng.randrange(10**8):08d}",
             "postal_code": "700000", "fields": {"plan": rng.choice(PLANS)}} for i in range(n)]


def rate(label: str, n: int, run: Callable[[], object]) -> float:
    """Messages per second of ``run``, by the wall clock and by this process's CPU time (the machine may be
    shared: the CPU figure is what one free core does)."""
    started, cpu = time.perf_counter(), time.process_time()
    run()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:<58} {n:>9,} msgs: {n / elapsed:>10,.0f} msg/s wall ({elapsed:5.1f} s), "
          f"{n / cpu:>10,.0f} msg/s CPU")
    return n / cpu


def bench_render(messages: int) -> None:
    leads = make_leads(min(messages, 50_000))
    base = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    contexts = [message_context(lead, agent_name=AGENTS[i % 4], campaign={"name": "Tết 2027"},
                                callback_at=base + timedelta(minutes=15 * (i % 96)), zone="Asia/Ho_Chi_Minh")
                for i, lead in enumerate(leads)]
    rendered = [render(VIETNAMESE if i % 2 else ENGLISH, ctx) for i, ctx in enumerate(contexts)]
    corpus = rendered + [without_diacritics(t) for t in rendered]          # UCS-2, GSM-7 and plain twins
    reps = -(-messages // len(corpus))
    texts = (corpus * reps)[:messages]
    by_kind: dict[str, int] = {}
    for text in corpus[::25]:
        c = count_segments(text)
        by_kind[f"{c.encoding} {c.parts} part(s)"] = by_kind.get(f"{c.encoding} {c.parts} part(s)", 0) + 1
    print(f"corpus: {len(corpus):,} distinct messages, e.g. {by_kind}")
    print(f"  vi: {rendered[1]!r}\n  en: {rendered[0]!r}")

    rate("count_segments (mixed vi/en/plain)", messages, lambda: [count_segments(t) for t in texts])
    vi = [t for t in corpus if count_segments(t).encoding == "UCS-2"]
    rate("count_segments (Vietnamese with diacritics, UCS-2)", messages,
         lambda: [count_segments(t) for t in (vi * -(-messages // len(vi)))[:messages]])
    rate("without_diacritics + count_segments (Vietnamese)", messages,
         lambda: [count_segments(without_diacritics(t)) for t in (vi * -(-messages // len(vi)))[:messages]])

    n_leads = len(contexts)

    def render_count() -> None:
        for i in range(messages):
            count_segments(render(VIETNAMESE if i & 1 else ENGLISH, contexts[i % n_leads]))

    def context_render_count() -> None:
        for i in range(messages):
            lead = leads[i % n_leads]
            ctx = message_context(lead, agent_name="Lan", campaign={"name": "Tết 2027"},
                                  callback_at=base, zone="Asia/Ho_Chi_Minh")
            count_segments(render(VIETNAMESE if i & 1 else ENGLISH, ctx, plain=bool(i & 2)))

    rate("render + count_segments", messages, render_count)
    rate("message_context + render (plain on half) + count_segments", messages, context_render_count)


def bench_bulk(args: argparse.Namespace) -> None:
    """Bulk throughput: ``simulations.sms_bulk_run.run_bulk`` (the CI test's code) at full size, on an embedded
    PostgreSQL and Valkey, with faults on and the first worker killed with SIGKILL half-way."""
    import asyncio
    import tempfile

    from dialer.runtime import open_services
    from dialer.settings import load_settings
    from simulations.sms_bulk_run import run_bulk

    async def go() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-sms-") as data:
            settings = load_settings(None, mode="development", data_dir=Path(data), database_url=None,
                                     redis_url=None, secret_key="bench-secret-key-0123456789")
            async with open_services(settings, bootstrap_admin=False, pool_size=4) as services:
                n = args.bulk_messages
                result = await run_bulk(services, messages=n, rate_per_s=args.rate, workers=args.workers,
                                        kill_after=n // 2, lease_s=30.0, deadline_s=4 * 3600,
                                        say=lambda text: print(f"  {text}", flush=True))
        print(f"messages {result.messages:,}: sendable {result.sendable:,}, accepted by the provider "
              f"{result.accepted:,}, duplicates {result.duplicates} (must be 0), to opted-out numbers "
              f"{result.to_opted_out}, in quiet hours {result.to_quiet}")
        print(f"statuses {result.statuses}; reasons {result.reasons}")
        print(f"throughput {result.messages_per_s:,.1f} msg/s over {result.send_s:,.0f} s (busiest 10 s: "
              f"{result.best_10s_per_s:,.1f} msg/s) at a rate limit of {result.rate_per_s:g} msg/s; "
              f"estimate {result.estimate_s:.1f} s, prepare {result.prepare_s:.1f} s; worker killed: "
              f"{result.killed_worker}")
        print(f"STOP mid-send: {result.mid_send_stops} replies, slowest {result.mid_send_stop_max_s:.2f} s to the "
              f"opt-out list, their messages refused {result.mid_send_stops_refused}, sent {result.mid_send_stops_sent}"
              f"; STOP replies in all {result.stop_replies}, on the opt-out list by the end {result.stop_replies_landed} "
              f"(p50 {result.stop_latency_p50_s:.1f} s, slowest {result.stop_latency_max_s:.1f} s: the provider's own "
              f"wait in its callback queue behind its delivery reports); later messages to opted-out numbers: "
              f"refused {result.stopped_numbers_refused}, sent {result.stopped_numbers_sent}")
        stats = result.sim_stats
        print(f"provider: faults {stats['faults']}, de-duplicated hand-offs {stats['deduplicated']}, reports "
              f"sent twice {stats['reports_duplicated']}; all checks: {'OK' if result.ok() else 'FAILED'}")

    asyncio.run(go())


PARTS: dict[str, Callable[[argparse.Namespace], None]] = {
    "render": lambda args: bench_render(args.messages),
    "bulk": bench_bulk,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), action="append",
                        help="which part to run (repeatable; default: every part)")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--bulk-messages", type=int, default=100_000, help="bulk: messages of the send")
    parser.add_argument("--rate", type=float, default=80.0, help="bulk: the provider's rate limit (msg/s)")
    parser.add_argument("--workers", type=int, default=2, help="bulk: dialer worker processes")
    args = parser.parse_args()
    for part in args.part or sorted(PARTS):
        print(f"== {part}")
        PARTS[part](args)


if __name__ == "__main__":
    main()
