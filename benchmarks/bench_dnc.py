"""DNC benchmark: registry import rate, load time, bytes per number, check speed, add-to-visible latency.

Writes a national registry text file of ``--size`` lines (default 100,000,000) with numpy in a
temporary directory: canonical E.164 numbers of the US, Vietnam (mobile and Hanoi landlines) and
France, plus one bad line per million. Then measures

* import: ``dnc.imports.import_file`` into a real (embedded) PostgreSQL, as ``dialer dnc import``
  does: seconds, lines per second (target: 10**8 lines in under 5 minutes), peak resident memory, and
  that exactly the bad lines were refused; the text file is deleted afterwards;

* load: reading the file, checking its sha256 and building the bucket directory (what a checker does);
* memory: index bytes per number (and the process's resident growth while loading);
* single check: ``DncIndex.contains`` (bisect on a memoryview inside one bucket) in a Python loop,
  beside ``np.searchsorted`` on a scalar, and the engine's whole ``DncChecker.is_blocked(e164, ...)``;
* batch: ``DncIndex.contains_many`` on random keys (half on the list), numbers per second;
* visibility: with the registry registered in a real (embedded) PostgreSQL and a checker running,
  the time from ``add_entry`` returning to ``is_blocked`` seeing the number.

Run: ``.venv/bin/python benchmarks/bench_dnc.py [--size 100000000] [--workdir DIR]`` (about 40 GB
free is not needed: the text file is 1.3 GB and the registry 0.8 GB for 10**8 lines).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
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
from dnc.imports import ImportReport, import_file
from dnc.index import DncIndex
from dnc.lists import ListKind
from dnc.number_ranges import automaton, phonenumbers_valid

BAD_EVERY = 1_000_000  # one bad line per million: the import must count exactly these
_CHUNK_LINES = 2_000_000


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _us_area_codes() -> np.ndarray:
    """Area codes of the US proper where phonenumbers validates every exchange 200-999."""
    areas = np.arange(200, 1000, dtype=np.int64)
    exchanges = np.arange(200, 1000, dtype=np.int64)
    keys = (10**10 + areas[:, None] * 10**7 + exchanges[None, :] * 10**4 + 4567).reshape(-1)
    digits = (keys[:, None] // 10 ** np.arange(10, -1, -1)) % 10
    valid = automaton().accepts(digits.astype(np.uint8)).reshape(len(areas), len(exchanges)).all(axis=1)
    return areas[valid]


def generate_text(path: Path, size: int, rng: np.random.Generator) -> int:
    """Write ``size`` number lines (and one bad line per ``BAD_EVERY``) with numpy; returns the bad lines."""
    areas = _us_area_codes()
    bad = 0
    with open(path, "wb") as fh:
        for start in range(0, size, _CHUNK_LINES):
            m = min(_CHUNK_LINES, size - start)
            kind = rng.choice(4, m, p=[0.5, 0.25, 0.15, 0.10])
            key = np.empty(m, dtype=np.int64)
            pick = [kind == k for k in range(4)]
            n = [int(x.sum()) for x in pick]
            key[pick[0]] = (10**10 + areas[rng.integers(0, len(areas), n[0])] * 10**7
                            + rng.integers(200, 1000, n[0]) * 10**4 + rng.integers(0, 10**4, n[0]))
            key[pick[1]] = 849 * 10**8 + rng.integers(0, 9, n[1]) * 10**7 + rng.integers(0, 10**7, n[1])
            key[pick[2]] = (336 * 10**8 + rng.choice(np.array([0, 1, 2, 4, 5, 6, 7, 8]), n[2]) * 10**7
                            + rng.integers(0, 10**7, n[2]))
            key[pick[3]] = 8424 * 10**8 + rng.integers(2, 9, n[3]) * 10**7 + rng.integers(0, 10**7, n[3])
            digits = np.where(key >= 10**11, 12, 11)
            ends = np.cumsum(digits + 2)  # "+", the digits, "\n"
            out = np.empty(int(ends[-1]), dtype=np.uint8)
            begins = ends - digits - 2
            out[begins] = ord("+")
            out[ends - 1] = ord("\n")
            rest = key.copy()
            for j in range(12):  # the last digit first
                live = digits > j
                out[(begins + digits - j)[live]] = (rest[live] % 10 + 48).astype(np.uint8)
                rest //= 10
            fh.write(memoryview(out))
            extra = m // BAD_EVERY
            fh.write(b"not a number\n" * extra)
            bad += extra
    return bad


async def import_registry(url: str, source: Path, data_dir: Path) -> ImportReport:
    conn = await db.connect(url)
    try:
        await db.migrate(conn)
        return await import_file(
            conn,
            source=source,
            list_name="national",
            kind=ListKind.NATIONAL,
            actor="bench",
            now=datetime.now(UTC),
            data_dir=data_dir,
        )
    finally:
        await conn.close()


def probes(keys: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` keys, half drawn from ``keys`` and half random in their range (almost all absent), shuffled."""
    q = rng.integers(int(keys[0]), int(keys[-1]) + 1, n, dtype=np.int64)
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


async def bench_visibility(url: str, trials: int) -> tuple[list[float], float, float]:
    """With the imported registry in PostgreSQL: checker load time, add-to-visible latency, check time."""
    conn = await db.connect(url)
    try:
        clock = RealClock()
        checker = DncChecker(clock=clock)
        task = asyncio.create_task(checker.run(lambda: db.connect(url)))
        start = time.perf_counter()
        while not checker.status().loaded:
            await asyncio.sleep(0.01)
        checker_load_s = time.perf_counter() - start
        latencies = []
        for i in range(trials):
            number = f"+4420794600{i:02d}"  # London: not in the generated registry
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
        sample = [f"+1415{k}" for k in np.random.default_rng(1).integers(2_000_000, 9_999_999, 200_000).tolist()]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000_000, help="lines of the registry text file")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to write the files (default: temp)"
    )
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--single", type=int, default=1_000_000, help="single checks to time")
    parser.add_argument("--batch", type=int, default=10_000_000, help="numbers in the batch check")
    parser.add_argument("--trials", type=int, default=50, help="add-visibility trials")
    parser.add_argument("--import-only", action="store_true", help="stop after the import figures")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        print(
            f"DNC benchmark: a {args.size:,}-line registry file, files in {work}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        text = work / "registry.txt"
        t = time.perf_counter()
        bad = generate_text(text, args.size, rng)
        report("generate the text file (numpy)", f"{time.perf_counter() - t:.1f} s",
               f"{text.stat().st_size / 1e9:.2f} GB")
        automaton()  # built once per process; timed apart from the import
        pg = EmbeddedPostgres(work / "pg")
        url = pg.start()
        try:
            rss0 = rss_bytes()
            start = clocks()
            imported = asyncio.run(import_registry(url, text, work / "data"))
            import_s, import_cpu = since(start)
            lines = args.size + bad
            per_100m = import_s * 100_000_000 / lines
            report(f"import {lines:,} lines (dnc import)", f"{import_s:.1f} s", "", None)
            report("  lines per second", f"{lines / import_s:,.0f}", "> 333,333/s", lines / import_s > 333_333)
            report("  scaled to 100,000,000 lines", f"{per_100m:.0f} s", "< 300 s", per_100m < 300)
            report("  CPU seconds of this process", f"{import_cpu:.1f} s")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            report("  peak resident memory of the process", f"{peak / 1e9:.2f} GB", f"before: {rss0 / 1e9:.2f} GB")
            report("  lines refused (one per million written)", f"{imported.invalid:,}", f"expected {bad:,}",
                   imported.invalid == bad)
            for example in imported.examples[:3]:
                print(f"    {example}")
            report("  distinct numbers in the registry", f"{imported.numbers:,}", f"of {args.size:,} written")
            text.unlink()
            path, count = Path(imported.path), imported.numbers
            sample = registry_files.load_keys(path, mmap=True)[:: max(1, count // 2000)]
            agree = sum(phonenumbers_valid(f"+{k}") for k in sample.tolist())
            report("  sample valid by phonenumbers itself", f"{agree}/{len(sample)}", "all", agree == len(sample))
            if args.import_only:
                return 0
            gc.collect()

            rss0 = rss_bytes()
            t = time.perf_counter()
            base = load_registry(str(path), imported.sha256)
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

            latencies, checker_load_s, per_check = asyncio.run(bench_visibility(url, args.trials))
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
        finally:
            pg.stop()
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
