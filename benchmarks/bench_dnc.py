"""DNC index benchmark: load time, bytes per number, single and batch check speed, add-to-visible latency.

Generates ``--size`` random US-style numbers (+1 and 10 digits; duplicates dropped), writes them as a
registry file, then measures

* load: reading the file, checking its sha256 and building the bucket directory (what a checker does);
* memory: index bytes per number (and the process's resident growth while loading);
* single check: ``DncIndex.contains`` (bisect on a memoryview inside one bucket) in a Python loop,
  beside ``np.searchsorted`` on a scalar, and the engine's whole ``DncChecker.is_blocked(e164, ...)``;
* batch: ``DncIndex.contains_many`` on random keys (half on the list), numbers per second;
* visibility: with the registry registered in a real (embedded) PostgreSQL and a checker running,
  the time from ``add_entry`` returning to ``is_blocked`` seeing the number.

Run: ``.venv/bin/python benchmarks/bench_dnc.py [--size 100000000] [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialer import db
from dialer.clock import RealClock
from dialer.embedded import EmbeddedPostgres
from dnc import registry_files, repository
from dnc.checker import DncChecker, load_registry
from dnc.index import DncIndex
from dnc.lists import ListKind

LOW, SPAN = 12_000_000_000, 8_000_000_000  # +1 200 000 0000 .. +1 999 999 9999


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def generate(size: int, rng: np.random.Generator) -> np.ndarray:
    keys = rng.integers(LOW, LOW + SPAN, size, dtype=np.int64)
    return registry_files.sort_unique(keys)


def probes(keys: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` keys, half drawn from ``keys`` and half random (almost all absent), shuffled."""
    q = rng.integers(LOW, LOW + SPAN, n, dtype=np.int64)
    q[: n // 2] = keys[rng.integers(0, len(keys), n // 2)]
    rng.shuffle(q)
    return q


def report(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("PASS" if ok else "FAIL")
    print(f"{name:<44} {value:>22}   {target:<18} {verdict}", flush=True)


def clocks() -> tuple[float, float]:
    """(wall, CPU of this process) seconds: the machine is shared, so both are reported."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


def bench_single(index: DncIndex, queries: list[int], now_s: float) -> tuple[float, float]:
    contains = index.contains
    start = clocks()
    for k in queries:
        contains(k, now_s)
    wall, cpu = since(start)
    return wall / len(queries), cpu / len(queries)


def bench_searchsorted_scalar(keys: np.ndarray, queries: list[int]) -> tuple[float, float]:
    search = np.searchsorted
    start = clocks()
    for k in queries:
        i = search(keys, k)
        _ = i < len(keys) and keys[i] == k
    wall, cpu = since(start)
    return wall / len(queries), cpu / len(queries)


async def bench_visibility(
    path: Path, sha: str, count: int, workdir: Path, trials: int
) -> tuple[list[float], float, float]:
    pg = EmbeddedPostgres(workdir / "pg")
    url = pg.start()
    try:
        conn = await db.connect(url)
        try:
            await db.migrate(conn)
            now = datetime.now(UTC)
            lst = await repository.create_list(
                conn, name="usdnc", kind=ListKind.NATIONAL, actor="bench", now=now
            )
            await repository.register_registry_file(
                conn,
                list_id=lst.id,
                path=str(path),
                count=count,
                sha256=sha,
                actor="bench",
                now=now,
                details={},
            )
            clock = RealClock()
            checker = DncChecker(clock=clock)
            task = asyncio.create_task(checker.run(lambda: db.connect(url)))
            start = time.perf_counter()
            while not checker.status().loaded:
                await asyncio.sleep(0.01)
            checker_load_s = time.perf_counter() - start
            latencies = []
            for i in range(trials):
                number = f"+{LOW + SPAN + i}"  # above the generated range: not blocked yet
                assert checker.is_blocked(number, campaign_id=1, now=clock.now()) is None
                t0 = time.perf_counter()  # from the start of the add (its commit included)
                await repository.add_entry(
                    conn, list_name="internal", number=number, actor="bench", reason="bench", now=clock.now()
                )
                while checker.is_blocked(number, campaign_id=1, now=clock.now()) is None:
                    await asyncio.sleep(0.0005)
                    if time.perf_counter() - t0 > 5:
                        raise RuntimeError("an added number was not visible within 5 s")
                latencies.append(time.perf_counter() - t0)
            sample = [f"+{k}" for k in np.random.default_rng(1).integers(LOW, LOW + SPAN, 200_000).tolist()]
            now = clock.now()
            began = clocks()
            for number in sample:
                checker.is_blocked(number, campaign_id=1, now=now)
            per_check = since(began)[0] / len(sample)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return latencies, checker_load_s, per_check
        finally:
            await conn.close()
    finally:
        pg.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000_000)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to write the index file (default: temp)"
    )
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--single", type=int, default=1_000_000, help="single checks to time")
    parser.add_argument("--batch", type=int, default=10_000_000, help="numbers in the batch check")
    parser.add_argument("--trials", type=int, default=50, help="add-visibility trials")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        print(
            f"DNC benchmark: {args.size:,} generated numbers, files in {work}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        t = time.perf_counter()
        keys = generate(args.size, rng)
        count = len(keys)
        report("generate + sort (unique numbers)", f"{time.perf_counter() - t:.1f} s", f"{count:,} numbers")
        path = work / "usdnc.npy"
        t = time.perf_counter()
        sha = registry_files.write_keys(keys, path)
        report(
            "write index file (+fsync, sha256)",
            f"{time.perf_counter() - t:.1f} s",
            f"{path.stat().st_size / 1e6:,.0f} MB",
        )
        del keys
        gc.collect()

        rss0 = rss_bytes()
        t = time.perf_counter()
        base = load_registry(str(path), sha)
        load_s = time.perf_counter() - t
        rss_growth = rss_bytes() - rss0
        report("load (read + sha256 + directory)", f"{load_s:.2f} s", "< 60 s", load_s < 60)
        t = time.perf_counter()
        registry_files.file_sha256(path)
        sha_s = time.perf_counter() - t
        report("  of which sha256 check", f"{sha_s:.2f} s")
        index = DncIndex.with_base(base)
        per_number = index.nbytes / count
        report("index bytes per number", f"{per_number:.2f} B", "< 10 B", per_number < 10)
        report("  resident growth per number while loading", f"{rss_growth / count:.2f} B")
        report(
            "  bucket directory",
            f"{len(base.directory) - 1:,} buckets",
            f"max {2 ** len(base.steps) - 1} keys",
        )

        now_s = time.time()
        q = probes(base.keys, args.single, rng)
        qs = q.tolist()
        expected = int(index.contains_many(q, now_s).sum())
        assert sum(index.contains(k, now_s) for k in qs[:10_000]) == int(
            index.contains_many(q[:10_000], now_s).sum()
        )
        single, single_cpu = bench_single(index, qs, now_s)
        report("single check DncIndex.contains (bisect)", f"{single * 1e6:.2f} us", "< 5 us", single < 5e-6)
        report("  same, CPU time per check", f"{single_cpu * 1e6:.2f} us")
        scalar, _ = bench_searchsorted_scalar(base.keys, qs[:200_000])
        report("  np.searchsorted on a scalar, for compare", f"{scalar * 1e6:.2f} us")

        batch = probes(base.keys, args.batch, rng)
        index.contains_many(batch[:100_000], now_s)  # warm up
        start = clocks()
        hits = index.contains_many(batch, now_s)
        batch_s, batch_cpu = since(start)
        rate = len(batch) / batch_s
        report("batch contains_many", f"{rate / 1e6:.1f} M numbers/s", "> 5 M/s", rate > 5e6)
        report("  same, per CPU second", f"{len(batch) / batch_cpu / 1e6:.1f} M numbers/s")
        report(
            "  hits in batch (about half expected)", f"{hits.mean():.3f}", f"single: {expected / len(q):.3f}"
        )
        del batch, hits, index, base
        gc.collect()

        latencies, checker_load_s, per_check = asyncio.run(
            bench_visibility(path, sha, count, work, args.trials)
        )
        report(
            "checker start: load registry from PostgreSQL",
            f"{checker_load_s:.2f} s",
            "< 60 s",
            checker_load_s < 60,
        )
        report(
            "DncChecker.is_blocked(e164, campaign, now)", f"{per_check * 1e6:.2f} us", "3 lists, E.164 text"
        )
        report("add -> visible to is_blocked, median", f"{statistics.median(latencies) * 1e3:.2f} ms")
        worst = max(latencies)
        report(
            f"add -> visible to is_blocked, max of {len(latencies)}",
            f"{worst * 1e3:.1f} ms",
            "< 1 s",
            worst < 1,
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
