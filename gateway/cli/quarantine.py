"""quarantine: list, show, reprocess and discard what stopped."""

from __future__ import annotations

import json
import time

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, PARTNER_ID, open_store, quarantine_links


@click.group()
def quarantine() -> None:
    """What stopped, and why: list, show, reprocess (after a fix), discard."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also items reprocessed or discarded.")
@click.option("--partner", "partner_id", metavar="ID", type=PARTNER_ID, help="Only this partner's items.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine_list(ctx: click.Context, show_all: bool, partner_id: str | None, as_json: bool) -> None:
    """Open quarantine items, oldest first."""
    store = open_store(ctx)
    try:
        items = store.quarantine_items(state=None if show_all else "open", partner_id=partner_id)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for q in items:
        click.echo(f"#{q['id']:<5} {q['created_at']}  {q['partner'] or '?':<16} {q['kind']:<11} {q['stage']:<9} {q['state']:<11} "
                   f"{q['code']}: {q['reason']}{quarantine_links(q)}")
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
    store = open_store(ctx)
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
    if item.get("previous_id"):
        click.echo(f"{'follows:':<16}#{item['previous_id']} (reprocessed, then failed again as this item)")
    if item.get("replaced_by"):
        click.echo(f"{'failed again:':<16}" + ", ".join(f"#{n}" for n in item["replaced_by"]) + " (after this one was reprocessed)")
    for k in ("transaction", "delivery"):
        if item.get(k):
            click.echo(f"{k + ':':<16}" + ", ".join(f"{a} {b}" for a, b in item[k].items() if b is not None))
    for i in item["issues"]:
        where = " ".join(str(i[k]) for k in ("field", "source", "segment", "element") if i.get(k))
        pos = f" segment {i['segment_number']}" if i.get("segment_number") else ""
        click.echo(f"  {i.get('severity', 'error')}: {i['code']}{(' ' + where) if where else ''}{pos}: {i['message']}")


@quarantine.command("reprocess")
@click.argument("qids", metavar="ID...", type=int, nargs=-1, required=True)
@click.option("--wait", "wait", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help="Wait up to SECONDS for the outcome (a running `gateway serve` does the work): went through, or failed again "
                   "with the new item's id. Exit 1 if one failed again, 3 if one is still in progress.")
@click.pass_context
def quarantine_reprocess(ctx: click.Context, qids: tuple[int, ...], wait: float) -> None:
    """Queue items again from the stage they stopped in (after fixing a profile or spec; a duplicate is then
    processed again on purpose). A running `gateway serve` picks them up; or run `gateway serve --once`.
    An item that fails again becomes a new item, which `quarantine list` and `show` link to the old one."""
    queued: list[int] = []

    def reprocess(store, qid: int) -> str:
        item = store.reprocess(qid)
        queued.append(qid)
        return f"queued again ({item['kind']} from stage {item['stage']})"

    failed = _each_item(ctx, qids, reprocess)
    if wait and queued:
        failed, pending = _await_outcomes(ctx, queued, wait, failed)
        if pending and not failed:
            ctx.exit(EXIT_STILL_PENDING)
    ctx.exit(EXIT_REJECTED if failed else EXIT_OK)


EXIT_STILL_PENDING = 3  # reprocess --wait ran out of time: the outcome is not known yet


def _await_outcomes(ctx: click.Context, qids: list[int], wait: float, failed: bool) -> tuple[bool, bool]:
    """Poll the store until every reprocessed item went through or failed again, or ``wait`` seconds passed."""
    store = open_store(ctx)
    deadline = time.monotonic() + wait
    try:
        while True:
            outcomes = [store.reprocess_outcome(qid) for qid in qids]
            pending = [o for o in outcomes if o["outcome"] == "pending"]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))
    finally:
        store.close()
    for o in outcomes:
        thing = f"{o['kind']} {o['state']}" if o["state"] else o["kind"]
        if o["outcome"] == "failed_again":
            failed = True
            for n in o["replaced_by"]:
                click.echo(f"#{o['id']}: failed again: now quarantine item #{n['id']} ({n['kind']} at {n['stage']}: {n['code']}: {n['reason']})")
        elif o["outcome"] == "pending":
            click.echo(f"#{o['id']}: still in progress after {wait:g}s ({thing}); `gateway quarantine show {o['id']}` tells later")
        else:
            click.echo(f"#{o['id']}: went through ({thing})")
    return failed, bool(pending)


@quarantine.command("discard")
@click.argument("qids", metavar="ID...", type=int, nargs=-1, required=True)
@click.option("--reason", help="Why, for the record.")
@click.pass_context
def quarantine_discard(ctx: click.Context, qids: tuple[int, ...], reason: str | None) -> None:
    """Give items up for good (they stay in the store and in traces, marked discarded)."""

    def discard(store, qid: int) -> str:
        store.discard(qid, reason)
        return "discarded"

    ctx.exit(EXIT_REJECTED if _each_item(ctx, qids, discard) else EXIT_OK)


def _each_item(ctx: click.Context, qids: tuple[int, ...], action) -> bool:
    """``action(store, qid)`` on each item, saying what it did; one failing item does not stop the others (returns True)."""
    store = open_store(ctx)
    failed = False
    try:
        for qid in qids:
            try:
                click.echo(f"#{qid}: {action(store, qid)}")
            except KeyError:
                click.echo(f"gateway: no quarantine item #{qid}", err=True)
                failed = True
            except ValueError as exc:
                click.echo(f"gateway: {exc}", err=True)
                failed = True
    finally:
        store.close()
    return failed
