#!/usr/bin/env python3
"""Peak memory of the commands on large 856 files: many sets, and one huge set.

Generates (in bulk, a few seconds each) two 005010 ship-notice files from the sample partner
widget-supply (ISA WIDGETSUPPLY to WIDGETCO):

  many-sets   ``--size-mb`` MB of ordinary 856s (shipment, 1-3 orders, 1-4 packs each, 1-4 items a pack),
              1,000 sets per interchange;
  single-set  one 856 set of ``--size-mb`` MB (thousands of orders): over the map's 200,000 HL loops, and
              over the validator's ``MAX_SET_BYTES``, so it is rejected (``transaction.too_large``, and
              ``loop.max_exceeded`` for every HL loop after the 200,000th, of which the first 1,000 are kept).

and runs, each in a fresh process, measured by a small Python in between (so that no parent's peak RSS
leaks into the child's, which Linux would carry across fork and exec):

  validate    ``gateway validate FILE`` (stdout to a file)
  translate   ``gateway translate FILE`` (stdout to /dev/null)
  serve       ``gateway --home H serve --once`` on a fresh demo home with FILE in widget-supply's drop folder

reporting wall time, the exit status, the peak RSS (``ru_maxrss`` of the gateway process and the workers it
waited for) and, for serve, what ``gateway status --json`` says happened. MB is 10^6 bytes. Target: under
250 MB for each command and file.

    python benchmarks/hostile_memory.py                       # 200 MB files, every command
    python benchmarks/hostile_memory.py --size-mb 50 --only validate,translate --keep /tmp/hostile
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, engine_version, gateway_command

MB = 1_000_000
TARGET_MB = 250.0
PARTNER = "widget-supply"
TERM = "~\n"
ISA = "ISA*00*          *00*          *ZZ*WIDGETSUPPLY   *ZZ*WIDGETCO       *240321*1530*^*00501*{:09d}*0*P*:"
GS = "GS*SH*WIDGETSUPPLY*WIDGETCO*20240321*1530*{}*X*005010VICS"
_NOUNS = ["WIDGET", "GADGET", "SPROCKET", "BRACKET", "HINGE", "LATCH", "KNOB", "LAMP"]


def _check_digit(body: str) -> str:
    odd = sum(int(c) for c in body[-1::-2])
    even = sum(int(c) for c in body[-2::-2])
    return str((10 - (odd * 3 + even) % 10) % 10)


def _upc(rng: random.Random) -> str:
    body = "0" + str(rng.randrange(10**9, 10**10))
    return body + _check_digit(body)


def _item(rng: random.Random, line: int) -> list[str]:
    """An item level's segments after its HL: each differs, as real ones do (the validator's memo must earn its keep)."""
    noun = rng.choice(_NOUNS)
    return [f"LIN*{line}*UP*{_upc(rng)}*VN*{noun[:3]}-{rng.randrange(100, 999)}", f"SN1**{rng.choice((6, 12, 24))}*EA",
            f"PID*F****{noun} {rng.randrange(1, 99)} OZ", f"REF*LT*LOT{rng.randrange(10**5, 10**6)}", f"DTM*036*2026{rng.randrange(1, 13):02d}15"]


def _shipment_head(n: int) -> list[str]:
    return [f"BSN*00*SHP{n:09d}*20240321*1530*0001", "DTM*011*20240321*1530", "HL*1**S*1", "TD1*CTN25*2****G*45.6*LB",
            "TD5**2*UPSN*U*UPS GROUND", f"REF*BM*BOL{n:09d}", "N1*ST*ACME STORE 0423*92*0423", "N3*1200 MARKET STREET",
            "N4*NASHVILLE*TN*37203*US", "N1*SF*WIDGET SUPPLY CO DC*92*DC01", "N4*MEMPHIS*TN*38118*US"]


def _orders(rng: random.Random, hl: int, orders: int, packs: int, items: int) -> tuple[list[str], int]:
    body: list[str] = []
    for _ in range(orders):
        hl += 1
        order = hl
        body += [f"HL*{order}*1*O*1", f"PRF*PO{rng.randrange(10**7, 10**8)}***20240315"]
        for _ in range(packs):
            hl += 1
            pack = hl
            serial = f"0614141{rng.randrange(10**9):09d}0"
            body += [f"HL*{pack}*{order}*P*1", "PO4*1***CTN25", f"MAN*GM*00{serial}{_check_digit(serial)}"]
            for line in range(1, items + 1):
                hl += 1
                body += [f"HL*{hl}*{pack}*I*0", *_item(rng, line)]
    return body, hl


def _set(rng: random.Random, n: int, control: str) -> list[str]:
    body, hl = _orders(rng, 1, rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 4))
    segs = [f"ST*856*{control}*005010VICS", *_shipment_head(n), *body, f"CTT*{hl}"]
    return segs + [f"SE*{len(segs) + 1}*{control}"]


def generate_many_sets(path: Path, size_mb: float, seed: int = 856) -> tuple[int, int]:
    """Ordinary 856s until ``path`` holds ``size_mb`` MB: a pool of sets written again with new control numbers."""
    rng = random.Random(seed)
    pool = [TERM.join(_set(rng, n, "{ctl}")[1:-1]) + TERM for n in range(500)]  # without ST/SE: numbered on writing
    counts = [p.count(TERM) + 2 for p in pool]
    target = int(size_mb * MB)
    written = sets = 0
    with open(path, "w", encoding="ascii", newline="") as out:
        ix = 0
        while written < target:
            ix += 1
            chunk = [ISA.format(ix) + TERM, GS.format(ix) + TERM]
            n = 0
            while n < 1000 and written + sum(map(len, chunk)) < target:
                n += 1
                k = (sets + n) % len(pool)
                ctl = f"{n:04d}"
                chunk.append(f"ST*856*{ctl}*005010VICS{TERM}{pool[k]}SE*{counts[k]}*{ctl}{TERM}")
            chunk.append(f"GE*{n}*{ix}{TERM}IEA*1*{ix:09d}{TERM}")
            text = "".join(chunk)
            out.write(text)
            written += len(text)
            sets += n
    return sets, written


def generate_single_set(path: Path, size_mb: float, seed: int = 857) -> tuple[int, int]:
    """One 856 set of ``size_mb`` MB: orders of 4 packs of 4 items, written 1 MB at a time."""
    rng = random.Random(seed)
    target = int(size_mb * MB)
    head = [ISA.format(1), GS.format(1), "ST*856*0001*005010VICS", *_shipment_head(1)]
    segments = len(head) - 2
    written = 0
    hl = 1
    with open(path, "w", encoding="ascii", newline="") as out:
        text = TERM.join(head) + TERM
        out.write(text)
        written += len(text)
        while written < target - 1000:
            block: list[str] = []
            while len(block) < 20_000:
                body, hl = _orders(rng, hl, 1, 4, 4)
                block += body
            text = TERM.join(block) + TERM
            out.write(text)
            written += len(text)
            segments += len(block)
        tail = [f"CTT*{hl}", f"SE*{segments + 2}*0001", "GE*1*1", "IEA*1*000000001"]
        text = TERM.join(tail) + TERM
        out.write(text)
        written += len(text)
    return 1, written


# ---------------------------------------------------------------------------
# measuring

MEASURE = """
import os, subprocess, sys, time
with open(sys.argv[1], "wb") as sink, open(sys.argv[2], "wb") as err:
    t0 = time.perf_counter()
    proc = subprocess.Popen(sys.argv[3:], stdout=sink, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - t0)
"""


def measured(args: list[str], stdout: Path, stderr: Path) -> dict:
    """Run ``args`` under the measuring Python: exit status, peak RSS in MB, seconds."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(stdout), str(stderr), *args], capture_output=True, text=True, check=True)
    code, kib, seconds = done.stdout.split()
    return {"code": int(code), "peak_mb": int(kib) * 1024 / MB, "seconds": float(seconds)}


def fresh_home(root: Path) -> Path:
    from gateway.workdir import demo_home

    demo_home(root, ROOT)
    return root


def run_serve(file: Path, work: Path) -> dict:
    home = fresh_home(work / "home")
    inbound = home / "inbound" / PARTNER
    shutil.copyfile(file, inbound / ".incoming")
    os.replace(inbound / ".incoming", inbound / file.name)
    gw = gateway_command()
    result = measured([*gw, "--home", str(home), "serve", "--once"], work / "serve.out", work / "serve.err")
    status = json.loads(subprocess.run([*gw, "--home", str(home), "status", "--json"], capture_output=True, text=True).stdout or "{}")
    result["outcome"] = {"transactions": status.get("transactions"), "quarantine": status.get("quarantine", {}).get("open")}
    quarantined = subprocess.run([*gw, "--home", str(home), "quarantine", "list", "--json"], capture_output=True, text=True).stdout
    result["quarantine_codes"] = sorted({q.get("code") for q in json.loads(quarantined or "[]")})
    shutil.rmtree(home)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=200.0, help="size of each generated file in MB (default 200)")
    ap.add_argument("--only", default="validate,translate,serve", help="commands to measure, comma-separated")
    ap.add_argument("--files", default="many-sets,single-set", help="files to measure them on, comma-separated")
    ap.add_argument("--keep", type=Path, help="write the files (and the commands' output) here and keep them")
    ap.add_argument("--tmpdir", type=Path, help="directory for the temporary files (default: the system temp dir)")
    args = ap.parse_args(argv)
    commands = args.only.split(",")
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="hostile-", dir=args.tmpdir)
    work = args.keep or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    generators = {"many-sets": generate_many_sets, "single-set": generate_single_set}
    rows = []
    try:
        for name in args.files.split(","):
            path = work / f"856-{name}.x12"
            t0 = time.perf_counter()
            sets, size = generators[name](path, args.size_mb)
            print(f"generated {path}: {size / MB:.1f} MB, {sets:,} set(s) in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
            gw = gateway_command()
            for command in commands:
                if command == "validate":
                    r = measured([*gw, "validate", str(path)], work / f"{name}.validate.out", work / f"{name}.validate.err")
                elif command == "translate":
                    r = measured([*gw, "translate", str(path)], Path(os.devnull), work / f"{name}.translate.err")
                elif command == "serve":
                    r = run_serve(path, work)
                else:
                    raise SystemExit(f"unknown command {command}")
                r.update(file=name, command=command, size_mb=size / MB, sets=sets)
                rows.append(r)
                print(f"  {name} {command}: exit {r['code']}, {r['seconds']:.1f} s, peak RSS {r['peak_mb']:.1f} MB"
                      + (f", {r['outcome']}, quarantined {r['quarantine_codes']}" if "outcome" in r else ""), file=sys.stderr, flush=True)
            if not args.keep:
                path.unlink()
    finally:
        if tmp is not None:
            tmp.cleanup()
    print()
    print(f"engine: {engine_version()}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs; MB = 10^6 bytes; one fresh process per row")
    print()
    head = f"{'file':<12} {'MB':>6} {'sets':>8} {'command':<10} {'exit':>4} {'seconds':>8} {'peak RSS MB':>12} {'target':>7}  result"
    print(head)
    print("-" * len(head))
    over = False
    for r in rows:
        ok = r["peak_mb"] < TARGET_MB
        over |= not ok
        print(f"{r['file']:<12} {r['size_mb']:>6.0f} {r['sets']:>8,} {r['command']:<10} {r['code']:>4} {r['seconds']:>8.1f} {r['peak_mb']:>12.1f} "
              f"{'<' + format(TARGET_MB, 'g'):>7}  {'PASS' if ok else 'OVER'}"
              + (f"  ({r['outcome']}, quarantined {r['quarantine_codes']})" if "outcome" in r else ""))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
