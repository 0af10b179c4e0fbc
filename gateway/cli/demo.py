"""demo and init: make a home (a demo one with the sample partners, or an empty one)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.cli._common import EXIT_USAGE, home_of, print_partner_table, setup_logs
from gateway.home import Home


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep/--no-keep", default=True, show_default=True, help="Keep the demo home afterwards (to look around).")
@click.pass_context
def demo(ctx: click.Context, directory: Path | None, keep: bool) -> None:
    """Run the sample partners' files through the whole pipeline in a demo home (DIRECTORY, default a new
    temporary one): drop folders, store, acknowledgements, mapping, delivery to erp/. Prints a summary table."""
    import tempfile

    from gateway import workdir
    from gateway.data import DATA_ROOT
    from gateway.pipeline import Gateway

    repo = DATA_ROOT
    if not (repo / "samples" / "partners").is_dir():
        raise click.ClickException(f"the sample partner files are missing from this installation ({repo / 'samples' / 'partners'})")
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
    setup_logs("text", "warning")
    gw = Gateway(home)
    try:
        gw.serve(once=True, progress=lambda s: click.echo(f"... {s.files} files received, {s.delivered} documents delivered", err=True))
        status = gw.store.status()
    finally:
        gw.close()
    print_partner_table(status)
    t = status["transactions"]
    click.echo(f"\n{status['receipts']['received'] + status['receipts']['processed'] + status['receipts']['quarantined']} files received; "
               f"{sum(t.values())} documents: {t['delivered']} delivered, {t['quarantined']} quarantined; "
               f"{status['acks']['written']} acknowledgements sent")
    click.echo(f"look around: ls {root}/erp {root}/outbound; gateway --home {root} status; gateway --home {root} quarantine list")
    if not keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--isa-qualifier", metavar="Q", help="Our ISA qualifier (ISA07 of partners' interchanges), e.g. ZZ, 01, 12.")
@click.option("--isa-id", metavar="ID", help="Our interchange ID (ISA08 of partners' interchanges, ISA06 of our acknowledgements).")
@click.option("--gs-id", "gs_ids", multiple=True, metavar="G", help="Our application ID (GS03 of partners' groups; repeatable; default: the ISA ID).")
@click.pass_context
def init(ctx: click.Context, directory: Path | None, isa_qualifier: str | None, isa_id: str | None, gs_ids: tuple[str, ...]) -> None:
    """Create a work directory (DIRECTORY, else the home): gateway.yaml with our own identity and the erp
    connector, partners/ (with the profile schema), mappings/, inbound/, outbound/, archive/ and the message
    store (store/gateway.db unless gateway.yaml names another). Without --isa-qualifier/--isa-id it asks on a
    terminal, else writes a placeholder identity that serve refuses until it is set."""
    from gateway import workdir
    from gateway.config.settings import identity_problems, read_settings

    home = Home(directory.absolute(), True, home_of(ctx).repo_root) if directory else home_of(ctx)
    if not (directory or home.explicit or home.is_home):  # never the shipped layout (a checkout or site-packages) by default
        click.echo("gateway: init: say where: gateway init DIR (or --home DIR)", err=True)
        ctx.exit(EXIT_USAGE)
    identity = _identity_from_flags(isa_qualifier, isa_id, gs_ids)
    if identity is None and sys.stdin.isatty() and _needs_identity(home):
        identity = _ask_identity()
    try:
        created = workdir.init_home(home.root, identity)
    except NotADirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    from gateway.store import Store

    settings, source = read_settings(home)
    store = Store.open(settings.store_url(home))
    where = store.describe()
    store.close()
    for path in created.paths:
        click.echo(f"created {home.display(path)}{'/' if path.is_dir() else ''}")
    for path in created.updated:
        click.echo(f"updated {home.display(path)}")
    click.echo(f"store: {where} (migrated)")
    unset = identity_problems(home, settings, source)
    if unset:
        for line in unset:
            click.echo(f"warning: {line}", err=True)
    else:
        ours = settings.identity
        click.echo(f"our identity: ISA {ours.isa_qualifier}/{ours.isa_id}, GS {', '.join(ours.application_ids)}")
    click.echo(f"home ready: {home.root}; next: gateway --home {home.root} partner add ID --isa-qualifier ZZ --isa-id THEIRID --receives 850")


def _identity_from_flags(isa_qualifier: str | None, isa_id: str | None, gs_ids: tuple[str, ...]):
    from gateway.config.settings import OwnIdentity

    if isa_qualifier is None and isa_id is None and not gs_ids:
        return None
    if not isa_qualifier or not isa_id:
        missing = " and ".join(f for f, v in (("--isa-qualifier", isa_qualifier), ("--isa-id", isa_id)) if not v)
        raise click.UsageError(f"missing {missing}: our identity needs --isa-qualifier and --isa-id (--gs-id is optional)")
    data = {"isa_qualifier": isa_qualifier, "isa_id": isa_id, "gs_ids": list(gs_ids)}
    problems = _identity_problems(data)
    if not gs_ids and len(isa_id) < 2:
        problems.append(f"--gs-id needed: --isa-id {isa_id!r} is too short to be a GS ID (2-15 characters)")
    if problems:
        raise click.UsageError("; ".join(problems))
    return OwnIdentity.from_data(data)


def _identity_problems(data: dict) -> list[str]:
    from gateway.config.settings import OwnIdentity

    flags = {"isa_qualifier": "--isa-qualifier", "isa_id": "--isa-id", "gs_ids": "--gs-id"}
    hints = {"isa_qualifier": "two letters or digits, e.g. ZZ, 01, 12", "isa_id": "1-15 printable characters, no leading or trailing spaces",
             "gs_ids": "2-15 printable characters, no leading or trailing spaces"}
    out = []
    for problem in OwnIdentity.problems(data):
        key = problem.split("/", 1)[0].split(":", 1)[0].strip()
        value = data.get(key)
        shown = ", ".join(value) if isinstance(value, list) else value
        out.append(f"{flags.get(key, key)} {shown!r}: {hints.get(key, problem)}")
    return sorted(set(out))


def _needs_identity(home: Home) -> bool:
    from gateway.config.settings import read_settings
    from gateway.errors import ConfigError

    try:
        ident = read_settings(home)[0].identity
    except ConfigError:
        return False  # reported when the home is used
    return ident is None or ident.is_placeholder


def _ask_identity():
    from gateway.config.settings import OwnIdentity

    click.echo("Our own identity: partners address their interchanges to it, our acknowledgements come from it.")

    def ask(text: str, key: str, default: str | None = None) -> str:
        def proc(value: str) -> str:
            value = value.strip()
            problems = _identity_problems({"isa_qualifier": "ZZ", "isa_id": "X", key: [value] if key == "gs_ids" else value})
            if problems:
                raise click.UsageError(problems[0])
            return value

        return click.prompt(text, default=default, value_proc=proc)

    qualifier = ask("Our ISA qualifier (ISA07 of their interchanges)", "isa_qualifier", "ZZ")
    isa_id = ask("Our ISA ID (ISA08 of their interchanges)", "isa_id")
    gs = ask("Our GS application ID (GS03 of their groups)", "gs_ids", isa_id)
    return OwnIdentity(isa_qualifier=qualifier, isa_id=isa_id, gs_ids=[gs])
