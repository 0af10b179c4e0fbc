"""Translation throughput: 850s with 20 lines, parse + validate + map + schema check, on one core.

    python benchmarks/translate_throughput.py [--transactions N] [--repeat N]

Generates 004010 850 purchase orders with exactly 20 lines each (the same
generator as x12_throughput.py), then times ``Translator.translate`` on the
file: every set is validated, laid out as a loop tree, mapped with
``mappings/default/850-004010-in.yaml`` and checked against the canonical
schema. Prints transaction sets per second next to the parse/validate figures
of the same file, and checks every document came out without issues.
Target: at least 3,000 850s per second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, engine_version
from x12_throughput import Catalog, _isa, purchase_order

TARGET = 3000.0


def generate(path: Path, transactions: int, lines: int = 20, seed: int = 850) -> int:
    rng = random.Random(seed)
    catalog = Catalog.make(rng)
    segments = 0
    per = 1000
    with open(path, "w", encoding="latin-1", newline="") as out:
        done = 0
        ix = 0
        while done < transactions:
            ix += 1
            n = min(per, transactions - done)
            block = [_isa(ix, "ACMERETAIL", "WIDGETCO"), f"GS*PO*ACMERETAIL*WIDGETCO*20240311*0915*{ix}*X*004010"]
            for k in range(n):
                done += 1
                block += purchase_order(rng, catalog, f"{k + 1:04d}", done, lines)
            block += [f"GE*{n}*{ix}", f"IEA*1*{ix:09d}"]
            segments += len(block)
            out.write("~\n".join(block) + "~\n")
    return segments


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transactions", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from gateway.formats.x12 import Validator
    from gateway.translate import Translator

    with tempfile.TemporaryDirectory(prefix="translate-bench-") as tmp:
        path = Path(tmp) / "po-850-20-lines.x12"
        segments = generate(path, args.transactions)
        print(f"input: {args.transactions:,} 850s with 20 lines, {segments:,} segments, {path.stat().st_size / 1e6:.1f} MB")

        def validate() -> None:
            report = Validator().validate(path)
            assert report.ok

        def translate() -> None:
            # As the pipeline consumes them: one document at a time, checked and let go.
            result, documents = Translator([ROOT / "mappings"]).stream(path)
            count = bad = 0
            first = None
            for d in documents:
                count += 1
                if not d.ok or d.issues or d.document.get("document_type") != "purchase_order":
                    bad += 1
                    first = first or d.issues[:3]
            if count != args.transactions or bad:
                raise SystemExit(f"BROKEN RUN: {count} documents, {bad} with issues, e.g. {first or result.notes}")

        rows = []
        for label, fn in (("validate + ack-ready report (Validator)", validate), ("translate: validate + map + schema check", translate)):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            rows.append((label, min(times), statistics.median(times)))

        print(f"engine: {engine_version()}; python {sys.version.split()[0]}; best and median of {args.repeat} runs")
        print(f"{'step':<44} {'best s':>8} {'median s':>9} {'850s/s best':>12} {'850s/s median':>14}")
        for label, best, med in rows:
            print(f"{label:<44} {best:8.3f} {med:9.3f} {args.transactions / best:12,.0f} {args.transactions / med:14,.0f}")
        rate = args.transactions / rows[1][1]
        ok = rate >= TARGET
        print(f"\ntranslation: {rate:,.0f} 850s/second (best), target >= {TARGET:,.0f}: {'PASS' if ok else 'FAIL'}")
        print("checks: every 850 became a purchase_order with no issue")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
