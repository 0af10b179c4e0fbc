"""Several worker processes sharing one PostgreSQL store: every transaction set is delivered exactly once.

Two set-ups: ``gateway serve --workers 2`` (the process polls the drop folders and works the queue,
a child process works the queue only), and two independent ``gateway serve`` processes on the same
home and store (both poll the same drop folder: claims decide who takes a file, the store's
``FOR UPDATE SKIP LOCKED`` who takes a work item).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from serve_helpers import (
    Serve,
    assert_exactly_once,
    batch,
    drop,
    gateway_env,
    make_home,
    run_gateway,
    settled,
    store_status,
    wait_until,
)

FILES = 30


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _envelopes(text: str) -> list[str]:
    """File names whose envelope stage a log records ("<name>: N document(s) from partner ...")."""
    return re.findall(r'"message": "(orders-\d+\.x12): \d+ document\(s\) from partner', text)


@pytest.fixture
def servers():
    started: list[Serve] = []
    yield started
    for s in started:
        s.cleanup()


def _feed_and_settle(home, url, data, servers):
    for name, body in data.items():
        drop(home, name, body)

    def check():
        for s in servers:
            if not s.running():
                raise AssertionError(f"gateway serve exited {s.proc.returncode}:\n{s.stderr()[-3000:]}")
        return settled(store_status(url), len(data))

    wait_until(check, 90, 0.2, f"{len(data)} files to settle")


def test_serve_with_two_worker_processes_delivers_each_set_once(gateway_exe, tmp_path, pg_url, servers):
    home = make_home(tmp_path / "home")
    env = gateway_env(pg_url)
    run_gateway(gateway_exe, home, "init", env=env)
    valid, data = batch(FILES, lambda i: 1 + i % 5)
    server = Serve(gateway_exe, home, "--workers", "2", "--log-format", "json", env=env)
    servers.append(server)
    server.wait_serving()
    kids = wait_until(lambda: _children(server.pid), 10, 0.05, "the second worker process")
    assert len(kids) == 1
    _feed_and_settle(home, pg_url, data, [server])

    assert_exactly_once(home, pg_url, valid)
    assert sorted(_envelopes(server.stderr())) == sorted(data), "a file went through the envelope stage more than once"
    code, took = server.terminate(timeout=15)
    assert code == 0, server.stderr()[-3000:]
    assert took < 10
    for pid in kids:  # the child got the signal too and is gone
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    stopped = [line for line in server.json_lines() if line.get("message", "").startswith("stopped: ")]
    assert len(stopped) == 2  # both processes stopped cleanly
    work = sorted(int(m) for line in stopped for m in re.findall(r"(\d+) documents? delivered", line["message"]))
    assert len(work) == 2 and work[0] > 0, f"the second worker delivered nothing: {[line['message'] for line in stopped]}"


def test_two_serve_processes_on_one_home_and_store_share_the_work_without_doing_any_twice(gateway_exe, tmp_path, pg_url, servers):
    home = make_home(tmp_path / "home")
    env = gateway_env(pg_url)
    run_gateway(gateway_exe, home, "init", env=env)
    valid, data = batch(FILES, lambda i: 1 + i % 5)
    a = Serve(gateway_exe, home, "--log-format", "json", env=env, tag="a")
    b = Serve(gateway_exe, home, "--log-format", "json", env=env, tag="b")
    servers += [a, b]
    a.wait_serving()
    b.wait_serving()
    start = time.monotonic()
    _feed_and_settle(home, pg_url, data, [a, b])
    took = time.monotonic() - start

    assert_exactly_once(home, pg_url, valid)
    by_a, by_b = _envelopes(a.stderr()), _envelopes(b.stderr())
    assert sorted(by_a + by_b) == sorted(data), "a file went through the envelope stage twice, or not at all"
    assert not set(by_a) & set(by_b)
    assert by_a and by_b, "one process did all the work"
    received = [re.findall(r'"message": "received (orders-\d+\.x12) ', s.stderr()) for s in (a, b)]
    assert sorted(received[0] + received[1]) == sorted(data), "a file was taken from the drop folder by both processes"
    print(f"\nprocess a: {len(by_a)} files, process b: {len(by_b)} files, settled in {took:.1f}s")
    for s in (a, b):
        code, _ = s.terminate(timeout=10)
        assert code == 0, s.stderr()[-3000:]
