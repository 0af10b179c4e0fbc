"""serve: run the pipeline, in one process or several sharing the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, engine_of, setup_logs, working_home


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
    deliver, until SIGTERM or SIGINT (work in hand is finished, claimed work released). Exit 0 on a clean stop."""
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
    try:
        summary = gw.serve(once=once, channels=not no_channels)
    finally:
        gw.close()
    codes = [child.wait() for child in children]
    log.info("stopped: %d files received, %d work items done", summary.files, summary.work)
    if gw.not_served and not no_channels:  # --once: files of those partners are left waiting, so not a clean run
        log.error("%d partner(s) not served, their files wait: %s (see gateway partner check)", len(gw.not_served), ", ".join(gw.not_served))
    ctx.exit(EXIT_REJECTED if any(codes) or (once and gw.not_served and not no_channels) else EXIT_OK)
