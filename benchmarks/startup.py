"""Start-up: how long short ``gateway`` commands take as whole processes, start to exit.

    python benchmarks/startup.py [--runs N] [--warmup W]

Measures, each as a fresh process, one warm-up then N counted runs (taken in turn, so that a
slow moment of the machine spreads over all commands rather than hitting one):

    gateway --version
    gateway validate samples/x12/850-004010-retail-replenishment-order.x12
    gateway translate samples/x12/850-004010-retail-replenishment-order.x12   (in an empty home: default specs)
    gateway --home <a fresh home made by gateway init> status

and prints the median and minimum wall time and CPU time (user + system) of each. Wall time is
what a user waits; on a shared, loaded machine it grows while CPU time does not, so both are shown,
with the load average. The gateway package is byte-compiled first, as ``pip install`` does (an
editable checkout run with PYTHONDONTWRITEBYTECODE would otherwise compile every module on every
start).

Target: ``gateway validate`` of a one-PO file in at most 150 ms wall (median). Exit status 0 when it
is met, 1 when not (the other figures are for information).
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, engine_version, gateway_command

SAMPLE = ROOT / "samples" / "x12" / "850-004010-retail-replenishment-order.x12"
TARGET = 0.150  # seconds, gateway validate, median wall


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    code = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15, help="counted runs of each command (default 15)")
    parser.add_argument("--warmup", type=int, default=1, help="runs of each command not counted, first (default 1)")
    opts = parser.parse_args()

    import gateway

    package = Path(gateway.__file__).resolve().parent
    compileall.compile_dir(str(package), quiet=1)
    gw = gateway_command()
    env = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_HOME", "GATEWAY_STORE_URL")}
    with tempfile.TemporaryDirectory(prefix="gateway-startup-") as tmp:
        work = Path(tmp)
        home, empty = work / "home", work / "empty"
        if subprocess.run(gw + ["init", str(home)], env=env, cwd=work, capture_output=True, check=False).returncode != 0:
            print("gateway init failed", file=sys.stderr)
            return 2
        subprocess.run(gw + ["init", str(empty)], env=env, cwd=work, capture_output=True, check=True)
        commands = {
            "gateway --version": gw + ["--version"],
            "gateway validate <one 850>": gw + ["validate", str(SAMPLE)],
            "gateway translate <one 850>": gw + ["--home", str(empty), "translate", str(SAMPLE)],
            "gateway status (fresh home)": gw + ["--home", str(home), "status"],
        }
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for run in range(opts.warmup + opts.runs):
            for name, command in commands.items():
                wall, cpu, code = timed(command, env, work)
                if code != 0:
                    print(f"{name}: exited {code}", file=sys.stderr)
                    return 2
                if run >= opts.warmup:
                    walls[name].append(wall)
                    cpus[name].append(cpu)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"gateway start-up, {opts.runs} runs each after {opts.warmup} warm-up; engine {engine_version()}; "
          f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs, load average {load:.1f}; command: {' '.join(gw)}")
    print(f"{'command':<30} {'wall median':>12} {'wall min':>9} {'cpu median':>11} {'cpu min':>8}")
    for name in commands:
        w, c = walls[name], cpus[name]
        print(f"{name:<30} {statistics.median(w) * 1000:>9.0f} ms {min(w) * 1000:>6.0f} ms "
              f"{statistics.median(c) * 1000:>8.0f} ms {min(c) * 1000:>5.0f} ms")
    validate = statistics.median(walls["gateway validate <one 850>"])
    verdict = "met" if validate <= TARGET else "missed"
    print(f"target: gateway validate at most {TARGET * 1000:.0f} ms wall (median): {verdict} ({validate * 1000:.0f} ms)")
    return 0 if validate <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
