"""validate and ack: check X12 files and print the acknowledgements they earn."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE, engine_of

if TYPE_CHECKING:
    from gateway.api import FileOutcome


def _describe(outcome: FileOutcome) -> list[str]:
    lines: list[str] = []
    r = outcome.report
    if r is None:
        return [f"{outcome.path}: error: {outcome.error}"]
    for _level, control, f in r.envelope_findings():
        where = f" interchange {control}" if control and _level == "interchange" else (f" group {control}" if control else "")
        lines.append(f"{r.source}:{_at(f)} {f.severity}: {f.code}{where}: {f.message}")
    if n := r.envelope_omitted():
        lines.append(f"{r.source}: ... and {n:,} more envelope findings like those above, not listed")
    for t in r.transactions():
        lines.append(f"{r.source}: {t.set_id} {t.control_number} (group {t.group.control_number}, version {t.group.version}): {t.status}")
        for f in t.findings:
            if f.code == "transaction.segment_errors":
                continue
            ref = f.element or f.segment or ""
            lines.append(f"  {_at(f)} {f.severity}: {f.code} {ref}: {f.message}")
        if n := getattr(t.findings, "omitted", 0):
            lines.append(f"  ... and {n:,} more findings like those above, not listed")
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


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """Validate X12 FILES. Exit 0: all accepted; 1: something rejected or a broken envelope; 2: a file cannot be read."""
    engine = engine_of(ctx)
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
                if "envelope_errors_omitted" in d:
                    entry["envelope_errors_omitted"] = d["envelope_errors_omitted"]
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


@click.command()
@click.argument("file")
@click.option("--interchange-control", default=1, show_default=True, type=click.IntRange(1, 999_999_999), help="First ISA13 to use.")
@click.option("--group-control", default=1, show_default=True, type=click.IntRange(1, 999_999_999), help="First GS06 to use.")
@click.option("--set-control", default=1, show_default=True, type=click.IntRange(1, 999_999_999), help="First ST02 to use.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the acknowledgements here instead of stdout.")
@click.pass_context
def ack(ctx: click.Context, file: str, interchange_control: int, group_control: int, set_control: int, output: Path | None) -> None:
    """Print the 997/999 (and TA1 where due) acknowledging FILE."""
    engine = engine_of(ctx)
    outcome = engine.validate_file(file)
    if outcome.report is None or not outcome.report.interchanges:
        click.echo(f"gateway: {outcome.error or file + ': no interchange to acknowledge'}", err=True)
        ctx.exit(EXIT_UNREADABLE if not outcome.readable else EXIT_REJECTED)
    from gateway.formats.x12 import AckNumbers

    numbers = AckNumbers(interchange_control, group_control, set_control, datetime.now(UTC))
    text = engine.acknowledge(outcome.report, numbers)
    if output:
        output.write_text(text, encoding="latin-1")
    else:
        click.echo(text, nl=False)
    ctx.exit(EXIT_OK if outcome.report.ok else EXIT_REJECTED)
