"""Running ``gateway serve`` as a real process over a real home: homes, generated inputs, the CLI, waits.

Importable as ``serve_helpers`` (the suite runs with ``pythonpath=["tests"]``). Nothing here mocks
anything: homes are built by ``gateway.workdir.demo_home`` (the three sample partners, each with a
drop folder and folder routes to ``erp/<document type>/``), processes are the installed console
script, and state is read back through the CLI or the store's tables.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from gateway.channels.drop_folder import write_outbound
from gateway.config.settings import STORE_URL_ENV
from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.store import schema
from gateway.store.engine import sqlite_url
from gateway.workdir import demo_home

REPO = Path(__file__).resolve().parents[1]
ACME_SAMPLE = REPO / "samples" / "partners" / "acme-retail" / "850-store-replenishment.x12"
ACME = "acme-retail"

# Fast enough for tests: an idle worker looks again every 0.1 s, folders are listed every 0.5 s.
FAST = {"workers": {"poll_seconds": 0.1, "rescan_seconds": 0.5}}


# -- homes -----------------------------------------------------------------------------------------


def make_home(root: Path, settings: dict | None = None) -> Path:
    """A demo home at ``root`` (the sample partners, drop folders, folder routes) with ``settings``
    merged into its ``gateway.yaml`` (one level deep: ``{"retry": {...}}`` replaces keys of ``retry``)."""
    demo_home(root, REPO)
    cfg = root / "gateway.yaml"
    data = parse_yaml(cfg.read_text(encoding="utf-8"), "gateway.yaml").data or {}
    for section, values in (settings if settings is not None else FAST).items():
        if isinstance(values, dict):
            data[section] = {**(data.get(section) or {}), **values}
        else:
            data[section] = values
    cfg.write_text(dump_yaml(data), encoding="utf-8")
    return root


def edit_profile(home: Path, partner: str, edit: Callable[[dict], None]) -> None:
    """Change a partner profile of the home in place (``edit`` mutates the parsed YAML)."""
    path = home / "partners" / f"{partner}.yaml"
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name).data
    edit(data)
    path.write_text(dump_yaml(data), encoding="utf-8")


def drop(home: Path, name: str, data: bytes, partner: str = ACME) -> Path:
    """Drop a file into the partner's inbound folder as partners should: a temporary name, then a rename."""
    return write_outbound(home / "inbound" / partner, name, data)


_IN_PLACE_WRITER = """
import os, sys, time
path, source, first, chunk, pause, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
with open(source, "rb") as f:
    data = f.read()
os.unlink(source)
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # under its final name, no temporary name
if marker == "early":
    open(path + ".done", "wb").close()  # a marker written before the file is finished
pos, size = 0, first
while pos < len(data):
    os.write(fd, data[pos:pos + size])
    os.fsync(fd)
    pos, size = pos + size, chunk
    if pos < len(data):
        time.sleep(pause)
os.close(fd)
if marker == "late":
    open(path + ".done", "wb").close()
"""


def write_slowly_in_place(path: Path, data: bytes, *, first: int, chunk: int, pause: float, marker: str = "") -> subprocess.Popen:
    """A partner writing ``path`` in place from another process: ``first`` bytes, then ``chunk`` bytes after
    each ``pause`` seconds, fsynced each time; ``marker``: ``early`` writes ``path.done`` before the data,
    ``late`` after it is closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.parent.parent / f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.source"  # outside the watched folder
    source.write_bytes(data)
    return subprocess.Popen([sys.executable, "-c", _IN_PLACE_WRITER, str(path), str(source), str(first), str(chunk), str(pause), marker])


# -- inputs ----------------------------------------------------------------------------------------


def _sample_parts() -> tuple[str, str, list[str]]:
    """(ISA line, GS line, the first 850's segments ST..SE) of Acme's sample, segments without terminators."""
    text = ACME_SAMPLE.read_text(encoding="latin-1")
    segs = [s.strip() for s in text.split("~") if s.strip()]
    isa, gs = segs[0], segs[1]
    st = segs.index(next(s for s in segs if s.startswith("ST*")))
    se = segs.index(next(s for s in segs if s.startswith("SE*")))
    return isa, gs, segs[st : se + 1]


def acme_850s(isa13: int, po_numbers: Iterable[str], *, order_type: str = "SA", sender: str = "ACMERETAIL") -> bytes:
    """One interchange from Acme (ISA13/IEA02 = ``isa13``, GS06/GE02 = ``isa13``) holding one 850 per PO
    number: the sample's first 850 with BEG02 = ``order_type`` and BEG03 = the PO number.
    ``sender`` replaces ISA06 (an unknown sender, say)."""
    isa, gs, st_se = _sample_parts()
    control = f"{isa13:09d}"
    isa_el = isa.split("*")
    isa_el[6] = f"{sender:<15}"
    isa_el[13] = control
    gs_el = gs.split("*")
    gs_el[6] = str(isa13)
    out = ["*".join(isa_el), "*".join(gs_el)]
    pos = list(po_numbers)
    for n, po in enumerate(pos, 1):
        for seg in st_se:
            el = seg.split("*")
            if el[0] == "ST" or el[0] == "SE":
                el[2] = f"{n:04d}"
            elif el[0] == "BEG":
                el[2], el[3] = order_type, po
            out.append("*".join(el))
    out += [f"GE*{len(pos)}*{isa13}", f"IEA*1*{control}"]
    return ("~\n".join(out) + "~\n").encode("latin-1")


@dataclass
class Batch:
    """Generated valid input files: name -> (ISA13, PO numbers)."""

    files: dict[str, tuple[int, list[str]]] = field(default_factory=dict)

    @property
    def po_numbers(self) -> list[str]:
        return [po for _, pos in self.files.values() for po in pos]

    @property
    def group_numbers(self) -> list[str]:
        return [str(isa13) for isa13, _ in self.files.values()]


def batch(count: int, sets: Callable[[int], int], *, first_isa13: int = 100, first_po: int = 7_000_000) -> tuple[Batch, dict[str, bytes]]:
    """``count`` Acme files, file i holding ``sets(i)`` 850s, with distinct ISA13s and PO numbers."""
    out = Batch()
    data: dict[str, bytes] = {}
    po = first_po
    for i in range(count):
        pos = [f"PO{po + k}" for k in range(sets(i))]
        po += len(pos)
        name = f"orders-{i:04d}.x12"
        out.files[name] = (first_isa13 + i, pos)
        data[name] = acme_850s(first_isa13 + i, pos)
    return out, data


# -- an ERP over HTTP --------------------------------------------------------------------------------


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A local HTTP server answering with ``handler`` in a thread of this process; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- the CLI ---------------------------------------------------------------------------------------


def gateway_env(store_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (STORE_URL_ENV, "GATEWAY_HOME")}
    if store_url:
        env[STORE_URL_ENV] = store_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_gateway(exe: str, home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60,
                check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([exe, "--home", str(home), *args], check=False, capture_output=True, text=True, env=env or gateway_env(), timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"gateway {' '.join(args)} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done


def status(exe: str, home: Path, env: dict[str, str] | None = None) -> dict:
    return json.loads(run_gateway(exe, home, "status", "--json", env=env).stdout)


def quarantine_list(exe: str, home: Path, env: dict[str, str] | None = None) -> list[dict]:
    return json.loads(run_gateway(exe, home, "quarantine", "list", "--json", env=env).stdout)


class Serve:
    """``gateway --home H serve ...`` as a child process, stdout and stderr in files under ``logs``."""

    def __init__(self, exe: str, home: Path, *args: str, env: dict[str, str] | None = None, logs: Path | None = None,
                 tag: str = "serve") -> None:
        self.logs = logs or home.parent / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.logs / f"{tag}.out"
        self.stderr_path = self.logs / f"{tag}.err"
        self.args = [exe, "--home", str(home), "serve", *args]
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=err, env=env or gateway_env(), start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole process group (the worker children of ``--workers N`` too), and reap."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)

    def terminate(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM to the serve process itself; (exit code, seconds until it exited)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - start

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def json_lines(self) -> list[dict]:
        """The JSON log lines on stderr (anything else, such as a traceback, is returned as {"raw": line})."""
        out = []
        for line in self.stderr().splitlines():
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"raw": line})
        return out

    def wait_serving(self, timeout: float = 30) -> float:
        """Wait for the "serving ..." log line (the store is open, channels are next); seconds waited."""
        start = time.monotonic()

        def ready():
            if not self.running():
                raise AssertionError(f"gateway serve exited {self.proc.returncode} before serving:\n{self.stderr()[-3000:]}")
            return any(line.get("message", "").startswith("serving ") for line in self.json_lines())

        wait_until(ready, timeout, 0.02, "the serving log line")
        return time.monotonic() - start

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.kill9()


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.2, what: str = "the condition") -> Any:
    """Poll ``predicate`` until it returns something true; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def settled(doc: dict, files: int) -> bool:
    """``files`` receipts stored and nothing left to do for any of them."""
    receipts, tx, work = doc["receipts"], doc["transactions"], doc["work"]
    return (sum(receipts.values()) >= files and receipts["received"] == 0 and tx["received"] == 0 and tx["translated"] == 0
            and doc["acks"]["pending"] == 0 and work["ready"] == 0 and work["claimed"] == 0 and work["waiting"] == 0)


# -- folders and files -----------------------------------------------------------------------------


def visible_files(folder: Path) -> list[Path]:
    """Files under ``folder`` (recursively), hidden ones and those under hidden folders left out."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def leftovers(inbound: Path) -> list[Path]:
    """Everything still in an inbound folder, claims folders included (empty claim folders are fine)."""
    return sorted(p for p in inbound.rglob("*") if p.is_file()) if inbound.is_dir() else []


DELIVERY_NAME = re.compile(r"^(?P<type>[a-z_]+)-(?P<key>.+)-(?P<correlation>[0-9a-f]{32})-r(?P<route>\d+)\.json$")


def deliveries_by_po(folder: Path) -> dict[str, list[Path]]:
    """Folder-connector files in ``folder`` by the PO number in their name."""
    out: dict[str, list[Path]] = {}
    for p in visible_files(folder):
        m = DELIVERY_NAME.match(p.name)
        assert m, f"unexpected file in {folder}: {p.name}"
        out.setdefault(m["key"], []).append(p)
    return out


def ack_groups(folder: Path) -> dict[str, list[str]]:
    """997 files in ``folder`` -> the functional group control numbers they acknowledge (AK1*PO*n)."""
    out: dict[str, list[str]] = {}
    for p in visible_files(folder):
        text = p.read_text(encoding="latin-1")
        sep, term = text[3], text[105]
        segs = [s.strip().split(sep) for s in text.split(term) if s.strip()]
        out[p.name] = [s[2] for s in segs if s[0] == "AK1"]
    return out


# -- the store, read directly ----------------------------------------------------------------------


def home_store_url(home: Path, store_url: str | None) -> str:
    return store_url or sqlite_url(home / "store" / "gateway.db")


def store_rows(url: str, table: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [dict(r) for r in c.execute(select(getattr(schema, table))).mappings()]
    finally:
        engine.dispose()


def store_status(url: str) -> dict:
    """``gateway status --json``'s object, read in this process (quicker than a CLI run in a tight loop)."""
    from gateway.store import Store

    store = Store.open(url, migrate_schema=False)
    try:
        return store.status()
    finally:
        store.close()


def assert_exactly_once(home: Path, url: str, valid: Batch, *, partner: str = ACME, folder: str = "erp/purchase_order") -> dict:
    """Everything ``valid`` holds went through exactly once; returns the final status.

    - the status: every transaction delivered, nothing received/translated/quarantined, no work left;
    - one delivery file per PO number (the folder connector's file names carry PO, correlation id, route);
    - one delivery row per transaction, ``delivered``, after exactly one recorded attempt, its target
      file existing and named after its idempotency key, and exactly one ``delivered`` event each;
    - each input archived once (no ``name.1.x12`` second copies), the inbound folder empty;
    - exactly one 997 per interchange (its AK1 names the interchange's group), each ack row written once.
    """
    doc = store_status(url)
    total = len(valid.po_numbers)
    tx = doc["transactions"]
    assert (tx["received"], tx["translated"], tx["quarantined"], tx["delivered"]) == (0, 0, 0, total), doc
    assert doc["receipts"]["processed"] == len(valid.files) and sum(doc["receipts"].values()) == len(valid.files), doc
    assert doc["quarantine"]["open"] == 0, doc
    assert doc["work"] == {"ready": 0, "claimed": 0, "waiting": 0}, doc
    assert doc["acks"] == {"written": len(valid.files), "pending": 0}, doc

    by_po = deliveries_by_po(home / folder)
    missing = sorted(set(valid.po_numbers) - set(by_po))
    extra = sorted(set(by_po) - set(valid.po_numbers))
    doubled = {po: [p.name for p in files] for po, files in by_po.items() if len(files) > 1}
    assert not missing and not extra and not doubled, f"missing {missing}, unexpected {extra}, more than one file {doubled}"

    deliveries = store_rows(url, "deliveries")
    assert len(deliveries) == total
    bad = [d for d in deliveries if d["state"] != "delivered" or d["attempts"] != 1 or not d["target"]
           or not Path(d["target"]).is_file() or f"-{d['idempotency_key']}." not in Path(d["target"]).name]
    assert not bad, f"deliveries not delivered exactly once: {bad[:5]}"
    delivered_events: dict[int, int] = {}
    for e in store_rows(url, "events"):
        if e["stage"] == "deliver" and e["state"] == "delivered" and e["delivery_id"] is not None:
            delivered_events[e["delivery_id"]] = delivered_events.get(e["delivery_id"], 0) + 1
    assert delivered_events == {d["id"]: 1 for d in deliveries}
    documents = store_rows(url, "documents")
    assert sorted(d["po_number"] for d in documents) == sorted(valid.po_numbers)

    archived = [p.name for p in visible_files(home / "archive" / partner)]
    assert sorted(archived) == sorted(valid.files), f"archived: {sorted(set(archived) - set(valid.files))} extra"
    assert leftovers(home / "inbound" / partner) == []

    acks = ack_groups(home / "outbound" / partner)
    groups = sorted(g for gs in acks.values() for g in gs)
    assert groups == sorted(valid.group_numbers), (
        f"997s: {len(acks)} files for {len(valid.files)} interchanges; groups acknowledged more than once: "
        f"{sorted({g for g in groups if groups.count(g) > 1})}")
    assert len(store_rows(url, "acks")) == len(valid.files)
    return doc
