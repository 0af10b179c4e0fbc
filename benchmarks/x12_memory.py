#!/usr/bin/env python3
"""X12 memory benchmark: peak RSS of streaming parse and streaming validation.

Writes (streaming, into a temporary directory) a large ASC X12 004010 856
file: many ship notices, each with a Shipment / Order / Pack / Item HL
hierarchy (TD1, TD5, REF, N1/N3/N4 at shipment level; PRF, REF per order;
PO4, MAN per carton; LIN, SN1, PID, REF, DTM per item). Then, each in a fresh
Python subprocess, it measures

  i.  parse: every segment via ``iter_segments(path)``;
  ii. validate: ``Validator().events(path)``, consuming every event,

and reports the child's peak resident set size (its own
``getrusage(RUSAGE_SELF).ru_maxrss``, cross-checked with the rusage the parent
gets from ``os.wait4``), the child's RSS right after importing the engine,
elapsed time, and segments/second. Each run checks its counts (every segment
seen; every transaction set accepted by the validator) so a broken run cannot
pass.

Target (checked here, never by timed tests): parse peak RSS under 150 MB for
the 500 MB file. Validation is held to the same bound and reported alongside.
MB here is 10^6 bytes, for file sizes and RSS alike.

Run from a clone after ``pip install -e '.[test]'``::

    python benchmarks/x12_memory.py                  # 500 MB file
    python benchmarks/x12_memory.py --size-mb 50 --repeat 3 --keep /tmp/asn.x12

Exit status: 0 when all checks pass and both peaks are under the bound,
1 when a peak is over it, 2 when a run produced a wrong result.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, SPEC_DIR, Generated, engine_version

MB = 1_000_000
TARGET_MB = 150.0

# ---------------------------------------------------------------------------
# generator: 004010 856 ship notices with S/O/P/I hierarchies

TERM = "~\n"
_NOUNS = ["WIDGET", "GADGET", "SPROCKET", "BRACKET", "HINGE", "LATCH", "KNOB", "MUG", "TOWEL", "LAMP", "BASKET", "CANDLE"]
_COLORS = ["BLUE", "GREEN", "RED", "BLACK", "WHITE", "SILVER", "NAVY", "TEAL"]
_SIZES = ["SMALL", "MEDIUM", "LARGE", "12 OZ", "16 OZ", "2 PK", "6 PK"]
_STORES = [("ACME DC 7", "0007", "500 WAREHOUSE ROAD", "SPRINGFIELD", "IL", "62703"),
           ("ACME DC 12", "0012", "88 LOGISTICS WAY", "COLUMBUS", "OH", "43217"),
           ("ACME DC 21", "0021", "4100 DISTRIBUTION BLVD", "AUSTIN", "TX", "78744"),
           ("ACME DC 33", "0033", "12 PORT AVENUE", "TAMPA", "FL", "33605")]
_CARRIERS = [("UPSN", "UPS GROUND"), ("FDEG", "FEDEX GROUND"), ("ODFL", "OLD DOMINION")]


def _check_digit(body: str) -> str:
    odd = sum(int(c) for c in body[-1::-2])
    even = sum(int(c) for c in body[-2::-2])
    return str((10 - (odd * 3 + even) % 10) % 10)


def ship_notice(rng: random.Random, control: str, n: int, sscc: list[int]) -> tuple[list[str], int]:
    """One 856 (ST..SE) and the number of HL levels in it."""
    name, code, street, city, state, zipcode = rng.choice(_STORES)
    scac, carrier = rng.choice(_CARRIERS)
    day = 1 + n % 28
    orders = rng.randint(1, 3)
    body: list[str] = []
    hl = 1
    cartons = 0
    units = 0
    for _ in range(orders):
        hl += 1
        order_hl = hl
        body += [f"HL*{order_hl}*1*O*1", f"PRF*PO{rng.randrange(10**7, 10**8)}***202403{day:02d}", f"REF*DP*{rng.randrange(10, 99):04d}"]
        for _ in range(rng.randint(1, 4)):
            hl += 1
            pack_hl = hl
            cartons += 1
            sscc[0] += 1
            serial = f"0{'0012345'}{sscc[0] % 10**9:09d}"[:17]
            body += [f"HL*{pack_hl}*{order_hl}*P*1", "PO4*1*24*EA", f"MAN*GM*00{serial}{_check_digit(serial)}"]
            for line in range(1, rng.randint(1, 4) + 1):
                hl += 1
                qty = rng.choice((6, 12, 24))
                units += qty
                upc = "0" + "".join(str(rng.randrange(10)) for _ in range(10))
                upc += _check_digit(upc)
                noun = rng.choice(_NOUNS)
                body += [f"HL*{hl}*{pack_hl}*I*0",
                         f"LIN*{line}*UP*{upc}*VN*{noun[:3]}-{rng.randrange(100, 999)}",
                         f"SN1*{line}*{qty}*EA",
                         f"PID*F****{rng.choice(_COLORS)} {noun} {rng.choice(_SIZES)}",
                         f"REF*LT*LOT{rng.randrange(10**5, 10**6)}",
                         f"DTM*036*2026{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"]
    segs = [
        f"ST*856*{control}",
        f"BSN*00*SHP{n:09d}*202403{day:02d}*1430*0001",
        f"DTM*011*202403{day:02d}*1430",
        "HL*1**S*1",
        f"TD1*CTN25*{cartons}****G*{cartons * 12.5:.1f}*LB",
        f"TD5*B*2*{scac}*U*{carrier}",
        f"REF*BM*BOL{n:09d}",
        f"REF*CN*1Z999AA1{rng.randrange(10**9, 10**10)}",
        f"N1*ST*{name}*92*{code}",
        f"N3*{street}",
        f"N4*{city}*{state}*{zipcode}*US",
        "N1*SF*WIDGET CO*92*V123",
        "N3*1 FACTORY LANE",
        "N4*TOLEDO*OH*43604*US",
        *body,
        f"CTT*{hl}*{units}",
    ]
    segs.append(f"SE*{len(segs) + 1}*{control}")
    return segs, hl


def generate_856(path: Path, size_mb: float, per_interchange: int = 1000, seed: int = 856) -> Generated:
    """Stream 856s into ``path`` until it holds at least ``size_mb`` MB; memory stays small."""
    rng = random.Random(seed)
    target = int(size_mb * MB)
    written = segments = transactions = 0
    sscc = [0]
    ix = 0
    with open(path, "w", encoding="ascii", newline="") as out:
        while written < target:
            ix += 1
            block = [f"ISA*00*{'':10}*00*{'':10}*ZZ*{'WIDGETCO':<15}*ZZ*{'ACMERETAIL':<15}*240318*1432*U*00401*{ix:09d}*0*P*>",
                     f"GS*SH*WIDGETCO*ACMERETAIL*20240318*1432*{ix}*X*004010VICS"]
            n = 0
            while n < per_interchange and written + sum(map(len, block)) < target:
                n += 1
                transactions += 1
                segs, _ = ship_notice(rng, f"{n:04d}", transactions, sscc)
                block += segs
                if len(block) > 5000:
                    text = TERM.join(block) + TERM
                    out.write(text)
                    written += len(text)
                    segments += len(block)
                    block = []
            block += [f"GE*{n}*{ix}", f"IEA*1*{ix:09d}"]
            text = TERM.join(block) + TERM
            out.write(text)
            written += len(text)
            segments += len(block)
    return Generated(path, transactions, segments, path.stat().st_size)


# ---------------------------------------------------------------------------
# child: one measurement in a fresh interpreter


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # Linux: KiB


def child(mode: str, path: str) -> None:
    import gateway
    from gateway.formats.x12 import SpecLibrary, TransactionResult, Validator, iter_segments
    from gateway.formats.x12.results import GroupResult, InterchangeResult

    out: dict = {"mode": mode, "engine_dir": str(Path(gateway.__file__).parent)}
    if mode == "validate":
        validator = Validator(SpecLibrary([SPEC_DIR]))
    out["rss_after_import_mb"] = _rss_mb()
    t0 = time.perf_counter()
    if mode == "parse":
        n = 0
        for _ in iter_segments(path):
            n += 1
        out["segments"] = n
    elif mode == "validate":
        txs = accepted = groups = interchanges = segs = other = 0
        first_bad = None
        for ev in validator.events(path):
            if isinstance(ev, TransactionResult):
                txs += 1
                segs += ev.segment_count
                if ev.status == "accepted":
                    accepted += 1
                elif first_bad is None:
                    first_bad = f"{ev.set_id} {ev.control_number}: " + "; ".join(f"{f.code} {f.message}" for f in ev.findings[:3])
            elif isinstance(ev, GroupResult):
                groups += 1
                if ev.findings or ev.ack_code != "A":
                    other += 1
            elif isinstance(ev, InterchangeResult):
                interchanges += 1
                if ev.findings:
                    other += 1
            else:
                other += 1
        out.update(transactions=txs, accepted=accepted, segments=segs + 2 * groups + 2 * interchanges,
                   envelope_problems=other, first_bad=first_bad)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = _rss_mb()
    print(json.dumps(out))


def run_child(mode: str, path: Path) -> dict:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)],
                            stdout=subprocess.PIPE, cwd=str(ROOT), text=True)
    stdout = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BrokenRun(f"{mode}: child exited with status {proc.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wait4_peak_rss_mb"] = usage.ru_maxrss * 1024 / MB
    return result


class BrokenRun(Exception):
    pass


def check(result: dict, gen: Generated) -> None:
    mode = result["mode"]
    if result["segments"] != gen.segments:
        raise BrokenRun(f"{mode}: saw {result['segments']:,} segments, the file has {gen.segments:,}")
    if mode == "validate":
        if result["transactions"] != gen.transactions:
            raise BrokenRun(f"validate: {result['transactions']:,} transaction sets, the file has {gen.transactions:,}")
        if result["accepted"] != gen.transactions:
            raise BrokenRun(f"validate: only {result['accepted']:,} of {gen.transactions:,} sets accepted; first: {result['first_bad']}")
        if result["envelope_problems"]:
            raise BrokenRun(f"validate: {result['envelope_problems']} envelope problems or stray findings")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], argv[2])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=500.0, help="size of the generated file in MB (default 500)")
    ap.add_argument("--repeat", type=int, default=1, help="fresh-process runs of each measurement (default 1)")
    ap.add_argument("--target-mb", type=float, default=TARGET_MB, help=f"peak RSS bound in MB (default {TARGET_MB:g})")
    ap.add_argument("--per-interchange", type=int, default=1000, help="transaction sets per interchange/group (default 1000)")
    ap.add_argument("--skip-validate", action="store_true", help="measure parsing only")
    ap.add_argument("--keep", type=Path, help="write the file here and keep it")
    ap.add_argument("--tmpdir", type=Path, help="directory for the temporary file (default: the system temp dir)")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="x12mem-", dir=args.tmpdir)
    try:
        path = args.keep if args.keep else Path(tmp.name) / "asn-856.x12"
        t0 = time.perf_counter()
        gen = generate_856(path, args.size_mb, args.per_interchange)
        print(f"generated {path}: {gen.size / MB:.1f} MB, {gen.transactions:,} transaction sets, {gen.segments:,} segments "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        modes = ["parse"] + ([] if args.skip_validate else ["validate"])
        runs: dict[str, list[dict]] = {m: [] for m in modes}
        try:
            for r in range(args.repeat):
                for mode in modes:
                    res = run_child(mode, path)
                    check(res, gen)
                    runs[mode].append(res)
                    print(f"  {mode} run {r + 1}/{args.repeat}: {res['seconds']:.1f} s, peak RSS {res['peak_rss_mb']:.1f} MB "
                          f"(wait4 {res['wait4_peak_rss_mb']:.1f} MB)", file=sys.stderr, flush=True)
        except BrokenRun as exc:
            print(f"\nBROKEN RUN: {exc}", file=sys.stderr)
            return 2

        print()
        print(f"file: {gen.size / MB:.1f} MB ({gen.size:,} bytes), {gen.transactions:,} 856 transaction sets, {gen.segments:,} segments")
        print(f"engine: {engine_version()} (children import it from {runs[modes[0]][0]['engine_dir']})")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.repeat} fresh-process run(s) per row; "
              "peak RSS = max over runs; MB = 10^6 bytes")
        print()
        head = (f"{'measurement':<34} {'segments':>12} {'time s (best/med)':>18} {'seg/s (best)':>13} "
                f"{'RSS after import':>16} {'peak RSS':>9} {'target':>8}  result")
        print(head)
        print("-" * len(head))
        failed = False
        labels = {"parse": "(i) parse: iter_segments", "validate": "(ii) validate: Validator().events"}
        for mode in modes:
            rs = runs[mode]
            times = [r["seconds"] for r in rs]
            peak = max(max(r["peak_rss_mb"], r["wait4_peak_rss_mb"]) for r in rs)
            base = max(r["rss_after_import_mb"] for r in rs)
            ok = peak < args.target_mb
            failed |= not ok
            print(f"{labels[mode]:<34} {rs[0]['segments']:>12,} {min(times):>8.1f}/{statistics.median(times):<9.1f} "
                  f"{rs[0]['segments'] / min(times):>13,.0f} {base:>13.1f} MB {peak:>6.1f} MB {'<' + format(args.target_mb, 'g'):>5} MB  "
                  f"{'PASS' if ok else 'FAIL'}")
        print()
        print("Checks: every run saw every segment; validation accepted every transaction set with no envelope findings.")
        if args.keep:
            print(f"kept: {path}")
        return 1 if failed else 0
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
