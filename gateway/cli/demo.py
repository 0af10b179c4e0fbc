"""demo and init: make a home (a demo one with the sample partners, or an empty one)."""

from __future__ import annotations

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
@click.pass_context
def init(ctx: click.Context, directory: Path | None) -> None:
    """Create a work directory (DIRECTORY, else the home): gateway.yaml, partners/, mappings/, inbound/,
    outbound/, archive/ and the message store (store/gateway.db unless gateway.yaml names another)."""
    from gateway import workdir

    home = Home(directory.absolute(), True, home_of(ctx).repo_root) if directory else home_of(ctx)
    if not (directory or home.explicit or home.is_home):  # never the shipped layout (a checkout or site-packages) by default
        click.echo("gateway: init: say where: gateway init DIR (or --home DIR)", err=True)
        ctx.exit(EXIT_USAGE)
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
