"""serve: run the pipeline, in one process or several sharing the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, EXIT_WAITING, engine_of, setup_logs, working_home


@click.command()
@click.option("--once", is_flag=True, help="Process what is waiting (drop folders, queued work) and exit.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes sharing the store (this one included; use PostgreSQL for more than a few).")
@click.option("--log-format", type=click.Choice(["text", "json"]), help="Log lines as text or one JSON object each [default: gateway.yaml].")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), help="[default: gateway.yaml, else info]")
@click.option("--no-channels", is_flag=True, hidden=True, help="Only work the queue (extra worker processes).")
@click.pass_context
def serve(ctx: click.Context, once: bool, workers: int, log_format: str | None, log_level: str | None, no_channels: bool) -> None:
    """Run the gateway: watch the partners' drop folders, store what arrives, validate, acknowledge, map and
    deliver, until SIGTERM or SIGINT (work in hand is finished, claimed work released).

    With --once, what is waiting is processed and the command exits; on a terminal a status line on stderr
    shows files received, documents delivered and quarantined, and work queued.

    \b
    Exit status:
      0  a clean stop; with --once, nothing is left to do
      1  bad settings or store; with --once, a partner not served
         (its files wait)
      3  with --once, work left waiting for a retry (a delivery after
         an HTTP 503, say): a line says how many, when and why
    """
    import signal
    import subprocess

    from gateway.pipeline import Gateway

    home = working_home(ctx)
    engine = engine_of(ctx)
    gw = Gateway(home, spec_dirs=engine.spec_dirs, charset=engine.charset)
    setup_logs(log_format or gw.settings.logging.format, log_level or gw.settings.logging.level)
    children: list = []

    def stop(signum, _frame) -> None:
        gw.stop()
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)  # before any child exists: a signal in between is not lost
    signal.signal(signal.SIGINT, stop)
    if workers > 1:
        base = [sys.executable, "-m", "gateway.cli", "--home", str(home.root), "--charset", engine.charset]
        base += [a for d in engine.spec_dirs for a in ("--spec-dir", str(Path(d).absolute()))] + ["serve", "--no-channels"]
        base += ["--once"] if once else []
        base += ["--log-format", log_format] if log_format else []
        base += ["--log-level", log_level] if log_level else []
        package_parent = Path(__file__).resolve().parents[2]  # so that -m gateway.cli finds this very code, installed or not
        children.extend(subprocess.Popen(base, cwd=str(package_parent)) for _ in range(workers - 1))
    import logging

    log = logging.getLogger("gateway.serve")
    log.info("serving %s with store %s (%d worker process%s)", home.root, gw.store.describe(), workers, "es" * (workers != 1))
    line, progress = _status_line(gw) if once and not no_channels else (None, None)
    waiting = []
    try:
        summary = gw.serve(once=once, channels=not no_channels, progress=progress)
        codes = [child.wait() for child in children]
        if once and not no_channels and not gw.stopping:  # the extra workers are done too: what is left is left
            waiting = gw.store.waiting()
    finally:
        if line is not None:
            line.clear()
        gw.close()
    log.info("stopped: %s", _done(summary))
    for w in waiting:
        log.warning("%s", _waiting_line(w))
    if gw.not_served and not no_channels:  # --once: files of those partners are left waiting, so not a clean run
        log.error("%d partner(s) not served, their files wait: %s (see gateway partner check)", len(gw.not_served), ", ".join(gw.not_served))
    if any(codes) or (once and gw.not_served and not no_channels):
        ctx.exit(EXIT_REJECTED)
    ctx.exit(EXIT_WAITING if waiting else EXIT_OK)


def _done(s) -> str:
    """``6 files received, 9 documents delivered, 1 quarantined, 5 acknowledgements written``"""
    return f"{_n(s.files, 'file')} received, {_n(s.delivered, 'document')} delivered, {s.quarantined} quarantined, {_n(s.acks, 'acknowledgement')} written"


_KINDS = {  # work kind -> what waits, as people say it (one, several)
    "delivery": ("delivery", "deliveries"), "ack": ("acknowledgement", "acknowledgements"), "receipt": ("file", "files"),
    "reprocess": ("reprocessed item", "reprocessed items"), "map": ("file to map", "files to map"),
    "transaction": ("document to map", "documents to map")}


def _waiting_line(w) -> str:
    """``2 deliveries wait for a retry (next at 18:42:10 UTC, in 4s): POST http://erp/orders -> 503 ...``"""
    from datetime import UTC, datetime

    one, several = _KINDS.get(w.kind, (w.kind, w.kind))
    seconds = max(0, round((w.next_at - datetime.now(UTC).replace(tzinfo=None)).total_seconds()))  # the store keeps UTC, naive
    why = f": {w.last_error}" if w.last_error else ""
    return f"{_n(w.count, one, several)} wait{'s' * (w.count == 1)} for a retry (next at {w.next_at:%H:%M:%S} UTC, in {seconds}s){why}"


def _n(count: int, one: str, several: str | None = None) -> str:
    return f"{count} {one if count == 1 else several or one + 's'}"


def _status_line(gw):
    """``serve --once`` on a terminal: a line on stderr with files, documents and the queue, about once a second
    (None elsewhere). Returns the line and the progress callback for ``Gateway.serve``."""
    import logging

    from gateway.cli.progress import StatusLine
    from gateway.errors import StoreError

    line = StatusLine()
    if not line.active:
        return None, None
    for handler in dict.fromkeys(logging.getLogger("gateway").handlers + logging.getLogger().handlers):  # often one handler for both
        handler.addFilter(line.log_filter())

    def progress(s) -> None:
        try:
            queued = gw.store.pending_work()
        except StoreError:
            return  # the serve loop says so
        line.show(f"{_n(s.files, 'file')} received, {_n(s.delivered, 'document')} delivered, {s.quarantined} quarantined, "
                  f"{_n(queued, 'work item')} queued")

    return line, progress
