"""kill -9 ``gateway serve`` again and again mid-run; after a restart nothing is lost and nothing is done twice.

Acme's drop folder is fed in chunks while servers come and go; each server is killed with SIGKILL
(its whole process group) after a random 0.05-1.5 s, so kills land anywhere: during start-up, while
a file is claimed, between a commit and its side effect (an ack file, a delivery file) or between
the side effect and the commit that records it. A last ``gateway serve --once`` finishes the work,
then ``assert_exactly_once`` checks every output against the inputs: one delivery file per PO
number, every delivery row delivered after one recorded attempt, one 997 per interchange, every
input archived once.

The kill delays come from a seeded generator: a failure prints the seed; rerun it with
``GATEWAY_CRASH_SEED=<seed>``.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass

from serve_helpers import (
    ACME,
    Batch,
    Serve,
    assert_exactly_once,
    batch,
    drop,
    gateway_env,
    home_store_url,
    make_home,
    run_gateway,
    store_rows,
    store_status,
    visible_files,
)


@dataclass
class Round:
    delay: float  # seconds between "serving" (or the start, every fifth round) and the kill
    dropped: int  # files dropped so far
    done: int  # files whose every 850 was delivered when the server was killed
    work_left: int  # work items and files not yet received left behind by the kill
    acks_unrecorded: int  # ack files on disk whose row is not marked written: killed between the write and its record
    deliveries_unrecorded: int  # delivery files on disk whose row is still pending: likewise

    @property
    def in_flight(self) -> bool:
        return self.work_left > 0 and self.done > 0


def _snapshot(home, url: str, delay: float, dropped: int) -> Round:
    doc = store_status(url)
    by_receipt: dict[int, list[str]] = {}
    for tx in store_rows(url, "transactions"):
        by_receipt.setdefault(tx["receipt_id"], []).append(tx["state"])
    done = sum(1 for states in by_receipt.values() if all(s == "delivered" for s in states))
    ack_paths = {r["path"] for r in store_rows(url, "acks") if r["written_at"] is not None}
    on_disk = {str(p) for p in visible_files(home / "outbound" / ACME)}
    delivered_targets = {r["target"] for r in store_rows(url, "deliveries") if r["state"] == "delivered"}
    delivery_files = {str(p) for p in visible_files(home / "erp" / "purchase_order")}
    w = doc["work"]
    received = sum(doc["receipts"].values())
    return Round(delay, dropped, done, w["ready"] + w["claimed"] + w["waiting"] + dropped - received,
                 len(on_disk - ack_paths), len(delivery_files - delivered_targets))


def crash_loop(exe, tmp_path, *, rounds: int, store_url: str | None, seed: int, max_files: int = 2000) -> list[Round]:
    """``rounds`` servers killed with SIGKILL, then ``serve --once``; every output checked against the inputs.

    Before each round the drop folder is topped up so that the backlog (files dropped, not yet
    delivered) covers what the servers managed in 3 s so far: every kill should find work in flight
    however fast this machine is, and the final run has little left to do."""
    home = make_home(tmp_path / "home")
    env = gateway_env(store_url)
    url = home_store_url(home, store_url)
    rng = random.Random(seed)
    pool, data = batch(max_files, lambda i: 1 + rng.randrange(5))
    names = list(data)
    dropped: list[str] = []
    run_gateway(exe, home, "init", env=env)  # the store exists from the start: a kill may come before the server migrates it
    history: list[Round] = []
    busy = 0.0  # seconds servers were up after "serving"
    try:
        for r in range(rounds):
            done = history[-1].done if history else 0
            rate = done / busy if busy else 0.0
            want = min(len(names), done + max(10, int(rate * 3.0) + 5))
            server = Serve(exe, home, "--log-format", "json", env=env, logs=tmp_path / "logs", tag=f"round-{r:02d}")
            for name in names[len(dropped) : want]:  # dropped while the server starts
                drop(home, name, data[name])
                dropped.append(name)
            startup = r % 5 == 4  # most kills land while it works; every fifth anywhere from the start on
            if not startup:
                server.wait_serving()
            delay = rng.uniform(0.05, 1.5)
            time.sleep(delay)
            if not server.running():
                raise AssertionError(f"round {r}: gateway serve exited {server.proc.returncode} by itself:\n{server.stderr()[-3000:]}")
            server.kill9()
            busy += 0 if startup else delay
            history.append(_snapshot(home, url, delay, len(dropped)))
        finish = run_gateway(exe, home, "serve", "--once", "--log-format", "json", env=env, timeout=120)
        assert "Traceback" not in finish.stderr, finish.stderr[-3000:]
        valid = Batch({name: pool.files[name] for name in dropped})
        assert_exactly_once(home, url, valid)
    except AssertionError as exc:
        rounds_text = "\n".join(f"  {i:2d}: {h}" for i, h in enumerate(history))
        raise AssertionError(f"seed {seed} (GATEWAY_CRASH_SEED={seed} to replay), {len(dropped)} files dropped; "
                             f"rounds:\n{rounds_text}\n{exc}") from exc
    errors = [line for p in sorted((tmp_path / "logs").glob("*.err")) for line in p.read_text().splitlines() if '"level": "error"' in line]
    assert not errors, f"seed {seed}: error log lines: {errors[:5]}"
    return history


def _seed() -> int:
    return int(os.environ.get("GATEWAY_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))


def _evidence(history: list[Round], seed: int) -> None:
    """The kills must have hit work in flight, or the test proves nothing."""
    in_flight = [h for h in history if h.in_flight]
    assert len(in_flight) >= 0.4 * len(history), f"seed {seed}: only {len(in_flight)} kills landed while work was in flight: {history}"
    print(f"\nseed {seed}: {len(history)} kills, {len(in_flight)} with work in flight, {history[-1].dropped} files; "
          f"files done after each kill: {[h.done for h in history]}; "
          f"kills between an ack file and its record: {sum(h.acks_unrecorded > 0 for h in history)}, "
          f"between a delivery file and its record: {sum(h.deliveries_unrecorded > 0 for h in history)}")


def test_kill_9_mid_run_again_and_again_loses_nothing_and_delivers_once_on_sqlite(gateway_exe, tmp_path):
    seed = _seed()
    _evidence(crash_loop(gateway_exe, tmp_path, rounds=20, store_url=None, seed=seed), seed)


def test_kill_9_mid_run_again_and_again_loses_nothing_and_delivers_once_on_postgresql(gateway_exe, tmp_path, pg_url):
    seed = _seed()
    _evidence(crash_loop(gateway_exe, tmp_path, rounds=10, store_url=pg_url, seed=seed), seed)
