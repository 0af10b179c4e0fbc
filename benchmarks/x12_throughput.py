#!/usr/bin/env python3
"""X12 throughput benchmark: our engine against plain ``str.split`` and pyx12.

Generates a large ASC X12 004010 850 file (retail purchase orders: BEG, CUR,
REF, PER, FOB, ITD, DTM, TD5, N1/N3/N4 loops, about 20 PO1 lines each with a
PID, CTT), then measures segments per second for

  a. plain ``str.split``: read the file in 1 MiB chunks (as our lexer does),
     split on the segment terminator, split each segment into elements;
  b. pyx12 ``X12Reader`` iterating every segment;
  c. pyx12 full validation (``x12n_document``, writing its 997 to memory)
     with OUR spec directory gateway/formats/x12/specs/004010 as map_path;
  d. ours, parse only (``iter_segments``);
  e. ours, parse + full validation + acknowledgement
     (``Validator().validate`` + ``acknowledge_report``) on the same spec.
     Each run builds a fresh Validator and SpecLibrary (spec loading and
     pattern compiling are timed, as pyx12 loads its maps on every run).

pyx12 is slow, so (b) and (c) read a smaller file made by the same generator
(``--pyx12-transactions``); (e) is measured on that file as well, so the
(e) vs (c) ratio is also shown for identical input. Every run is checked after
its clock stops (segment counts; every transaction set accepted, by both
validators, and every 997 AK5 = A) so a broken run cannot pass for a fast one.
pyx12's segments are counted through its ``callback`` hook (one extra Python
call per segment, negligible next to its own cost per segment).

Targets (checked here, never by timed tests):
  (e) at least 30x faster than (c);  time(e) / time(a) <= 5.

Run from a clone after ``pip install -e '.[test]'``::

    python benchmarks/x12_throughput.py                 # defaults
    python benchmarks/x12_throughput.py --transactions 20000 --repeat 5
    python benchmarks/x12_throughput.py --skip-pyx12 --keep /tmp/po.x12

Exit status: 0 when all checks and targets pass, 1 when a target is missed,
2 when a run produced a wrong result.
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from bench_common import SPEC_DIR, Generated, engine_version

CHUNK = 1 << 20

TARGET_VS_PYX12 = 30.0  # (e) at least this many times faster than (c)
TARGET_VS_SPLIT = 5.0  # time(e) / time(a) at most this

# ---------------------------------------------------------------------------
# generator: realistic 004010 850 retail purchase orders

COMPONENT, TERMINATOR, SUFFIX = ">", "~", "\n"

_COLORS = ["BLUE", "GREEN", "RED", "BLACK", "WHITE", "SILVER", "NAVY", "OLIVE", "CORAL", "TEAL"]
_NOUNS = ["WIDGET", "GADGET", "SPROCKET", "BRACKET", "HINGE", "LATCH", "KNOB", "SPATULA", "MUG", "TOWEL", "LAMP", "BASKET",
          "PLANTER", "CANDLE", "FRAME", "CLOCK", "PILLOW", "RUG", "BOWL", "KETTLE"]
_SIZES = ["SMALL", "MEDIUM", "LARGE", "XL", "12 OZ", "16 OZ", "32 OZ", "6 IN", "10 IN", "2 PK", "4 PK", "6 PK"]
_STREETS = ["MAIN STREET", "OAK AVENUE", "ELM STREET", "MARKET STREET", "COMMERCE DRIVE", "INDUSTRIAL PARKWAY", "RIVER ROAD"]
_CITIES = [("SPRINGFIELD", "IL", "62701"), ("COLUMBUS", "OH", "43215"), ("AUSTIN", "TX", "78701"), ("DENVER", "CO", "80202"),
           ("RALEIGH", "NC", "27601"), ("PORTLAND", "OR", "97201"), ("MADISON", "WI", "53703"), ("TAMPA", "FL", "33602")]
_BUYERS = ["JANE BUYER", "JOHN MERCHANT", "PAT ORDERS", "SAM PLANNER", "ALEX REPLENISH"]
_CARRIERS = [("UPSN", "UPS GROUND"), ("FDEG", "FEDEX GROUND"), ("RDWY", "YRC FREIGHT"), ("ODFL", "OLD DOMINION")]
_UOM = ["EA", "CA", "BX", "PK"]


def _upc(rng: random.Random) -> str:
    body = "0" + "".join(str(rng.randrange(10)) for _ in range(10))
    odd = sum(int(c) for c in body[0::2])
    even = sum(int(c) for c in body[1::2])
    return body + str((10 - (odd * 3 + even) % 10) % 10)


@dataclass
class Catalog:
    items: list[tuple[str, str, str, str]] = field(default_factory=list)  # upc, vendor part, description, price

    @classmethod
    def make(cls, rng: random.Random, n: int = 400) -> Catalog:
        c = cls()
        for i in range(n):
            desc = f"{rng.choice(_COLORS)} {rng.choice(_NOUNS)} {rng.choice(_SIZES)}"
            price = f"{rng.randrange(99, 9999) / 100:.2f}"
            c.items.append((_upc(rng), f"{desc.split()[1][:3]}-{100 + i}", desc, price))
        return c


def _isa(control: int, sender: str, receiver: str) -> str:
    return (f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*240311*0915*U*00401*{control:09d}*0*P*{COMPONENT}")


def purchase_order(rng: random.Random, catalog: Catalog, control: str, po_number: int, lines: int) -> list[str]:
    """One 850 (ST..SE) as segment texts without terminators."""
    store = rng.randrange(1, 2000)
    city, state, zipcode = rng.choice(_CITIES)
    scac, carrier = rng.choice(_CARRIERS)
    day = 1 + po_number % 28
    segs = [
        f"ST*850*{control}",
        f"BEG*00*SA*PO{po_number:08d}**202403{day:02d}",
        "CUR*BY*USD",
        f"REF*DP*{store % 90 + 10:04d}",
        f"REF*IA*{rng.randrange(10_000_000, 99_999_999)}",
        f"PER*BD*{rng.choice(_BUYERS)}*TE*555555{rng.randrange(1000, 9999)}",
        "FOB*PP",
        "ITD*01*3*2**30**60",
        f"DTM*002*202404{day:02d}",
        f"DTM*038*202404{min(day + 4, 30):02d}",
        f"TD5*O*2*{scac}*M*{carrier}",
        f"N1*ST*ACME STORE {store:04d}*92*{store:04d}",
        f"N3*{rng.randrange(1, 9999)} {rng.choice(_STREETS)}",
        f"N4*{city}*{state}*{zipcode}*US",
        "N1*BT*ACME RETAIL CORP*92*9000",
        "N3*PO BOX 1000",
        "N4*SPRINGFIELD*IL*62705*US",
    ]
    total = 0
    for n in range(1, lines + 1):
        upc, part, desc, price = rng.choice(catalog.items)
        qty = rng.choice((6, 12, 24, 36, 48, 72, 96, 144))
        total += qty
        segs.append(f"PO1*{n}*{qty}*{rng.choice(_UOM)}*{price}**UP*{upc}*VN*{part}")
        segs.append(f"PID*F****{desc}")
    segs.append(f"CTT*{lines}*{total}")
    segs.append(f"SE*{len(segs) + 1}*{control}")
    return segs


def generate_850(path: Path, transactions: int, per_interchange: int = 1000, seed: int = 850) -> Generated:
    """Write ``transactions`` 850s (one group per interchange, ``per_interchange`` sets each)."""
    rng = random.Random(seed)
    catalog = Catalog.make(rng)
    sep = TERMINATOR + SUFFIX
    segments = 0
    done = 0
    ix = 0
    with open(path, "w", encoding="ascii", newline="") as out:
        while done < transactions:
            ix += 1
            n = min(per_interchange, transactions - done)
            block = [_isa(ix, "ACMERETAIL", "WIDGETCO"), f"GS*PO*ACMERETAIL*WIDGETCO*20240311*0915*{ix}*X*004010VICS"]
            for k in range(n):
                done += 1
                lines = rng.randint(16, 24)  # about 20 lines per order
                block += purchase_order(rng, catalog, f"{k + 1:04d}", done, lines)
                if len(block) > 20000:
                    out.write(sep.join(block) + sep)
                    segments += len(block)
                    block = []
            block += [f"GE*{n}*{ix}", f"IEA*1*{ix:09d}"]
            out.write(sep.join(block) + sep)
            segments += len(block)
    return Generated(path, transactions, segments, path.stat().st_size)


# ---------------------------------------------------------------------------
# the measured steps: each returns (segments seen, check); ``check()`` runs after
# the clock stops and returns a problem description or None


def step_split(path: Path, expected: Generated) -> tuple[int, str | None]:
    with open(path, "rb") as f:
        head = f.read(108).decode("latin-1")
        f.seek(0)
        es, term = head[3], head[105]
        suffix = "\r\n" if head[106:108] == "\r\n" else (head[106] if head[106:107] in ("\r", "\n") else "")
        sep = term + suffix
        n = 0
        carry = ""
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            pieces = (carry + chunk.decode("latin-1")).split(sep)
            carry = pieces.pop()
            for seg in pieces:
                seg.split(es)
            n += len(pieces)
        if carry.strip():
            n += 1
    return n, lambda: None if n == expected.segments else f"split {n} segments, expected {expected.segments}"


def step_ours_parse(path: Path, expected: Generated) -> tuple[int, str | None]:
    from gateway.formats.x12 import iter_segments

    n = 0
    for _ in iter_segments(path):
        n += 1
    return n, lambda: None if n == expected.segments else f"iter_segments gave {n} segments, expected {expected.segments}"


def step_ours_validate(path: Path, expected: Generated, memo: bool = True) -> tuple[int, str | None]:
    from gateway.formats.x12 import AckNumbers, SpecLibrary, Validator, acknowledge_report

    report = Validator(SpecLibrary([SPEC_DIR]), memo=memo).validate(path)
    ack = acknowledge_report(report, AckNumbers(now=_FIXED_NOW))
    segs = sum(t.segment_count for i in report.interchanges for g in i.groups for t in g.transactions) + 4 * len(report.interchanges)
    return segs, lambda: _check_ours(report, ack, segs, expected)


def step_ours_validate_no_memo(path: Path, expected: Generated) -> tuple[int, str | None]:
    return step_ours_validate(path, expected, memo=False)


def memo_hit_rate(path: Path) -> float:
    """Share of segments whose exact text was already seen at the same segment ID (what the memo can save)."""
    seen: dict[str, set[str]] = {}
    hits = total = 0
    with open(path, encoding="latin-1") as f:
        for seg in f.read().split("~\n"):
            tag = seg.split("*", 1)[0]
            known = seen.setdefault(tag, set())
            total += 1
            if seg in known:
                hits += 1
            elif len(known) < 4096:
                known.add(seg)
    return hits / total if total else 0.0


def _check_ours(report, ack: str, segs: int, expected: Generated) -> str | None:
    txs = report.transactions()
    problems = []
    if not report.ok:
        problems.append("report.ok is False")
    bad = [t for t in txs if t.status != "accepted"]
    if bad:
        t = bad[0]
        problems.append(f"{len(bad)} sets not accepted, first {t.set_id} {t.control_number}: "
                        + "; ".join(f"{f.code} {f.message}" for f in t.findings[:3]))
    if len(txs) != expected.transactions:
        problems.append(f"{len(txs)} transaction sets, expected {expected.transactions}")
    problems += _check_997(ack, expected.transactions, "ours")
    if segs != expected.segments:  # ST..SE as counted, + ISA GS GE IEA (one group per interchange)
        problems.append(f"validator counted {segs} segments, expected {expected.segments}")
    return "; ".join(problems) or None


def step_pyx12_read(path: Path, expected: Generated) -> tuple[int, str | None]:
    import pyx12.x12file

    n = 0
    with pyx12.x12file.X12Reader(str(path)) as src:
        for _ in src:
            n += 1
    return n, lambda: None if n == expected.segments else f"X12Reader gave {n} segments, expected {expected.segments}"


def step_pyx12_validate(path: Path, expected: Generated) -> tuple[int, str | None]:
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    n = 0

    def count(*_args) -> None:
        nonlocal n
        n += 1

    ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), str(path), out, None, None, map_path=str(SPEC_DIR), callback=count)

    def check() -> str | None:
        problems = [] if ok else ["x12n_document returned False (errors found)"]
        problems += _check_997(out.getvalue(), expected.transactions, "pyx12")
        if n != expected.segments:
            problems.append(f"pyx12 walked {n} segments, expected {expected.segments}")
        return "; ".join(problems) or None

    return n, check


def _check_997(text: str, transactions: int, who: str) -> list[str]:
    # Both writers end segments with "~" (pyx12 may add a newline); count AK5/AK9 codes.
    segs = [s.strip() for s in text.split("~")]
    ak5 = [s for s in segs if s.startswith("AK5*")]
    ak9 = [s for s in segs if s.startswith("AK9*")]
    out = []
    if len(ak5) != transactions or any(s != "AK5*A" for s in ak5):
        out.append(f"{who} 997: {sum(s == 'AK5*A' for s in ak5)} of {len(ak5)} AK5 accepted, expected {transactions}")
    if not ak9 or any(not s.startswith("AK9*A*") for s in ak9):
        out.append(f"{who} 997: AK9 not all accepted ({ak9[:2]})")
    return out


_FIXED_NOW = None  # set in main (a fixed timestamp keeps ack text identical between runs)

# ---------------------------------------------------------------------------
# timing and report


@dataclass
class Result:
    key: str
    label: str
    gen: Generated
    times: list[float]
    segments: int

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def rate(self, t: float) -> float:
        return self.segments / t


def measure(key: str, label: str, fn: Callable[[Path, Generated], tuple[int, Callable[[], str | None]]], gen: Generated, repeat: int) -> Result:
    times = []
    segs = 0
    for r in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        segs, check = fn(gen.path, gen)
        dt = time.perf_counter() - t0
        problem = check()
        del check
        if problem:
            raise BrokenRun(f"({key}) {label}, run {r + 1}: {problem}")
        times.append(dt)
        print(f"  ({key}) run {r + 1}/{repeat}: {dt:8.3f} s  {segs / dt:>12,.0f} seg/s", file=sys.stderr, flush=True)
    return Result(key, label, gen, times, segs)


class BrokenRun(Exception):
    pass


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def print_table(results: list[Result], files: dict[str, Generated]) -> None:
    names = {id(g): name for name, g in files.items()}
    print()
    print("Input files")
    for name, g in files.items():
        print(f"  {name:<6} {g.transactions:>8,} transaction sets  {g.segments:>11,} segments  {g.size / 1e6:>9.1f} MB")
    print()
    head = f"{'step':<52} {'file':<6} {'runs':>4} {'best s':>9} {'median s':>9} {'best seg/s':>13} {'median seg/s':>13} {'best MB/s':>9}"
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{'(' + r.key + ') ' + r.label:<52} {names[id(r.gen)]:<6} {len(r.times):>4} {r.best:>9.3f} {r.median:>9.3f} "
              f"{_fmt_rate(r.rate(r.best)):>13} {_fmt_rate(r.rate(r.median)):>13} {r.gen.size / 1e6 / r.best:>9.1f}")
    print()


def main(argv: list[str] | None = None) -> int:
    global _FIXED_NOW
    from datetime import datetime

    _FIXED_NOW = datetime(2024, 3, 11, 9, 15, tzinfo=UTC)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transactions", type=int, default=70000,
                    help="850s in the main file (default 70000: about 135 MB, 4.1 million segments, so (a) takes about 1 s)")
    ap.add_argument("--pyx12-transactions", type=int, default=None,
                    help="850s in the file pyx12 reads (default: transactions/50, at least 100)")
    ap.add_argument("--per-interchange", type=int, default=1000, help="transaction sets per interchange/group (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each step; best and median are reported (default 3)")
    ap.add_argument("--keep", type=Path, help="write the main file here and keep it (the pyx12 file goes next to it as FILE.pyx12)")
    ap.add_argument("--skip-pyx12", action="store_true", help="do not run (b) and (c)")
    args = ap.parse_args(argv)
    if args.transactions < 1 or args.repeat < 1:
        ap.error("--transactions and --repeat must be at least 1")
    small_n = args.pyx12_transactions or max(100, args.transactions // 50)

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    tmp = tempfile.TemporaryDirectory(prefix="x12bench-")
    try:
        base = args.keep if args.keep else Path(tmp.name) / "po-850.x12"
        t0 = time.perf_counter()
        main_file = generate_850(base, args.transactions, args.per_interchange)
        files = {"main": main_file}
        print(f"generated {main_file.path} ({main_file.size / 1e6:.1f} MB, {main_file.segments:,} segments) "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        small = None
        if not args.skip_pyx12:
            small_path = base.with_name(base.name + ".pyx12") if args.keep else Path(tmp.name) / "po-850-small.x12"
            small = generate_850(small_path, small_n, args.per_interchange)
            files["pyx12"] = small
            print(f"generated {small.path} ({small.size / 1e6:.1f} MB, {small.segments:,} segments) for pyx12", file=sys.stderr)

        results: list[Result] = []
        try:
            results.append(measure("a", "str.split (1 MiB chunks, segments+elements)", step_split, main_file, args.repeat))
            results.append(measure("d", "ours: iter_segments (parse only)", step_ours_parse, main_file, args.repeat))
            results.append(measure("e", "ours: validate + 997 (Validator, acknowledge)", step_ours_validate, main_file, args.repeat))
            results.append(measure("f", "ours: (e) without the segment memo", step_ours_validate_no_memo, main_file, args.repeat))
            if small is not None:
                results.append(measure("b", "pyx12: X12Reader (parse only)", step_pyx12_read, small, args.repeat))
                results.append(measure("c", "pyx12: x12n_document validate + 997", step_pyx12_validate, small, args.repeat))
                results.append(measure("e", "ours: validate + 997 (pyx12's file)", step_ours_validate, small, args.repeat))
        except BrokenRun as exc:
            print(f"\nBROKEN RUN: {exc}", file=sys.stderr)
            return 2

        by = {(r.key, id(r.gen)): r for r in results}
        import gateway

        print(f"\nengine: {engine_version()} (imported from {Path(gateway.__file__).parent})")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best and median of {args.repeat} runs per step")
        print_table(results, files)

        failed = False
        a, e = by[("a", id(main_file))], by[("e", id(main_file))]
        d = by[("d", id(main_file))]
        print("Ratios (same run)")
        ratio = e.best / a.best
        ratio_med = e.median / a.median
        ok = ratio <= TARGET_VS_SPLIT
        failed |= not ok
        print(f"  time(e)/time(a), ours validate+ack vs str.split:     best {ratio:6.2f}x   median {ratio_med:6.2f}x   "
              f"target <= {TARGET_VS_SPLIT:g}x  {'PASS' if ok else 'FAIL'}")
        f_ = by[("f", id(main_file))]
        print(f"  time(f)/time(a), same without the segment memo:      best {f_.best / a.best:6.2f}x   median {f_.median / a.median:6.2f}x   "
              f"(info: {memo_hit_rate(main_file.path):.0%} of this file's segments repeat an earlier one exactly)")
        print(f"  time(d)/time(a), ours parse vs str.split:            best {d.best / a.best:6.2f}x   median {d.median / a.median:6.2f}x   (info)")
        if small is not None:
            b, c = by[("b", id(small))], by[("c", id(small))]
            e_small = by[("e", id(small))]
            speed = e.rate(e.best) / c.rate(c.best)
            speed_med = e.rate(e.median) / c.rate(c.median)
            ok = speed >= TARGET_VS_PYX12
            failed |= not ok
            print(f"  rate(e)/rate(c), ours validate+ack vs pyx12 validate: best {speed:6.1f}x   median {speed_med:6.1f}x   "
                  f"target >= {TARGET_VS_PYX12:g}x  {'PASS' if ok else 'FAIL'}")
            print(f"    same as above, both on pyx12's file:               best {e_small.rate(e_small.best) / c.rate(c.best):6.1f}x   "
                  f"median {e_small.rate(e_small.median) / c.rate(c.median):6.1f}x   (info)")
            print(f"  rate(d)/rate(b), ours parse vs pyx12 X12Reader:      best {d.rate(d.best) / b.rate(b.best):6.1f}x   "
                  f"median {d.rate(d.median) / b.rate(b.median):6.1f}x   (info)")
        else:
            print("  (e) vs (c): skipped (--skip-pyx12)")
        print()
        print("Checks: every run counted the expected segments; every transaction set was accepted by each validator "
              "and every AK5 in each 997 is A.")
        if args.keep:
            print(f"kept: {', '.join(str(g.path) for g in files.values())}")
        return 1 if failed else 0
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
