"""partner: add, list, check and show partner profiles."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import click

from gateway import onboarding
from gateway.cli._common import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, PARTNER_ID, engine_of, home_of, working_home
from gateway.config.partner import Partners
from gateway.config.yamlio import dump_yaml
from gateway.errors import ConfigError
from gateway.home import Home


@click.group()
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
@click.option("--channel", type=click.Choice(onboarding.CHANNELS), help="How files travel [default: drop_folder].")
@click.option("-i", "--interactive", is_flag=True, help="Ask for what the flags do not give (the default on a terminal when --isa-id is missing).")
@click.pass_context
def partner_add(ctx: click.Context, partner_id: str, name: str | None, isa_qualifier: str | None, isa_id: str | None, gs_ids: tuple[str, ...],
                x12_version: str, receives: tuple[str, ...], sends: tuple[str, ...], channel: str | None, interactive: bool) -> None:
    """Create partners/ID.yaml, mappings/ID/ with a mapping-test README and, in a home, inbound/ID/ and outbound/ID/."""
    home = working_home(ctx)
    new = onboarding.NewPartner(partner_id, isa_qualifier or "", isa_id or "", list(gs_ids), name, x12_version, _sets(receives), _sets(sends), channel)
    prompt = interactive or (isa_id is None and sys.stdin.isatty())
    if not prompt:
        missing = [flag for flag, value in (("--isa-qualifier", isa_qualifier), ("--isa-id", isa_id)) if not value]
        if missing:
            raise click.UsageError(f"missing {' and '.join(missing)} (or use --interactive)")
    try:
        if prompt:
            new = _prompt_partner(new, home, x12_version_given=ctx.get_parameter_source("x12_version") != click.core.ParameterSource.DEFAULT)
        result = onboarding.add_partner(home, new, spec_dirs=engine_of(ctx).spec_dirs)
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
    if result.check.problems:
        click.echo(f"next: fix the above in {home.display(result.profile)}, then run: gateway partner check {new.id}")
        return
    from gateway.config.partner import load_profile

    profile = load_profile(result.profile)
    unrouted = [d.document_type for d in profile.documents.receives
                if d.document_type and d.document_type != "functional_ack" and not profile.route_for(d.document_type)]
    inbound = next((p for p in result.created if p.is_dir() and p.parent.name == "inbound"), None)
    if unrouted:
        click.echo(f"next: add routes for {', '.join(unrouted)} to {home.display(result.profile)} (no erp connector in gateway.yaml "
                   f"to route them to), then run: gateway partner check {new.id}")
    elif inbound is not None:
        click.echo(f"ready: their files go into {home.display(inbound)}/; run: gateway serve (--once to process what waits)")
    else:
        click.echo(f"ready: gateway partner check {new.id} passes")


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
    default_channel = new.channel or ("drop_folder" if home.explicit or home.is_home else "none")
    new.channel = _ask(f"Channel ({', '.join(onboarding.CHANNELS)})", default_channel, lambda v: problem_of(channel=v))
    return new


@partner.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def partner_list(ctx: click.Context, as_json: bool) -> None:
    """List the partner profiles of the home. Exit 1 when one does not load."""
    home = home_of(ctx)
    if not home.is_home:
        click.echo(f"gateway: note: not in a gateway home: listing the sample partners in {home.display(home.partners_dir)} (--home DIR for yours)", err=True)
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
@click.argument("partner_ids", metavar="[ID]...", nargs=-1, type=PARTNER_ID)
@click.pass_context
def partner_check(ctx: click.Context, partner_ids: tuple[str, ...]) -> None:
    """Check profiles (all without ID), the mapping specs and files they refer to: one line per problem. Exit 1 on a problem."""
    home = home_of(ctx)
    ids = list(partner_ids) or Partners(home).ids()
    unusable = onboarding.check_home(home)  # our identity, the named connectors: every partner depends on them
    for line in unusable:
        click.echo(line)
    if not ids:
        click.echo(f"no partners in {home.display(home.partners_dir)}")
        ctx.exit(EXIT_REJECTED if unusable else EXIT_OK)
    partners = Partners(home)
    registry = onboarding.home_registry(home)
    failed = bool(unusable)
    for pid in ids:
        result = onboarding.check_partner(home, pid, spec_dirs=engine_of(ctx).spec_dirs, partners=partners, registry=registry)
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
@click.argument("partner_id", metavar="ID", type=PARTNER_ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_context
def partner_show(ctx: click.Context, partner_id: str, as_json: bool) -> None:
    """Print a profile as loaded: ${ENV} resolved, defaults filled in, secrets masked."""
    profile = Partners(home_of(ctx)).load(partner_id)
    data = _shown(profile)
    click.echo(json.dumps(data, indent=2) if as_json else dump_yaml(data), nl=as_json)


def _shown(profile) -> dict:
    """The profile with every secret masked (gateway.masking): the model's secrets, route options by what their
    connector marks secret and by credential-like names, and the passwords of URLs anywhere."""
    from gateway.connectors import default_registry
    from gateway.masking import mask_url_values

    registry = default_registry()
    data = profile.to_data()
    for route, shown in zip(profile.routes, data.get("routes", []), strict=True):
        if route.options:
            shown["options"] = registry.shown(route.connector, route.options)
    return mask_url_values(data)
