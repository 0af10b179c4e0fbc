"""Pipeline throughput: 850s from a drop folder to the folder connector, end to end, as a real ``gateway serve --once``.

    python benchmarks/pipeline_throughput.py [--files F] [--per-file T] [--lines L] [--db sqlite|postgresql|all]
                                             [--workers 1,2] [--repeat N] [--no-fsync] [--profile]

Builds a fresh home for every run (the demo home of ``gateway demo`` reduced to the
acme-retail partner: its drop folder ``inbound/acme-retail/`` and a folder route for
``purchase_order`` to ``erp/purchase_order/``), migrates its store with ``gateway init``
(PostgreSQL: a schema of its own, dropped afterwards), then drops F files of T 004010
850s each (L lines, the generator of x12_throughput.py; each file its own interchange with
a distinct ISA13, every PO number distinct; written under a temporary name and renamed)
and times ``gateway --home H serve --once [--workers N]`` from start to exit. The whole
pipeline runs: store, envelope check and Acme's validation overlay, 997 to
``outbound/acme-retail/``, mapping, canonical schema check, delivery (one JSON file per 850,
made durable as the folder connector does by default; ``--no-fsync`` sets its ``fsync: false``).

The time includes starting Python and the gateway. That start-up is measured separately
(``serve --once`` on the same, migrated home with an empty drop folder, just before the
loaded run) and the rate without it is shown too. After every run ``gateway status --json``
must show every 850 delivered and nothing quarantined, and ``erp/purchase_order/`` must hold
one file per 850; otherwise the run is reported as broken.

``--profile`` instead runs ``Gateway(home).serve(once=True)`` in this process, one worker (SQLite,
or PostgreSQL with ``--db postgresql``), twice: under a stack sampler (wall-clock shares by stage and
the innermost frames, nothing traced) and under cProfile (hot spots by cumulative and self time,
call counts), each on a fresh home and checked like the timed runs.

Target: at least 1,000 850s per second end to end on SQLite (best run, start-up included), shown
for each worker count; it is met when one of them reaches it. Exit status: 0 when the target is
met (or SQLite was not measured), 1 when it is missed, 2 when a run is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from bench_common import ROOT, engine_version, gateway_command
from x12_throughput import Catalog, _isa, purchase_order

TARGET = 1000.0
PARTNER = "acme-retail"
DOCUMENT = "purchase_order"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://127.0.0.1:5432/test")
STORE_URL_ENV = "GATEWAY_STORE_URL"


class BrokenRun(Exception):
    pass


# ---------------------------------------------------------------------------
# input


@dataclass(frozen=True)
class Batch:
    """The generated input: file name -> bytes."""

    files: dict[str, bytes]
    per_file: int
    lines: int

    @property
    def transactions(self) -> int:
        return len(self.files) * self.per_file

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.files.values())


def generate(files: int, per_file: int, lines: int, seed: int = 850) -> Batch:
    """``files`` interchanges (ISA13 = GS06 = file number) of ``per_file`` 850s; PO numbers run on across files."""
    rng = random.Random(seed)
    catalog = Catalog.make(rng)
    out = {}
    po = 0
    for ix in range(1, files + 1):
        block = [_isa(ix, "ACMERETAIL", "WIDGETCO"), f"GS*PO*ACMERETAIL*WIDGETCO*20240311*0915*{ix}*X*004010"]
        for k in range(per_file):
            po += 1
            block += purchase_order(rng, catalog, f"{k + 1:04d}", po, lines)
        block += [f"GE*{per_file}*{ix}", f"IEA*1*{ix:09d}"]
        out[f"po-{ix:05d}.x12"] = ("~\n".join(block) + "~\n").encode("ascii")
    return Batch(out, per_file, lines)


def drop(batch: Batch, inbound: Path) -> None:
    """Into the drop folder as a partner should: a temporary name, then a rename."""
    for name, data in batch.files.items():
        temp = inbound / f".{name}.tmp"
        temp.write_bytes(data)
        os.rename(temp, inbound / name)


def preflight(batch: Batch, home_root: Path) -> None:
    """The first file through Acme's profile in this process (overlay: BEG05, an N1 loop, BEG02 SA/NE): every 850
    must map cleanly, or the benchmark would measure quarantines."""
    from gateway.config.partner import Partners
    from gateway.home import Home
    from gateway.translate import ProfileDirectory, Translator

    home = Home(home_root, True, ROOT)
    name, data = next(iter(batch.files.items()))
    path = home_root / f"preflight-{name}"
    path.write_bytes(data)
    try:
        result, documents = Translator(home.mapping_roots(), ProfileDirectory(Partners(home))).stream(path, partner_id=PARTNER)
        count = 0
        for d in documents:
            count += 1
            if not d.ok or d.issues or d.document.get("document_type") != DOCUMENT:
                raise BrokenRun(f"generated 850 does not pass {PARTNER}'s profile: {d.issues[:3] or result.notes}")
        if count != batch.per_file:
            raise BrokenRun(f"preflight: {count} documents from {name}, expected {batch.per_file} ({result.notes})")
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# homes and stores


def make_home(root: Path, fsync: bool) -> Path:
    """The demo home with only acme-retail, whose single route is the purchase_order folder connector."""
    from gateway.config.yamlio import dump_yaml, parse_yaml
    from gateway.workdir import demo_home

    demo_home(root, ROOT)
    for profile in (root / "partners").glob("*.yaml"):
        if profile.stem != PARTNER:
            profile.unlink()
    for folder in ("inbound", "outbound"):
        for d in (root / folder).iterdir():
            if d.name != PARTNER:
                shutil.rmtree(d)
    path = root / "partners" / f"{PARTNER}.yaml"
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name).data
    routes = [r for r in data.get("routes") or [] if r.get("document") == DOCUMENT]
    if len(routes) != 1 or routes[0].get("connector") != "folder":
        raise BrokenRun(f"the demo home's {PARTNER} profile has no single folder route for {DOCUMENT}: {data.get('routes')}")
    routes[0]["options"]["fsync"] = fsync
    data["routes"] = routes
    path.write_text(dump_yaml(data), encoding="utf-8")
    return root


@contextmanager
def store_env(db: str, tag: str, keep: bool) -> Iterator[dict[str, str]]:
    """The environment for the gateway processes: SQLite in the home, or a fresh PostgreSQL schema (dropped after)."""
    env = {k: v for k, v in os.environ.items() if k not in (STORE_URL_ENV, "GATEWAY_HOME")}
    if db == "sqlite":
        yield env
        return
    from sqlalchemy import create_engine, text

    schema = f"bench_pipeline_{os.getpid()}_{tag}"
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        env[STORE_URL_ENV] = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        yield env
    finally:
        if not keep:
            with engine.begin() as c:
                c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@dataclass(frozen=True)
class Ran:
    seconds: float  # from start to exit
    cpu: float  # user + system seconds of the process and the worker processes it waited for
    code: int
    stdout: str


def run_gateway(args: list[str], env: dict[str, str], log: Path | None = None) -> Ran:
    """Run ``gateway ARGS``; stderr (the log) goes to ``log``."""
    with open(log if log is not None else os.devnull, "ab") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(gateway_command() + args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, check=False)
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Ran(seconds, cpu, proc.returncode, proc.stdout.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------
# checks


def verify(home: Path, env: dict[str, str], batch: Batch) -> list[str]:
    """What is wrong after a run (empty when every 850 was delivered exactly once and nothing else happened)."""
    ran = run_gateway(["--home", str(home), "status", "--json"], env)
    if ran.code != 0:
        return [f"gateway status --json exited {ran.code}"]
    s = json.loads(ran.stdout)
    n, f = batch.transactions, len(batch.files)
    problems = []
    want = [("transactions", "delivered", n), ("transactions", "quarantined", 0), ("transactions", "received", 0),
            ("transactions", "translated", 0), ("deliveries", "delivered", n), ("deliveries", "pending", 0),
            ("deliveries", "quarantined", 0), ("receipts", "processed", f), ("receipts", "quarantined", 0),
            ("receipts", "duplicate", 0), ("quarantine", "open", 0), ("acks", "written", f), ("acks", "pending", 0),
            ("work", "ready", 0), ("work", "claimed", 0), ("work", "waiting", 0)]
    for section, key, expected in want:
        got = s.get(section, {}).get(key)
        if got != expected:
            problems.append(f"status {section}.{key} = {got}, expected {expected}")
    erp = home / "erp" / DOCUMENT
    delivered = [p for p in erp.iterdir() if p.is_file() and not p.name.startswith(".")] if erp.is_dir() else []
    if len(delivered) != n:
        problems.append(f"{len(delivered)} files in erp/{DOCUMENT}/, expected {n}")
    temps = [p.name for p in erp.iterdir() if p.name.startswith(".")] if erp.is_dir() else []
    if temps:
        problems.append(f"{len(temps)} temporary files left in erp/{DOCUMENT}/, e.g. {temps[0]}")
    acks = [p for p in (home / "outbound" / PARTNER).iterdir() if p.is_file() and not p.name.startswith(".")]
    if len(acks) != f:
        problems.append(f"{len(acks)} acknowledgements in outbound/{PARTNER}/, expected {f}")
    left = [p.name for p in (home / "inbound" / PARTNER).iterdir() if p.is_file()]
    if left:
        problems.append(f"{len(left)} files left in inbound/{PARTNER}/, e.g. {left[0]}")
    return problems


_STOPPED = re.compile(r"stopped: (\d+) files received, (\d+) work items done")


def work_split(log: Path, since: int) -> list[int]:
    """Work items done by each process of the last run (from its 'stopped:' log lines)."""
    with open(log, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return [int(m.group(2)) for m in _STOPPED.finditer(text)]


# ---------------------------------------------------------------------------
# runs


@dataclass
class Result:
    db: str
    workers: int
    files: int
    transactions: int
    times: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    startups: list[float] = field(default_factory=list)
    splits: list[list[int]] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best_cpu(self) -> float:
        return self.cpus[self.times.index(self.best)]

    @property
    def startup(self) -> float:
        return statistics.median(self.startups)

    @property
    def best_without_startup(self) -> float:
        return max(self.best - self.startup, 1e-9)


def one_run(db: str, workers: int, batch: Batch, tmp: Path, tag: str, fsync: bool, keep: bool) -> tuple[Ran, float, list[int], Path]:
    home = make_home(tmp / f"home-{tag}", fsync)
    log = home / "serve.log"
    with store_env(db, tag, keep) as env:
        ran = run_gateway(["--home", str(home), "init"], env, log)
        if ran.code != 0:
            raise BrokenRun(f"gateway init exited {ran.code}; see {log}")
        serve = ["--home", str(home), "serve", "--once", "--workers", str(workers)]
        empty = run_gateway(serve, env, log)  # an empty drop folder: start-up and shut-down only
        if empty.code != 0:
            raise BrokenRun(f"serve --once on an empty home exited {empty.code}; see {log}")
        drop(batch, home / "inbound" / PARTNER)
        mark = log.stat().st_size
        ran = run_gateway(serve, env, log)
        problems = [f"serve --once exited {ran.code}"] if ran.code != 0 else []
        problems += verify(home, env, batch)
        split = work_split(log, mark)
        if problems:
            raise BrokenRun(f"{db}, {workers} worker(s): " + "; ".join(problems) + f" (home kept: {home}, log {log})")
    if not keep:
        shutil.rmtree(home)
    return ran, empty.seconds, split, home


def measure(db: str, workers: int, batch: Batch, repeat: int, tmp: Path, fsync: bool, keep: bool) -> Result:
    r = Result(db, workers, len(batch.files), batch.transactions)
    for i in range(repeat):
        ran, startup, split, home = one_run(db, workers, batch, tmp, f"{db}_{workers}w_{i + 1}", fsync, keep)
        seconds = ran.seconds
        r.times.append(seconds)
        r.cpus.append(ran.cpu)
        r.startups.append(startup)
        r.splits.append(split)
        print(f"  {db:<10} {workers} worker(s) run {i + 1}/{repeat}: {seconds:7.2f} s  {batch.transactions / seconds:8,.0f} 850s/s  "
              f"(CPU {ran.cpu:.1f} s; start-up {startup:.2f} s; work items per process {split})" + (f"  kept {home}" if keep else ""),
              file=sys.stderr, flush=True)
    return r


def print_table(results: list[Result], repeat: int) -> None:
    head = (f"{'database':<11} {'workers':>7} {'files':>6} {'850s':>7} {'best s':>8} {'median s':>9} {'CPU s':>6} {'start-up s':>10} "
            f"{'files/s':>8} {'850s/s best':>12} {'850s/s median':>14} {'850s/s best w/o start-up':>25}")
    print(f"best and median of {repeat} runs; start-up: median of serve --once on an empty drop folder (same home, "
          "migrated store); CPU s: user + system time of the gateway processes in the best run")
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r.db:<11} {r.workers:>7} {r.files:>6,} {r.transactions:>7,} {r.best:>8.2f} {r.median:>9.2f} {r.best_cpu:>6.1f} {r.startup:>10.2f} "
              f"{r.files / r.best:>8.1f} {r.transactions / r.best:>12,.0f} {r.transactions / r.median:>14,.0f} "
              f"{r.transactions / r.best_without_startup:>25,.0f}")


# ---------------------------------------------------------------------------
# profile


_SYNCS = ("_syncfs", "_fsync_path", "_fsync_folder")

AREAS = [  # (area, test on (file, function name)); the first that matches takes the function's self time
    ("disk syncs: os.fsync, syncfs (deliveries, acks)", lambda f, n: n == "<built-in method posix.fsync>"
     or ("/gateway/connectors/" in f and n in _SYNCS)),
    ("sqlite3 / psycopg driver (queries, commits)", lambda f, n: "sqlite3" in n or "/psycopg" in f or "psycopg" in n),
    ("SQLAlchemy (statement building, caching, rows)", lambda f, n: "/sqlalchemy/" in f),
    ("gateway/store (store.py)", lambda f, n: "/gateway/store/" in f),
    ("X12 lex, parse, validate, loop tree (gateway/formats)", lambda f, n: "/gateway/formats/" in f),
    ("mapping (compiled specs, gateway/mapping, translate.py)", lambda f, n: f.startswith("<mapping") or "/gateway/mapping/" in f
     or f.endswith("/gateway/translate.py")),
    ("canonical schema check (compiled schema, gateway/canonical)", lambda f, n: f.startswith("<schema") or "/gateway/canonical/" in f
     or "/jsonschema" in f or "/referencing/" in f),
    ("JSON encode/decode", lambda f, n: "/json/" in f or "_json" in n),
    ("folder connector (gateway/connectors)", lambda f, n: "/gateway/connectors/" in f),
    ("drop-folder channel (gateway/channels)", lambda f, n: "/gateway/channels/" in f),
    ("pipeline (gateway/pipeline)", lambda f, n: "/gateway/pipeline/" in f),
    ("file system calls (open, write, rename, stat, ...)", lambda f, n: f == "~" and any(
        k in n for k in ("io.open", "write", "read", "posix.", "_io.", "close", "mkdir", "replace", "rename", "scandir"))),
    ("logging", lambda f, n: "/logging/" in f),
]

PARTS = [  # (part, test on the file): time inside the part, entered from outside it (parts can nest in one another)
    ("store: gateway/store with SQLAlchemy and the driver", lambda f: "/gateway/store/" in f),
    ("X12: envelope, parse, validate, 997 (gateway/formats)", lambda f: "/gateway/formats/" in f),
    ("mapping: compiled spec (gateway/mapping)", lambda f: f.startswith("<mapping") or "/gateway/mapping/" in f),
    ("canonical schema check (gateway/canonical)", lambda f: f.startswith("<schema") or "/gateway/canonical/" in f),
    ("delivery: folder connector, render, write, sync (gateway/connectors)", lambda f: "/gateway/connectors/" in f),
    ("receive: drop-folder channel (gateway/channels)", lambda f: "/gateway/channels/" in f),
]


def _area(key) -> str | None:
    f, _line, fn = key
    return next((a for a, test in AREAS if test(f, fn)), None)


def by_area(stats: dict) -> dict[str, float]:
    """Self time per area; builtins of no area of their own (dict.get, isinstance, ...) count for their callers' areas."""
    other = "other (interpreter, stdlib, watchdog, ...)"
    out: dict[str, float] = {}
    for key, (_cc, _nc, tt, _ct, callers) in stats.items():
        area = _area(key)
        if area is None and key[0] == "~" and callers:
            for caller, edge in callers.items():
                a = _area(caller) or other
                out[a] = out.get(a, 0.0) + edge[2]
            continue
        out[area or other] = out.get(area or other, 0.0) + tt
    return out


def by_part(stats: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for part, test in PARTS:
        out[part] = sum(edge[3] for key, (*_, callers) in stats.items() if test(key[0])
                        for caller, edge in callers.items() if not test(caller[0]))
    return out


class Sampler:
    """Wall-clock samples of the main thread's stack, taken from another thread about every ``interval`` seconds.

    Nothing is traced, so the gateway runs at nearly full speed and C calls (SQLite, fsync, waiting for
    PostgreSQL) weigh what they cost: the counterweight to cProfile, which slows Python calls far more
    than C calls. The sampler needs the GIL: it gets it at once while the gateway waits in a C call,
    but only at the next switch interval while it runs Python code; so each sample is weighted by the
    time since the previous one (the switch interval is lowered to ``interval`` meanwhile)."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.stacks: Counter[tuple[tuple[str, str], ...]] = Counter()  # (file, function), leaf first -> seconds
        self._stop = threading.Event()
        self._target = threading.main_thread().ident
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._switch = sys.getswitchinterval()

    @property
    def seconds(self) -> float:
        return sum(self.stacks.values())

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            f = sys._current_frames().get(self._target)
            now = time.perf_counter()
            stack = []
            while f is not None:
                stack.append((f.f_code.co_filename, f.f_code.co_name))
                f = f.f_back
            self.stacks[tuple(stack)] += now - last
            last = now
            del f

    def __enter__(self) -> Self:
        sys.setswitchinterval(self.interval)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)


STAGES = [  # (stage, test on a frame's (file, function)): a sample goes to the first stage with a frame on its stack
    ("store: queries and commits (gateway/store, SQLAlchemy, driver)", lambda f, n: "/gateway/store/" in f),
    ("delivery: folder connector (render, write, rename, syncfs)", lambda f, n: "/gateway/connectors/" in f),
    ("acks: writing the 997 files", lambda f, n: f.endswith("/gateway/pipeline/worker.py") and n == "write_outbound_path"),
    ("canonical schema check (compiled schema)", lambda f, n: f.startswith("<schema") or "/gateway/canonical/" in f),
    ("mapping: compiled spec, with its loop-tree lookups", lambda f, n: f.startswith("<mapping") or "/gateway/mapping/" in f),
    ("X12 loop tree built for mapping (tree.py)", lambda f, n: f.endswith("/gateway/formats/x12/tree.py")),
    ("X12 envelope: lex, parse, validate, 997 text (gateway/formats)", lambda f, n: "/gateway/formats/" in f),
    ("receive: drop-folder channel (list, claim, read, archive)", lambda f, n: "/gateway/channels/" in f),
]


def _short(f: str, n: str) -> str:
    if "/site-packages/" in f:
        f = f.split("/site-packages/")[-1]
    elif f.startswith(str(ROOT)):
        f = os.path.relpath(f, ROOT)
    elif "/lib/python" in f:
        f = f.split("/lib/")[-1]
    return f"{f}({n})"


def in_process_run(db: str, batch: Batch, tmp: Path, fsync: bool, tag: str, around) -> tuple[float, int]:
    """One ``Gateway(home).serve(once=True)`` in this process inside the context manager ``around``; (seconds, files)."""
    from gateway.home import Home
    from gateway.pipeline import Gateway

    home_root = make_home(tmp / f"home-{tag}", fsync)
    with store_env(db, tag, False) as env:
        ran = run_gateway(["--home", str(home_root), "init"], env)
        if ran.code != 0:
            raise BrokenRun(f"gateway init exited {ran.code}")
        drop(batch, home_root / "inbound" / PARTNER)
        gw = Gateway(Home(home_root, True, ROOT), environ=env)
        t0 = time.perf_counter()
        with around:
            summary = gw.serve(once=True)
        seconds = time.perf_counter() - t0
        gw.close()
        problems = verify(home_root, env, batch)
        if problems:
            raise BrokenRun(f"{tag} run: " + "; ".join(problems))
    shutil.rmtree(home_root)
    return seconds, summary.files


def profile(db: str, batch: Batch, tmp: Path, fsync: bool, top: int) -> int:
    import cProfile
    import pstats

    n = batch.transactions
    what = f"Gateway(home).serve(once=True) in this process, {db}, 1 worker, fsync {'on' if fsync else 'off'}"
    sampler = Sampler()
    seconds, files = in_process_run(db, batch, tmp, fsync, "sampled", sampler)
    sampled = sampler.seconds
    print(f"\n1. sampled (no tracing): {what}: {files} files, {n:,} 850s in {seconds:.2f} s ({n / seconds:,.0f} 850s/s, no start-up); "
          f"{sampled:.2f} s sampled")
    stages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for stack, weight in sampler.stacks.items():
        stage = next((st for st, test in STAGES if any(test(f, fn) for f, fn in stack)), "pipeline glue, start and stop, other")
        stages[stage] += weight
        if stack:
            leaves[_short(*stack[0])] += weight
        own = next(((f, fn) for f, fn in stack if f.startswith((str(ROOT / "gateway"), "<mapping", "<schema"))), None)
        if own is not None:
            ours[_short(*own)] += weight
    print("\nwall time by stage (a sample goes to the first stage listed with a frame on its stack)")
    for stage, weight in stages.most_common():
        print(f"{weight:8.2f} s {100 * weight / sampled:5.1f}%  {stage}")
    for title, counter in (("innermost Python frame (C calls such as commit, fsync, a socket wait show as their caller)", leaves),
                           ("innermost gateway frame (time in libraries counted for the gateway function that called them)", ours)):
        print(f"\ntop {top} by {title}")
        for where, weight in counter.most_common(top):
            print(f"{weight:8.2f} s {100 * weight / sampled:5.1f}%  {where}")

    prof = cProfile.Profile()
    seconds, files = in_process_run(db, batch, tmp, fsync, "profiled", prof)
    st = pstats.Stats(prof)
    total = st.total_tt
    print(f"\n2. cProfile: {what}: {files} files, {n:,} 850s in {seconds:.2f} s under cProfile ({n / seconds:,.0f} 850s/s); "
          "cProfile slows Python calls far more than C calls: trust section 1 for shares, this one for call counts")

    def name(key) -> str:
        f, line, fn = key
        return fn if f == "~" else _short(f, f"{line}:{fn}")

    rows = [(key, cc, nc, tt, ct) for key, (cc, nc, tt, ct, _callers) in st.stats.items()]
    for title, col in (("cumulative", 4), ("tottime (self)", 3)):
        print(f"\ntop {top} by {title}")
        print(f"{'cum s':>8} {'cum %':>6} {'self s':>8} {'self %':>6} {'calls':>10}  function")
        for key, _cc, nc, tt, ct in sorted(rows, key=lambda r: r[col], reverse=True)[:top]:
            print(f"{ct:8.2f} {100 * ct / total:5.1f}% {tt:8.2f} {100 * tt / total:5.1f}% {nc:>10,}  {name(key)}")

    print("\nself time by area (builtins of no area of their own count for their callers)")
    for area, tt in sorted(by_area(st.stats).items(), key=lambda kv: kv[1], reverse=True):
        print(f"{tt:8.2f} s {100 * tt / total:5.1f}%  {area}")
    print("\ntime inside each part of the gateway (cumulative, entered from outside it; parts may nest, shares overlap)")
    for part, ct in by_part(st.stats).items():
        print(f"{ct:8.2f} s {100 * ct / total:5.1f}%  {part}")
    return 0


# ---------------------------------------------------------------------------


def changed_during_run(engine: str) -> None:
    now = engine_version()
    if now != engine:
        print(f"WARNING: the checkout changed during the run (now {now}): the numbers may mix two versions")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100, help="files dropped, one interchange each (default 100)")
    ap.add_argument("--per-file", type=int, default=100, help="850s per file (default 100)")
    ap.add_argument("--lines", type=int, default=20, help="PO1 lines per 850 (default 20)")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    ap.add_argument("--workers", default="1,2", help="worker process counts, comma-separated (default 1,2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; best and median are reported (default 3)")
    ap.add_argument("--no-fsync", action="store_true", help="folder route with fsync: false (default: the connector's default, on)")
    ap.add_argument("--profile", action="store_true",
                    help="profile one 1-worker pass in process instead of timing (SQLite; PostgreSQL with --db postgresql)")
    ap.add_argument("--top", type=int, default=25, help="rows per --profile listing (default 25)")
    ap.add_argument("--tmp", type=Path, help="where the homes go (default: the system temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep every home (and PostgreSQL schema) for inspection")
    args = ap.parse_args(argv)
    try:
        workers = [int(w) for w in args.workers.split(",") if w.strip()]
    except ValueError:
        ap.error("--workers takes numbers separated by commas, e.g. 1,2")
    if min([args.files, args.per_file, args.lines, args.repeat, *workers]) < 1:
        ap.error("--files, --per-file, --lines, --repeat and --workers must be at least 1")
    if args.per_file > 9999:
        ap.error("--per-file is at most 9999 (ST02 is a 4-digit control number here)")
    dbs = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    fsync = not args.no_fsync

    engine = engine_version()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    tmp = Path(tempfile.mkdtemp(prefix="pipeline-bench-", dir=args.tmp))
    broken = False
    try:
        batch = generate(args.files, args.per_file, args.lines)
        print(f"input: {len(batch.files):,} files x {args.per_file:,} 850s with {args.lines} lines = {batch.transactions:,} 850s, "
              f"{batch.size / 1e6:.1f} MB; folder connector fsync {'on' if fsync else 'off'}", flush=True)
        preflight(batch, make_home(tmp / "home-preflight", fsync))
        if args.profile:
            print(f"engine: {engine}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
            code = profile("postgresql" if args.db == "postgresql" else "sqlite", batch, tmp, fsync, args.top)
            changed_during_run(engine)
            return code
        results = [measure(db, w, batch, args.repeat, tmp, fsync, args.keep) for db in dbs for w in workers]
    except BrokenRun as exc:
        broken = True
        print(f"\nBROKEN RUN: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep and not broken:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"engine: {engine}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs (load {load:.1f} at start, "
          f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan'):.1f} at end); command: {' '.join(gateway_command())}")
    changed_during_run(engine)
    print_table(results, args.repeat)
    print("\nchecks: after every run gateway status --json showed every 850 delivered, every file processed and acknowledged, "
          f"nothing quarantined or left queued, and erp/{DOCUMENT}/ held one file per 850")
    sqlite = [r for r in results if r.db == "sqlite"]
    if not sqlite:
        print(f"target (>= {TARGET:,.0f} 850s/s end to end on SQLite): not measured (--db postgresql)")
        return 0
    print()
    for r in sqlite:
        rate = r.transactions / r.best
        print(f"SQLite, {r.workers} worker(s), end to end: {rate:,.0f} 850s/second (best, start-up included; "
              f"{r.transactions / r.best_without_startup:,.0f} without it), target >= {TARGET:,.0f}: {'PASS' if rate >= TARGET else 'FAIL'}")
    ok = any(r.transactions / r.best >= TARGET for r in sqlite)
    print(f"target {'met' if ok else 'missed'}")
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
