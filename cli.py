"""The ``gateway`` command: a thin click tree over ``gateway.api``."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import click

from gateway import __version__, onboarding
from gateway.api import Engine, FileOutcome
from gateway.config.partner import Partners
from gateway.config.yamlio import dump_yaml
from gateway.errors import ConfigError, GatewayError, NotX12, UnreadableInput
from gateway.formats.x12 import AckNumbers
from gateway.home import ENV_VAR as HOME_ENV
from gateway.home import Home
from gateway.testing import fixtures as fixtures_mod
from gateway.translate import describe, translator_for

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
EXIT_USAGE = 2  # as click's usage errors


@dataclass
class _App:
    engine: Engine
    home: Home


def _engine(ctx: click.Context) -> Engine:
    return ctx.find_object(_App).engine


def _home(ctx: click.Context) -> Home:
    return ctx.find_object(_App).home


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gateway")
@click.option("--home", "home_dir", envvar=HOME_ENV, metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help=f"Work directory holding config, partners, mappings, store and folders [env: {HOME_ENV}; "
                   "default: this repository's layout, or the current directory].")
@click.option("--spec-dir", "spec_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Extra pyx12-format spec directory (repeatable).")
@click.option("--charset", type=click.Choice(["extended", "any"]), default="extended", show_default=True,
              help="Characters allowed in AN/ID data: the X12 extended set, or anything but control characters.")
@click.pass_context
def main(ctx: click.Context, home_dir: Path | None, spec_dirs: tuple[Path, ...], charset: str) -> None:
    """B2B/EDI partner gateway: validate, acknowledge and translate X12."""
    ctx.obj = _App(Engine(list(spec_dirs), charset), Home.locate(home_dir))


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
    numbers = AckNumbers(interchange_control, group_control, set_control, datetime.now(UTC))
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


def _translator(ctx: click.Context):
    return translator_for(_home(ctx), [Path(p) for p in _engine(ctx).spec_dirs], _engine(ctx).charset)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--partner", "partner_id", metavar="ID",
              help="The partner the file comes from [default: found by the interchange sender ID; required for flat files].")
@click.option("--spec", "spec_name", metavar="NAME", help="Map every document with this spec, e.g. acme-retail/850-004010-in.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default="json", show_default=True,
              help="json: one JSON list of documents; jsonl: one document per line.")
@click.pass_context
def translate(ctx: click.Context, file: str, partner_id: str | None, spec_name: str | None, fmt: str) -> None:
    """Translate FILE (X12, or a partner's flat file) into canonical JSON documents on stdout.

    Only documents that translated cleanly (warnings allowed) are printed; issues and notes go to
    stderr, one line each, naming the document and where in the file. Exit 0: every document
    translated; 1: a document failed (rejected by validation, a mapping or schema error), there was
    nothing to translate, or the partner or its mapping is misconfigured; 2: FILE cannot be read
    (or is a flat file given without --partner).
    """
    try:
        result, documents = _translator(ctx).stream(file, partner_id, spec_name)
        failed = _emit_documents(result, documents, fmt)
    except UnreadableInput as exc:
        click.echo(f"gateway: {exc}", err=True)
        ctx.exit(EXIT_UNREADABLE)
    except NotX12 as exc:
        click.echo(f"gateway: {exc}", err=True)
        ctx.exit(EXIT_UNREADABLE)
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"gateway: {line}", err=True)
        ctx.exit(EXIT_REJECTED)
    except GatewayError as exc:  # e.g. a flat file that does not fit its layout
        click.echo(f"gateway: {exc}", err=True)
        ctx.exit(EXIT_REJECTED)
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)


def _emit_documents(result, documents, fmt: str) -> bool:
    """Writes documents as they come (a 500 MB file never sits in memory); True when something failed.

    The JSON list is closed even when reading stops on an error half-way: stdout stays valid JSON
    (the documents before the error) and the error goes to stderr.
    """
    out = click.get_text_stream("stdout")
    count = failed = seen = reported = 0
    if fmt == "json":
        out.write("[")
    try:
        for translated in documents:
            for note in result.notes[reported:]:  # notes fill in as the file is read
                click.echo(f"{result.source}: note: {note}", err=True)
            reported = len(result.notes)
            label = describe(translated)
            for issue in translated.issues:
                at = f" at {issue.source}" if issue.source else ""
                field = f" {issue.field}" if issue.field else ""
                click.echo(f"{result.source}: {label}: {issue.severity}: {issue.code}{field}{at}: {issue.message}", err=True)
            seen += 1
            if not translated.ok:  # stdout carries only documents an ERP may take; the reasons are on stderr
                failed += 1
                continue
            text = json.dumps(translated.document, ensure_ascii=False, indent=2 if fmt == "json" else None)
            if fmt == "json":
                out.write(("," if count else "") + "\n" + text)
            else:
                out.write(text + "\n")
            count += 1
    finally:
        if fmt == "json":
            out.write("\n]\n" if count else "]\n")
    for note in result.notes[reported:]:
        click.echo(f"{result.source}: note: {note}", err=True)
    partner = f", partner {result.partner}" if result.partner else ""
    click.echo(f"{result.source}: {seen} document{'s' * (seen != 1)}, {failed} failed{partner}", err=True)
    return bool(failed) or seen == 0


@main.group()
def mapping() -> None:
    """Mapping specs: run their test fixtures."""


@mapping.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--update", is_flag=True, help="Rewrite the expectations of failing cases with today's output (review the diff first).")
@click.option("-q", "--quiet", is_flag=True, help="Print failures and the summary only.")
@click.pass_context
def mapping_test(ctx: click.Context, paths: tuple[Path, ...], update: bool, quiet: bool) -> None:
    """Run mapping fixtures: each input must translate to its expectation.

    PATHS are mappings directories, spec files or .fixtures folders [default: the home's
    mappings/]. A mismatch prints a unified diff (expected → actual).
    Exit 0: all pass (or were updated); 1: a case fails.
    """
    home = _home(ctx)
    roots = list(paths) or [home.mappings_dir]
    found = [f for root in roots for f in fixtures_mod.discover(root)]
    if not found:
        click.echo(f"no mapping fixtures under {', '.join(home.display(Path(r)) for r in roots) or 'mappings/'}", err=True)
        ctx.exit(EXIT_REJECTED)
    translator = fixtures_mod.translator_for_fixtures(home, found, [Path(p) for p in _engine(ctx).spec_dirs])
    passed = failed = updated = 0
    for fixture in found:
        outcome = fixtures_mod.run(fixture, translator)
        if outcome.ok:
            passed += 1
            if not quiet:
                click.echo(f"ok      {fixture.name}")
            continue
        if update and outcome.actual:  # not when the input could not be translated at all
            fixtures_mod.update(outcome)
            updated += 1
            click.echo(f"updated {fixture.name} -> {home.display(fixture.expected)}")
            continue
        failed += 1
        click.echo(f"FAIL    {fixture.name}")
        for line in outcome.diff().splitlines():
            click.echo(f"    {line}")
    summary = f"{passed} passed, {failed} failed" + (f", {updated} updated" if update else "")
    click.echo(f"{summary} ({len(found)} fixture{'s' * (len(found) != 1)})")
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep/--no-keep", default=True, show_default=True, help="Keep the demo home afterwards (to look around).")
@click.pass_context
def demo(ctx: click.Context, directory: Path | None, keep: bool) -> None:
    """Run the sample partners' files through the whole pipeline in a demo home (DIRECTORY, default a new
    temporary one): drop folders, store, acknowledgements, mapping, delivery to erp/. Prints a summary table."""
    import tempfile

    from gateway import workdir
    from gateway.home import REPO_ROOT
    from gateway.pipeline import Gateway

    repo = _home(ctx).repo_root or REPO_ROOT
    if not (repo / "samples" / "partners").is_dir():
        raise click.ClickException("the sample partner files are not here (run from a clone of the repository)")
    root = directory.absolute() if directory else Path(tempfile.mkdtemp(prefix="gateway-demo-"))
    try:
        home = workdir.demo_home(root, repo)
    except (FileExistsError, NotADirectoryError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"demo home: {root}")
    from gateway.channels.drop_folder import write_outbound

    inputs = workdir.demo_inputs(repo)
    for pid, name, data in inputs:
        write_outbound(home.inbound_dir(pid), name, data)  # written then renamed in, as partners should
    click.echo(f"dropped {len(inputs)} files into {', '.join(sorted({f'inbound/{p}/' for p, _, _ in inputs}))}")
    _setup_logs("text", "warning")
    gw = Gateway(home)
    try:
        gw.serve(once=True, progress=lambda s: click.echo(f"... {s.files} files received, {s.work} work items done", err=True))
        status = gw.store.status()
    finally:
        gw.close()
    _print_partner_table(status)
    t = status["transactions"]
    click.echo(f"\n{status['receipts']['received'] + status['receipts']['processed'] + status['receipts']['quarantined']} files received; "
               f"{sum(t.values())} documents: {t['delivered']} delivered, {t['quarantined']} quarantined; "
               f"{status['acks']['written']} acknowledgements sent")
    click.echo(f"look around: ls {root}/erp {root}/outbound; gateway --home {root} status; gateway --home {root} quarantine list")
    if not keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


def _print_partner_table(status: dict) -> None:
    rows = [("partner", "files", "documents", "delivered", "quarantined", "acks sent")]
    for pid, c in status["partners"].items():
        docs = sum(v for k, v in c.items() if k not in ("files", "acks"))
        rows.append((pid, str(c.get("files", 0)), str(docs), str(c.get("delivered", 0)), str(c.get("quarantined", 0)), str(c.get("acks", 0))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(r[0].ljust(widths[0]) if i == 0 else r[i].rjust(widths[i]) for i in range(len(r))))


# -- the pipeline ------------------------------------------------------------------------------------


def _setup_logs(fmt: str, level: str) -> None:
    from gateway.logs import setup_logging

    setup_logging(fmt, level)


def _store(ctx: click.Context):
    from gateway.config.settings import load_settings
    from gateway.store import Store

    home = _home(ctx)
    return Store.open(load_settings(home).store_url(home))


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx: click.Context, directory: Path | None) -> None:
    """Create a work directory (DIRECTORY, else the home): gateway.yaml, partners/, mappings/, inbound/,
    outbound/, archive/ and the message store (store/gateway.db unless gateway.yaml names another)."""
    from gateway import workdir

    home = Home(directory.absolute(), True, _home(ctx).repo_root) if directory else _home(ctx)
    try:
        created = workdir.init_home(home.root)
    except NotADirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    from gateway.config.settings import load_settings
    from gateway.store import Store

    url = load_settings(home).store_url(home)
    store = Store.open(url)
    where = store.describe()
    store.close()
    for path in created.paths:
        click.echo(f"created {home.display(path)}{'/' if path.is_dir() else ''}")
    click.echo(f"store: {where} (migrated)")
    click.echo(f"home ready: {home.root}; next: gateway --home {home.root} partner add ID --isa-qualifier ZZ --isa-id THEIRID --receives 850")


@main.command()
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

    home = _home(ctx)
    engine = _engine(ctx)
    gw = Gateway(home, spec_dirs=engine.spec_dirs, charset=engine.charset)
    _setup_logs(log_format or gw.settings.logging.format, log_level or gw.settings.logging.level)
    children: list = []

    def stop(signum, _frame) -> None:
        gw.stop()
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)  # before any child exists: a signal in between is not lost
    signal.signal(signal.SIGINT, stop)
    if workers > 1:
        base = [sys.executable, "-m", "cli", "--home", str(home.root), "--charset", engine.charset]
        base += [a for d in engine.spec_dirs for a in ("--spec-dir", str(d))] + ["serve", "--no-channels"]
        base += ["--once"] if once else []
        base += ["--log-format", log_format] if log_format else []
        base += ["--log-level", log_level] if log_level else []
        children.extend(subprocess.Popen(base, cwd=str(Path(__file__).resolve().parent)) for _ in range(workers - 1))
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


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: receipts, transactions, deliveries, quarantine, acks, work, partners.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts by state: files, transaction sets (and by partner), deliveries, quarantine, acks, the work queue."""
    store = _store(ctx)
    try:
        doc = store.status()
        doc["store"] = store.describe()
    finally:
        store.close()
    from gateway.preflight import home_not_served

    doc["not_served"] = home_not_served(_home(ctx))  # partner ID -> problems, as gateway serve sees them
    if as_json:
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"store: {doc['store']}")
    for pid, problems in doc["not_served"].items():
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        click.echo(f"{'not served:':<14}{pid}, its files wait: {problems[0]}{more}; see gateway partner check {pid}")
    for title in ("receipts", "transactions", "deliveries", "quarantine"):
        click.echo(f"{title + ':':<14}" + ", ".join(f"{k} {v}" for k, v in doc[title].items()))
    click.echo(f"{'acks:':<14}written {doc['acks']['written']}, pending {doc['acks']['pending']}")
    click.echo(f"{'work:':<14}ready {doc['work']['ready']}, claimed {doc['work']['claimed']}, waiting to retry {doc['work']['waiting']}")
    if doc["partners"]:
        click.echo("")
        _print_partner_table(doc)


@main.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the lineage as JSON.")
@click.pass_context
def trace(ctx: click.Context, key: str, as_json: bool) -> None:
    """The lineage of KEY (a PO number, ASN/shipment id, invoice number, correlation id or file name): the file,
    its interchanges, documents, acks, deliveries, quarantine and every event with its time. Exit 1: nothing found."""
    store = _store(ctx)
    try:
        found = store.trace(key)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(found, indent=2))
    else:
        for lineage in found:
            _print_lineage(lineage)
    if not found:
        click.echo(f"gateway: nothing found for {key!r}", err=True)
    ctx.exit(EXIT_OK if found else EXIT_REJECTED)


def _print_lineage(x: dict) -> None:
    r = x["receipt"]
    click.echo(f"file {r['file']} via {r['channel']} from {r['partner'] or '?'}: {r['state']} (received {r['received_at']}, "
               f"{r['size']} bytes, correlation {r['correlation_id']})")
    for ix in x["interchanges"]:
        click.echo(f"  interchange {ix['control_number']} {ix['sender']} -> {ix['receiver']}: {ix['state']}")
    for a in x["acks"]:
        click.echo(f"  ack {a['kinds']} {a['control_number']} -> {a['path']} ({'written ' + a['written_at'] if a['written_at'] else 'pending'})")
    for t in x["transactions"]:
        label = " ".join(v for v in (t["set"], t["control_number"]) if v)
        key = f" {t['document_type']} {t['business_key']}" if t["business_key"] else (f" {t['document_type']}" if t["document_type"] else "")
        click.echo(f"  {label}{key}: {t['state']} (correlation {t['correlation_id']})")
        for d in t["deliveries"]:
            click.echo(f"    route {d['route']} {d['connector']}: {d['state']} after {d['attempts']} attempt(s)"
                       + (f" -> {d['target']}" if d["target"] else "") + (f" (last error: {d['last_error']})" if d["last_error"] else ""))
    for q in x["quarantine"]:
        click.echo(f"  quarantine #{q['id']} [{q['state']}] {q['kind']} at {q['stage']}: {q['code']}: {q['reason']}")
    click.echo("  events:")
    for e in x["events"]:
        click.echo(f"    {e['at']}  {e['stage']:<10} {e['state']:<12} {e['message'] or ''}")


@main.group()
def quarantine() -> None:
    """What stopped, and why: list, show, reprocess (after a fix), discard."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also items reprocessed or discarded.")
@click.option("--partner", "partner_id", metavar="ID", help="Only this partner's items.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine_list(ctx: click.Context, show_all: bool, partner_id: str | None, as_json: bool) -> None:
    """Open quarantine items, oldest first."""
    store = _store(ctx)
    try:
        items = store.quarantine_items(state=None if show_all else "open", partner_id=partner_id)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for q in items:
        click.echo(f"#{q['id']:<5} {q['created_at']}  {q['partner'] or '?':<16} {q['kind']:<11} {q['stage']:<9} {q['state']:<11} "
                   f"{q['code']}: {q['reason']}")
    click.echo(f"{len(items)} item{'s' * (len(items) != 1)}")


def _quarantine_id(ctx: click.Context, store, qid: int) -> dict:
    item = store.quarantine_item(qid)
    if item is None:
        store.close()
        click.echo(f"gateway: no quarantine item #{qid}", err=True)
        ctx.exit(EXIT_REJECTED)
    return item


@quarantine.command("show")
@click.argument("qid", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine_show(ctx: click.Context, qid: int, as_json: bool) -> None:
    """One item: reason, every issue with its field and position, the file it came from."""
    store = _store(ctx)
    try:
        item = _quarantine_id(ctx, store, qid)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(item, indent=2))
        return
    for k in ("id", "state", "kind", "stage", "code", "reason", "partner", "file", "channel", "received_at", "created_at", "correlation_id"):
        if item.get(k) is not None:
            click.echo(f"{k + ':':<16}{item[k]}")
    for k in ("transaction", "delivery"):
        if item.get(k):
            click.echo(f"{k + ':':<16}" + ", ".join(f"{a} {b}" for a, b in item[k].items() if b is not None))
    for i in item["issues"]:
        where = " ".join(str(i[k]) for k in ("field", "source", "segment", "element") if i.get(k))
        pos = f" segment {i['segment_number']}" if i.get("segment_number") else ""
        click.echo(f"  {i.get('severity', 'error')}: {i['code']}{(' ' + where) if where else ''}{pos}: {i['message']}")


@quarantine.command("reprocess")
@click.argument("qids", metavar="ID...", type=int, nargs=-1, required=True)
@click.pass_context
def quarantine_reprocess(ctx: click.Context, qids: tuple[int, ...]) -> None:
    """Queue items again from the stage they stopped in (after fixing a profile or spec; a duplicate is then
    processed again on purpose). A running `gateway serve` picks them up; or run `gateway serve --once`."""
    store = _store(ctx)
    failed = False
    try:
        for qid in qids:
            try:
                item = store.reprocess(qid)
                click.echo(f"#{qid}: queued again ({item['kind']} from stage {item['stage']})")
            except KeyError:
                click.echo(f"gateway: no quarantine item #{qid}", err=True)
                failed = True
            except ValueError as exc:
                click.echo(f"gateway: {exc}", err=True)
                failed = True
    finally:
        store.close()
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)


@quarantine.command("discard")
@click.argument("qids", metavar="ID...", type=int, nargs=-1, required=True)
@click.option("--reason", help="Why, for the record.")
@click.pass_context
def quarantine_discard(ctx: click.Context, qids: tuple[int, ...], reason: str | None) -> None:
    """Give items up for good (they stay in the store and in traces, marked discarded)."""
    store = _store(ctx)
    failed = False
    try:
        for qid in qids:
            try:
                store.discard(qid, reason)
                click.echo(f"#{qid}: discarded")
            except KeyError:
                click.echo(f"gateway: no quarantine item #{qid}", err=True)
                failed = True
            except ValueError as exc:
                click.echo(f"gateway: {exc}", err=True)
                failed = True
    finally:
        store.close()
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)


# -- partners ---------------------------------------------------------------------------------------


@main.group()
def partner() -> None:
    """Partner profiles (partners/<id>.yaml): add, list, check, show."""


def _sets(values: tuple[str, ...]) -> list[str]:
    """``--receives 850 --receives 810`` or ``--receives 850,810``."""
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


def _ask(text: str, default: str | None, check) -> str:
    def proc(value: str) -> str:
        value = value.strip()
        problem = check(value)
        if problem:
            raise click.UsageError(problem)
        return value

    return click.prompt(text, default=default, value_proc=proc)


@partner.command("add")
@click.argument("partner_id", metavar="ID")
@click.option("--name", help="The partner's name (default: ID).")
@click.option("--isa-qualifier", help="ISA05 of their interchanges, e.g. ZZ, 01, 12.")
@click.option("--isa-id", help="ISA06 of their interchanges (without padding).")
@click.option("--gs-id", "gs_ids", multiple=True, help="GS02 application sender code (repeatable; default: the ISA ID).")
@click.option("--version", "x12_version", type=click.Choice(onboarding.VERSIONS), default="004010", show_default=True, help="X12 version of the documents.")
@click.option("--receives", multiple=True, metavar="SET", help="A transaction set the gateway receives FROM the partner, e.g. 850 (repeatable).")
@click.option("--sends", multiple=True, metavar="SET", help="A transaction set the gateway sends TO the partner, e.g. 810 (repeatable).")
@click.option("--channel", type=click.Choice(onboarding.CHANNELS), help="How files travel [default: drop_folder with --home, else none].")
@click.option("-i", "--interactive", is_flag=True, help="Ask for what the flags do not give (the default on a terminal when --isa-id is missing).")
@click.pass_context
def partner_add(ctx: click.Context, partner_id: str, name: str | None, isa_qualifier: str | None, isa_id: str | None, gs_ids: tuple[str, ...],
                x12_version: str, receives: tuple[str, ...], sends: tuple[str, ...], channel: str | None, interactive: bool) -> None:
    """Create partners/ID.yaml, mappings/ID/ with a mapping-test README and, in a home, inbound/ID/ and outbound/ID/."""
    home = _home(ctx)
    new = onboarding.NewPartner(partner_id, isa_qualifier or "", isa_id or "", list(gs_ids), name, x12_version, _sets(receives), _sets(sends), channel)
    prompt = interactive or (isa_id is None and sys.stdin.isatty())
    if not prompt:
        missing = [flag for flag, value in (("--isa-qualifier", isa_qualifier), ("--isa-id", isa_id)) if not value]
        if missing:
            raise click.UsageError(f"missing {' and '.join(missing)} (or use --interactive)")
    try:
        if prompt:
            new = _prompt_partner(new, home, x12_version_given=ctx.get_parameter_source("x12_version") != click.core.ParameterSource.DEFAULT)
        result = onboarding.add_partner(home, new, spec_dirs=_engine(ctx).spec_dirs)
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"gateway: {line}", err=True)
        ctx.exit(EXIT_USAGE if exc.code == onboarding.INVALID_REQUEST else EXIT_REJECTED)
    for path in result.created:
        click.echo(f"created {home.display(path)}{'/' if path.is_dir() else ''}")
    for line in result.check.problems:
        click.echo(f"to do: {line}")
    for line in result.check.warnings:
        click.echo(f"note: {line}")
    click.echo(f"next: edit {home.display(result.profile)}, then run: gateway partner check {new.id}")


def _prompt_partner(new: onboarding.NewPartner, home: Home, *, x12_version_given: bool) -> onboarding.NewPartner:
    id_problems = onboarding.NewPartner(new.id, "ZZ", "X").problems()
    if id_problems:
        raise ConfigError(id_problems, code=onboarding.INVALID_REQUEST)

    def problem_of(**changes) -> str | None:
        trial = replace(new, isa_qualifier="ZZ", isa_id="X", gs_ids=[], version="004010", receives=[], sends=[], channel=None)
        found = replace(trial, **changes).problems()
        return found[0] if found else None

    new.name = _ask("Partner name", new.name or new.id, lambda v: None if v else "a name, please")
    new.isa_qualifier = _ask("ISA qualifier (ISA05)", new.isa_qualifier or "ZZ", lambda v: problem_of(isa_qualifier=v))
    new.isa_id = _ask("ISA ID (ISA06)", new.isa_id or None, lambda v: problem_of(isa_id=v))
    new.gs_ids = _sets((_ask("GS application ID (GS02)", ",".join(new.gs_ids) or new.isa_id, lambda v: problem_of(gs_ids=_sets((v,)))),))
    if not x12_version_given:
        new.version = _ask("X12 version", new.version, lambda v: problem_of(version=v))
    new.receives = _sets((_ask("Documents the gateway receives from the partner, e.g. 850 (empty: none)", ",".join(new.receives),
                               lambda v: problem_of(receives=_sets((v,)))),))
    new.sends = _sets((_ask("Documents the gateway sends to the partner, e.g. 855,856,810 (empty: none)", ",".join(new.sends),
                            lambda v: problem_of(sends=_sets((v,)))),))
    default_channel = new.channel or ("drop_folder" if home.explicit else "none")
    new.channel = _ask(f"Channel ({', '.join(onboarding.CHANNELS)})", default_channel, lambda v: problem_of(channel=v))
    return new


@partner.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def partner_list(ctx: click.Context, as_json: bool) -> None:
    """List the partner profiles of the home. Exit 1 when one does not load."""
    home = _home(ctx)
    rows = onboarding.summaries(home)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2))
    elif not rows:
        click.echo(f"no partners in {home.display(home.partners_dir)}")
    else:
        table = [("id", "name", "isa", "receives", "sends", "channels")]
        table += [(r.id, r.name, r.isa, ",".join(r.receives) or "-", ",".join(r.sends) or "-", ",".join(r.channels) or "-")
                  for r in rows if not r.problems]
        widths = [max(len(row[i]) for row in table) for i in range(6)]
        widths[0] = max(widths[0], *(len(r.id) for r in rows))
        header, *lines = ["  ".join(f"{c:<{w}}" for c, w in zip(row, widths)).rstrip() for row in table]
        by_id = {row[0]: line for row, line in zip(table[1:], lines)}
        click.echo(header)
        for r in rows:
            n = len(r.problems)
            click.echo(f"{r.id:<{widths[0]}}  INVALID: {n} problem{'s' * (n != 1)} (gateway partner check {r.id})" if n else by_id[r.id])
    ctx.exit(EXIT_REJECTED if any(r.problems for r in rows) else EXIT_OK)


@partner.command("check")
@click.argument("partner_ids", metavar="[ID]...", nargs=-1)
@click.pass_context
def partner_check(ctx: click.Context, partner_ids: tuple[str, ...]) -> None:
    """Check profiles (all without ID), the mapping specs and files they refer to: one line per problem. Exit 1 on a problem."""
    home = _home(ctx)
    ids = list(partner_ids) or Partners(home).ids()
    if not ids:
        click.echo(f"no partners in {home.display(home.partners_dir)}")
        return
    partners = Partners(home)
    failed = False
    for pid in ids:
        result = onboarding.check_partner(home, pid, spec_dirs=_engine(ctx).spec_dirs, partners=partners)
        for line in result.problems:
            click.echo(line)
        for line in result.warnings:
            click.echo(f"{line} (warning)")
        n, w = len(result.problems), len(result.warnings)
        verdict = f"{n} problem{'s' * (n != 1)}" if n else "ok"
        click.echo(f"{pid}: {verdict}{f', {w} warning' + 's' * (w != 1) if w else ''}")
        failed |= not result.ok
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)


@partner.command("show")
@click.argument("partner_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_context
def partner_show(ctx: click.Context, partner_id: str, as_json: bool) -> None:
    """Print a profile as loaded: ${ENV} resolved, defaults filled in, secrets masked."""
    profile = Partners(_home(ctx)).load(partner_id)
    data = profile.to_data()
    click.echo(json.dumps(data, indent=2) if as_json else dump_yaml(data), nl=as_json)


EXIT_INTERNAL = 70  # EX_SOFTWARE


def run() -> None:
    """Console entry point: users see one line, never a traceback (GATEWAY_DEBUG=1 shows it)."""
    try:
        main(standalone_mode=True)
    except ConfigError as exc:  # one line per problem
        for line in exc.problems:
            click.echo(f"gateway: {line}", err=True)
        sys.exit(EXIT_REJECTED)
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
