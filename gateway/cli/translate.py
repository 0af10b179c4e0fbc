"""translate: X12 or a partner's flat file into canonical JSON documents."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE, PARTNER_ID, engine_of, home_of
from gateway.errors import ConfigError, GatewayError, NotX12, UnreadableInput
from gateway.translate import describe, translator_for


def _translator(ctx: click.Context):
    return translator_for(home_of(ctx), [Path(p) for p in engine_of(ctx).spec_dirs], engine_of(ctx).charset, lint=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--partner", "partner_id", metavar="ID", type=PARTNER_ID,
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

    A file that takes more than a second shows its progress (bytes read, documents) on stderr when
    stderr is a terminal; never on a pipe, never on stdout.
    """
    progress = _Progress(file)
    try:
        result, documents = _translator(ctx).stream(file, partner_id, spec_name)
        failed = _emit_documents(result, documents, fmt, progress)
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


class _Progress:
    """How far ``translate`` has got in FILE, on a terminal's stderr (see ``gateway.cli.progress``)."""

    def __init__(self, file: str) -> None:
        from gateway.cli.progress import StatusLine

        self.line = StatusLine()
        try:
            self.total = Path(file).stat().st_size if self.line.active else 0
        except OSError:
            self.total = 0  # the error comes from reading it
        self.name = Path(file).name

    def update(self, offset: int, documents: int) -> None:
        if not self.line.active:
            return
        from gateway.cli.progress import size

        where = f"{offset * 100 // self.total}% ({size(offset)} of {size(self.total)})" if self.total else size(offset)
        self.line.show(f"translating {self.name}: {where}, {documents} document{'s' * (documents != 1)}")

    def clear(self) -> None:
        self.line.clear()


_INDENTED = json.JSONEncoder(ensure_ascii=False, indent=2)


def _write_indented(out, document: dict) -> None:
    """``json.dumps(document, indent=2)`` written in pieces: the text of a big document (several times its
    size in memory, and more for the pieces joined) is never whole."""
    pieces: list[str] = []
    for piece in _INDENTED.iterencode(document):
        pieces.append(piece)
        if len(pieces) >= 8192:
            out.write("".join(pieces))
            pieces.clear()
    out.write("".join(pieces))


def _emit_documents(result, documents, fmt: str, progress: _Progress | None = None) -> bool:
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
            if progress is not None and (translated.issues or len(result.notes) > reported):
                progress.clear()  # before other lines on the same terminal
            for note in result.notes[reported:]:  # notes fill in as the file is read
                click.echo(f"{result.source}: note: {note}", err=True)
            reported = len(result.notes)
            label = describe(translated)
            for issue in translated.issues:
                at = f" at {issue.source}" if issue.source else ""
                field = f" {issue.field}" if issue.field else ""
                click.echo(f"{result.source}: {label}: {issue.severity}: {issue.code}{field}{at}: {issue.message}", err=True)
            seen += 1
            if progress is not None:
                progress.update(translated.offset, seen)
            if not translated.ok:  # stdout carries only documents an ERP may take; the reasons are on stderr
                failed += 1
                continue
            if fmt == "json":
                out.write(("," if count else "") + "\n")
                _write_indented(out, translated.document)
            else:
                out.write(json.dumps(translated.document, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if progress is not None:
            progress.clear()
        if fmt == "json":
            out.write("\n]\n" if count else "]\n")
    for note in result.notes[reported:]:
        click.echo(f"{result.source}: note: {note}", err=True)
    partner = f", partner {result.partner}" if result.partner else ""
    click.echo(f"{result.source}: {seen} document{'s' * (seen != 1)}, {failed} failed{partner}", err=True)
    return bool(failed) or seen == 0
