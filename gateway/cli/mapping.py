"""mapping test: run the mapping specs' fixtures."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, engine_of, home_of, working_home
from gateway.testing import fixtures as fixtures_mod


@click.group()
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
    A case whose spec has problems (those gateway partner check reports) fails, whatever its
    output, and --update leaves it alone. Exit 0: all pass (or were updated); 1: a case fails.
    """
    home = working_home(ctx) if update and not paths else home_of(ctx)  # --update writes: a home's files, or those named
    roots = list(paths) or [home.mappings_dir]
    found = [f for root in roots for f in fixtures_mod.discover(root)]
    if not found:
        click.echo(f"no mapping fixtures under {', '.join(home.display(Path(r)) for r in roots) or 'mappings/'}", err=True)
        ctx.exit(EXIT_REJECTED)
    translator = fixtures_mod.translator_for_fixtures(home, found, [Path(p) for p in engine_of(ctx).spec_dirs])
    passed = failed = updated = 0
    linted: dict = {}
    for fixture in found:
        outcome = fixtures_mod.run(fixture, translator, linted)
        if outcome.ok:
            passed += 1
            if not quiet:
                click.echo(f"ok      {fixture.name}")
            continue
        if update and outcome.actual and not outcome.spec_problems:  # not when the input could not be translated at all
            fixtures_mod.update(outcome)
            updated += 1
            click.echo(f"updated {fixture.name} -> {home.display(fixture.expected)}")
            continue
        failed += 1
        click.echo(f"FAIL    {fixture.name}" + (" (not updated: fix the spec errors first)" if update and outcome.spec_problems else ""))
        for line in outcome.diff().splitlines():
            click.echo(f"    {line}")
    summary = f"{passed} passed, {failed} failed" + (f", {updated} updated" if update else "")
    click.echo(f"{summary} ({len(found)} fixture{'s' * (len(found) != 1)})")
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)
