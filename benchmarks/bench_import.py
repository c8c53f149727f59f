"""Benchmark: import a synthetic 1,000,000-row CSV end to end and a file of broken rows; prints the figures.

Usage: ``.venv/bin/python benchmarks/bench_import.py [--rows 1000000] [--broken 100000] [--workers 2]``
Uses ``DIALER_DATABASE_URL`` if set, else starts an embedded PostgreSQL in a temporary folder. The
file mixes French number formats (national with spaces, +33, 0033), names with accents, postal codes
and two extra CRM columns, ~1% invalid numbers, ~1% duplicates in the file, and 5,000 numbers that are
on an internal DNC list. Phases: parse, normalise (2 processes), dedupe, DNC scrub, time zones, COPY.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm

from campaigns import jobs, repository
from campaigns.eligibility import check_eligibility
from campaigns.model import Campaign, CampaignState
from dialer import db
from dialer.embedded import EmbeddedPostgres
from dnc import repository as dnc_repository
from dnc.lists import ListKind

FIRST = ["Éloïse", "René", "Zoé", "Jean", "Marie", "Lucas", "Chloé", "Hugo", "Inès", "Noël"]
LAST = ["Dupré", "Martin", "Lefèvre", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Garçon", "Roux"]


def fr_number(rng: random.Random) -> str:
    """A valid French mobile or geographic number as its subscriber digits (9 digits after the 0)."""
    first = rng.choice("1234567")
    if first == "7":
        return "7" + str(rng.randint(3, 8)) + f"{rng.randrange(10_000_000):07d}"
    return first + f"{rng.randrange(100_000_000):08d}"


def formatted(nsn: str, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return "0" + nsn
    if style == 1:
        return "0" + nsn[0] + " " + " ".join(nsn[i:i + 2] for i in range(1, 9, 2))
    if style == 2:
        return "+33" + nsn
    return "+33 " + nsn[0] + " " + " ".join(nsn[i:i + 2] for i in range(1, 9, 2))


def generate(path: Path, rows: int, *, seed: int) -> list[str]:
    """Write the CSV; returns some E.164 numbers present in it (for the DNC list)."""
    rng = random.Random(seed)
    on_dnc: list[str] = []
    previous: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Téléphone;Prénom;Nom;Code postal;Client;Segment\n")
        for i in range(rows):
            roll = rng.random()
            if roll < 0.01:
                phone = "06 12" + str(rng.randrange(100))               # invalid (too short)
            elif roll < 0.02 and previous:
                phone = rng.choice(previous)                             # duplicate in the file
            else:
                nsn = fr_number(rng)
                phone = formatted(nsn, rng)
                if len(previous) < 1000:
                    previous.append(phone)
                if len(on_dnc) < 5000 and rng.random() < 0.01:
                    on_dnc.append("+33" + nsn)
            out.write(f"{phone};{rng.choice(FIRST)};{rng.choice(LAST)};{rng.randrange(1000, 95999):05d};"
                      f"C{i:07d};{rng.choice('ABC')}\n")
    return on_dnc


def generate_broken(path: Path, rows: int, *, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("phone,name\n")
        for i in range(rows):
            kind = i % 4
            out.write(["not-a-number,x\n", ",empty\n", f"0612{rng.randrange(100)},short\n",
                       f"0612345678,a,b,{i}\n"][kind])


def cpu_seconds(backend_pid: int) -> tuple[float, float, float]:
    """CPU time of this process, of its finished children (the worker pool) and of the PostgreSQL backend."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        backend = float("nan")
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime, backend


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    server = None
    url = os.environ.get("DIALER_DATABASE_URL")
    if not url:
        server = EmbeddedPostgres(workdir / "pg")
        url = server.start()
    try:
        conn = await db.connect(url)
        await db.migrate(conn)
        now = datetime.now(UTC)
        campaign = await repository.create_campaign(conn, campaign=Campaign(
            id=0, name=f"bench-{int(time.time())}", trunk_template="PJSIP/{number}@carrier", default_region="FR",
            timezone="Europe/Paris", window_profile="france"))
        csv_path = workdir / "leads.csv"
        t0 = time.perf_counter()
        on_dnc = generate(csv_path, args.rows, seed=1)
        gen_s = time.perf_counter() - t0
        dnc_list = await dnc_repository.create_list(conn, name=f"bench-{campaign.id}", kind=ListKind.INTERNAL,
                                                    actor="bench", now=now)
        await dnc_repository.bulk_add(conn, list_id=dnc_list.id, numbers=on_dnc, actor="bench", reason="bench",
                                      now=now)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {gen_s:.1f} s; {len(on_dnc):,} numbers on DNC")

        lst = await repository.create_list(conn, campaign_id=campaign.id, name="bench", source_filename="leads.csv")
        load_before = os.getloadavg()[0]
        bar = tqdm(total=args.rows, unit="row", unit_scale=True, desc="import")

        def progress(done: int, total: int | None, message: str) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        backend = await conn.fetchval("SELECT pg_backend_pid()")
        cpu0 = cpu_seconds(backend)
        t0 = time.perf_counter()
        counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=csv_path, now=now,
                                       progress=progress, workers=args.workers)
        elapsed = time.perf_counter() - t0
        cpu1 = cpu_seconds(backend)
        bar.close()
        stored = await conn.fetchval("SELECT count(*) FROM leads WHERE campaign_id = $1", campaign.id)
        print(f"IMPORT {args.rows:,} rows in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s), "
              f"workers={args.workers}, cpus={os.cpu_count()}")
        print(f"  CPU seconds: python main {cpu1[0] - cpu0[0]:.1f}, normalising workers {cpu1[1] - cpu0[1]:.1f},"
              f" PostgreSQL backend {cpu1[2] - cpu0[2]:.1f}; total {sum(cpu1) - sum(cpu0):.1f}"
              f" (load average before: {load_before:.1f})")
        print("  counts:", {k: v for k, v in counts.items() if v})
        print(f"  leads stored in PostgreSQL: {stored:,}")

        timings = []
        for _ in range(20):
            t0 = time.perf_counter()
            async with conn.transaction():
                claimed = await repository.claim_leads(conn, campaign_id=campaign.id, limit=50, engine_id="bench",
                                                       now=now)
            timings.append(time.perf_counter() - t0)
        timings.sort()
        print(f"HOPPER claim 50 of {stored:,} leads (SKIP LOCKED): median {timings[10] * 1e3:.1f} ms,"
              f" max {timings[-1] * 1e3:.1f} ms; claimed {len(claimed)} in the last call")
        running = replace(campaign, state=CampaignState.RUNNING)
        for label, at in (("inside the window", datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
                          ("outside (computes next_allowed_at)", datetime(2026, 1, 10, 9, 30, tzinfo=UTC))):
            t0 = time.perf_counter()
            verdicts = [check_eligibility(lead, running, now=at, dnc_blocked=False) for lead in claimed * 200]
            per_check = (time.perf_counter() - t0) / len(verdicts)
            print(f"ELIGIBILITY {label}: {per_check * 1e6:.0f} us per check"
                  f" ({sum(v.ok for v in verdicts)} of {len(verdicts)} eligible)")

        if args.broken:
            broken = workdir / "broken.csv"
            generate_broken(broken, args.broken, seed=2)
            lst2 = await repository.create_list(conn, campaign_id=campaign.id, name="broken", source_filename="b")
            t0 = time.perf_counter()
            counts2 = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst2.id, path=broken, now=now,
                                            workers=args.workers)
            rejects_path = await jobs.write_rejects_file(conn, list_id=lst2.id, path=workdir / "rejects.csv")
            elapsed2 = time.perf_counter() - t0
            with rejects_path.open(encoding="utf-8") as fh:
                report_lines = sum(1 for _ in fh) - 1
            print(f"BROKEN {args.broken:,} rows: {counts2['rejected']:,} rejected, {counts2['imported']} imported, "
                  f"rejects report {report_lines:,} lines ({rejects_path}), {elapsed2:.1f} s incl. report")
        await conn.close()
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--broken", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
