"""The ``gateway`` command: a thin click tree over ``gateway.api``."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from gateway import __version__
from gateway.api import Engine, FileOutcome
from gateway.errors import GatewayError
from gateway.formats.x12 import AckNumbers, Report

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


def _engine(ctx: click.Context) -> Engine:
    return ctx.obj


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gateway")
@click.option("--spec-dir", "spec_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Extra pyx12-format spec directory (repeatable).")
@click.option("--charset", type=click.Choice(["extended", "any"]), default="extended", show_default=True,
              help="Characters allowed in AN/ID data: the X12 extended set, or anything but control characters.")
@click.pass_context
def main(ctx: click.Context, spec_dirs: tuple[Path, ...], charset: str) -> None:
    """B2B/EDI partner gateway: validate, acknowledge and translate X12."""
    ctx.obj = Engine(list(spec_dirs), charset)


def _describe(outcome: FileOutcome) -> list[str]:
    lines: list[str] = []
    r = outcome.report
    if r is None:
        return [f"{outcome.path}: error: {outcome.error}"]
    for _level, control, f in r.envelope_findings():
        where = f" interchange {control}" if control and _level == "interchange" else (f" group {control}" if control else "")
        lines.append(f"{r.source}:{_at(f)} {f.severity}: {f.code}{where}: {f.message}")
    for t in r.transactions():
        lines.append(f"{r.source}: {t.set_id} {t.control_number} (group {t.group.control_number}, version {t.group.version}): {t.status}")
        for f in t.findings:
            if f.code == "transaction.segment_errors":
                continue
            ref = f.element or f.segment or ""
            lines.append(f"  {_at(f)} {f.severity}: {f.code} {ref}: {f.message}")
    if not r.interchanges and not r.findings:
        lines.append(f"{r.source}: no interchange found")
    return lines


def _at(f) -> str:
    p = f.position
    bits = []
    if p.segment_number is not None:
        bits.append(f"segment {p.segment_number}")
    if p.offset is not None:
        bits.append(f"byte {p.offset}")
    return f" [{', '.join(bits)}]" if bits else ""


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """Validate X12 FILES. Exit 0: all accepted; 1: something rejected or a broken envelope; 2: a file cannot be read."""
    engine = _engine(ctx)
    outcomes = [engine.validate_file(f) for f in files]
    code = _exit_code(outcomes)
    if as_json:
        doc = {"files": [], "transactions": [], "envelope_errors": [], "exit_code": code}
        for o in outcomes:
            entry = {"file": o.path, "readable": o.readable}
            if o.report is None:
                entry["error"] = str(o.error)
                doc["envelope_errors"].append({"file": o.path, "code": o.error.code, "level": "file", "segment": None, "element": None,
                                               "message": str(o.error), "position": {}})
            else:
                d = o.report.to_dict()
                entry["ok"] = d["ok"]
                entry["interchanges"] = d["interchanges"]
                for t in d["transactions"]:
                    t["file"] = o.path
                    doc["transactions"].append(t)
                for e in d["envelope_errors"]:
                    e["file"] = o.path
                    doc["envelope_errors"].append(e)
            doc["files"].append(entry)
        click.echo(json.dumps(doc, indent=2))
    else:
        for o in outcomes:
            for line in _describe(o):
                click.echo(line, err=o.report is None)
    ctx.exit(code)


def _exit_code(outcomes: list[FileOutcome]) -> int:
    if any(not o.readable for o in outcomes):
        return EXIT_UNREADABLE
    if all(o.report is not None and o.report.ok for o in outcomes):
        return EXIT_OK
    return EXIT_REJECTED


@main.command()
@click.argument("file")
@click.option("--interchange-control", default=1, show_default=True, type=click.IntRange(1, 999_999_999), help="First ISA13 to use.")
@click.option("--group-control", default=1, show_default=True, type=click.IntRange(1, 999_999_999), help="First GS06 to use.")
@click.option("--set-control", default=1, show_default=True, type=click.IntRange(1, 999_999_999), help="First ST02 to use.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the acknowledgements here instead of stdout.")
@click.pass_context
def ack(ctx: click.Context, file: str, interchange_control: int, group_control: int, set_control: int, output: Path | None) -> None:
    """Print the 997/999 (and TA1 where due) acknowledging FILE."""
    engine = _engine(ctx)
    outcome = engine.validate_file(file)
    if outcome.report is None or not outcome.report.interchanges:
        click.echo(f"gateway: {outcome.error or file + ': no interchange to acknowledge'}", err=True)
        ctx.exit(EXIT_UNREADABLE if not outcome.readable else EXIT_REJECTED)
    numbers = AckNumbers(interchange_control, group_control, set_control, datetime.now(timezone.utc))
    text = engine.acknowledge(outcome.report, numbers)
    if output:
        output.write_text(text, encoding="latin-1")
    else:
        click.echo(text, nl=False)
    ctx.exit(EXIT_OK if outcome.report.ok else EXIT_REJECTED)


def _samples_dir() -> Path | None:
    here = Path(__file__).resolve().parent / "samples" / "x12"
    if here.is_dir():
        return here
    cwd = Path.cwd() / "samples" / "x12"
    return cwd if cwd.is_dir() else None


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def demo(ctx: click.Context, directory: Path | None) -> None:
    """Validate and acknowledge the bundled sample files (or those in DIRECTORY)."""
    engine = _engine(ctx)
    directory = directory or _samples_dir()
    if directory is None or not directory.is_dir():
        raise click.ClickException("no samples directory found (run from the repository, or pass one)")
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    numbers = AckNumbers(1, 1, 1, datetime.now(timezone.utc))
    rows = []
    totals = {"sets": 0, "accepted": 0, "rejected": 0, "acks": 0}
    for path in files:
        outcome = engine.validate_file(path)
        r: Report | None = outcome.report
        if r is None:
            rows.append((path.name, "-", "-", "-", "unreadable"))
            continue
        ts = r.transactions()
        acc = sum(1 for t in ts if t.status != "rejected")
        acks = engine.acknowledge(r, numbers) if r.interchanges else ""
        n_acks = acks.count("ST*997*") + acks.count("ST*999*") + acks.count("TA1*")
        totals["sets"] += len(ts)
        totals["accepted"] += acc
        totals["rejected"] += len(ts) - acc
        totals["acks"] += n_acks
        sets = ",".join(sorted({t.set_id for t in ts})) or "-"
        rows.append((path.name, sets, str(acc), str(len(ts) - acc), "ok" if r.ok else "REJECTED"))
    width = max([len(r[0]) for r in rows] + [4])
    click.echo(f"{'file':<{width}}  {'sets':<12} {'accepted':>8} {'rejected':>8}  verdict")
    for name, sets, acc, rej, verdict in rows:
        click.echo(f"{name:<{width}}  {sets:<12} {acc:>8} {rej:>8}  {verdict}")
    click.echo(f"\n{len(files)} files, {totals['sets']} transaction sets: {totals['accepted']} accepted, "
               f"{totals['rejected']} rejected; {totals['acks']} acknowledgements generated")


EXIT_INTERNAL = 70  # EX_SOFTWARE


def run() -> None:
    """Console entry point: users see one line, never a traceback (GATEWAY_DEBUG=1 shows it)."""
    try:
        main(standalone_mode=True)
    except GatewayError as exc:
        click.echo(f"gateway: {exc}", err=True)
        sys.exit(EXIT_REJECTED)
    except Exception as exc:  # a bug of ours: say so in one line
        if os.environ.get("GATEWAY_DEBUG"):
            raise
        click.echo(f"gateway: internal error, please report it: {type(exc).__name__}: {exc} (set GATEWAY_DEBUG=1 for details)", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    run()
