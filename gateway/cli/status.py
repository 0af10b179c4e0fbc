"""status and trace: counts by state, and the lineage of one key."""

from __future__ import annotations

import json

import click

from gateway.cli._common import EXIT_OK, EXIT_REJECTED, home_of, open_store, print_partner_table, quarantine_links


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: receipts, transactions, deliveries, quarantine, acks, work, partners.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts by state: files, transaction sets (and by partner), deliveries, quarantine, acks, the work queue."""
    store = open_store(ctx)
    try:
        doc = store.status()
        doc["store"] = store.describe()
    finally:
        store.close()
    from gateway.preflight import home_not_served

    doc["not_served"] = home_not_served(home_of(ctx))  # partner ID -> problems, as gateway serve sees them
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
        print_partner_table(doc)


@click.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the lineage as JSON.")
@click.pass_context
def trace(ctx: click.Context, key: str, as_json: bool) -> None:
    """The lineage of KEY (a PO number, ASN/shipment id, invoice number, correlation id or file name): the file,
    its interchanges, documents, acks, deliveries, quarantine and every event with its time. Exit 1: nothing found."""
    store = open_store(ctx)
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
        said = ", ".join(_verdict(v) for v in a.get("verdicts", []) if v["segment"] in ("TA1", "AK9"))  # sets: on their own line
        click.echo(f"  ack {a['kinds']} {a['control_number']} -> {a['path']} ({'written ' + a['written_at'] if a['written_at'] else 'pending'})"
                   + (f": {said}" if said else ""))
    for t in x["transactions"]:
        label = " ".join(v for v in (t["set"], t["control_number"]) if v)
        key = f" {t['document_type']} {t['business_key']}" if t["business_key"] else (f" {t['document_type']}" if t["document_type"] else "")
        if not t["business_key"] and t.get("keys"):  # never mapped (rejected, quarantined): the keys read from the set
            key += " (" + ", ".join(f"{k['element']} {k['value']}" for k in t["keys"]) + ")"
        ack = f", ack {_verdict(t['ack'])}" if t.get("ack") else ""
        click.echo(f"  {label}{key}: {t['state']}{ack} (correlation {t['correlation_id']})")
        for d in t["deliveries"]:
            click.echo(f"    route {d['route']} {d['connector']}: {d['state']} after {d['attempts']} attempt(s)"
                       + (f" -> {d['target']}" if d["target"] else "") + (f" (last error: {d['last_error']})" if d["last_error"] else ""))
    for q in x["quarantine"]:
        click.echo(f"  quarantine #{q['id']} [{q['state']}] {q['kind']} at {q['stage']}: {q['code']}: {q['reason']}{quarantine_links(q)}")
    click.echo("  events:")
    for e in x["events"]:
        click.echo(f"    {e['at']}  {e['stage']:<10} {e['state']:<12} {e['message'] or ''}")


_ACK_CODES = {"A": "accepted", "E": "accepted with errors", "P": "partially accepted", "R": "rejected"}  # the codes our acks send


def _verdict(v: dict) -> str:
    """``AK5 R (rejected)``; a group's verdict names the group: ``AK9 PO 1 P (partially accepted)``."""
    what = f" {v['functional_id']} {v['group']}" if v["segment"] == "AK9" and "group" in v else ""
    return f"{v['segment']}{what} {v['code']} ({_ACK_CODES.get(v['code'], 'code ' + v['code'])})"
