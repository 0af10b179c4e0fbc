"""A worker: claims work from the store, runs the stage it calls for, commits the outcome.

Work kinds and what they do:

- ``receipt`` / ``reprocess``: the envelope stage for a stored file (``reprocess``: asked for
  by an operator, duplicates let through), then at once the mapping and the deliveries of
  what it found: the store leases the follow-up work to this worker in the same commit.
- ``map`` / ``transaction``: map a file's received sets (after a restart), or one set again
  (a reprocessed quarantine item).
- ``ack``: write an acknowledgement file to the partner's outbound folder.
- ``delivery``: hand a canonical document to the route's connector.

Side effects happen only after the rows that call for them are committed, and each is
idempotent (ack files and folder deliveries have fixed names, HTTP deliveries carry an
idempotency key), so running a stage again after a crash changes nothing twice.

Logs at info level speak of files and documents, once per batch: ``delivered 37 documents to erp
(acme-retail: 37 purchase_order)``; a document's own lines (each retry) are at debug level. What a
worker did is counted in its ``Tally``, in the same units.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..channels.drop_folder import write_outbound
from ..connectors import ConnectorContext, DeliveryItem
from ..errors import ConfigError, DeliveryError, GatewayError, StoreError
from ..store import DeliveryOutcome, MappedRecord, PendingAck, PendingDelivery, Problem, Store, Work
from ..store.store import LeaseLost
from .stages import Counters, Parsed, Stages, Stop

log = logging.getLogger("gateway.pipeline")

FILE_KINDS = ("receipt", "reprocess", "map", "transaction")
BATCH_KINDS = ("ack", "delivery")


@dataclass(slots=True)
class Tally:
    """What workers did, as people count it: documents delivered (once per target they went to), items
    quarantined (a file, a document or a delivery), acknowledgements written."""

    delivered: int = 0
    quarantined: int = 0
    acks: int = 0


class Worker:
    def __init__(self, runtime, worker_id: str, stopping: Callable[[], bool] = lambda: False, tally: Tally | None = None) -> None:
        self.rt = runtime
        self.id = worker_id
        self.stopping = stopping  # true once a shutdown was asked for: long batches stop early
        self.processed = 0  # work items done, for progress reports
        self.tally = tally if tally is not None else Tally()

    @property
    def store(self) -> Store:
        return self.rt.store

    @property
    def stages(self) -> Stages:
        return self.rt.stages

    def _claim(self) -> tuple[str, float]:
        return self.id, float(self.rt.settings.workers.lease_seconds)

    def step(self) -> int:
        """Claim and do one round of work: a batch of acks and deliveries, then one file. Returns items done."""
        done = 0
        lease = float(self.rt.settings.workers.lease_seconds)
        batch = self.store.claim(self.id, kinds=BATCH_KINDS, limit=self.rt.settings.workers.batch, lease_seconds=lease)
        if batch:
            self._guard(lambda: self.write_acks([w for w in batch if w.kind == "ack"]), [w for w in batch if w.kind == "ack"])
            self._guard(lambda: self.deliver([w for w in batch if w.kind == "delivery"]), [w for w in batch if w.kind == "delivery"])
            done += len(batch)
        for w in self.store.claim(self.id, kinds=FILE_KINDS, limit=1, lease_seconds=lease):
            if w.kind in ("receipt", "reprocess"):
                self._guard(lambda w=w: self.envelope(w), [w])
            else:
                self._guard(lambda w=w: self.map(w), [w])
            done += 1
        self.processed += done
        return done

    # -- stages ------------------------------------------------------------------------------------

    def envelope(self, w: Work) -> None:
        r, data = self.store.receipt_and_payload(w.ref_id)
        try:
            rec, parsed = self.stages.envelope(data, r.name, r.partner_id, r.correlation_id, force=w.kind == "reprocess",
                                               seen=self.store.seen_interchanges, counters=Counters(self.store.next_counters))
        except Stop as stop:
            self.store.quarantine_receipt(w, r.id, stop.problem, stop.partner_id, owner=self.id)
            self.tally.quarantined += 1
            log.warning("%s quarantined: %s: %s", r.name, stop.problem.code, stop.problem.reason,
                        extra={"correlation_id": r.correlation_id, "partner": stop.partner_id})
            return
        acks, follow = self.store.record_envelope(w, r.id, rec, claim=self._claim())
        rejected = [tr for ix in rec.interchanges for g in ix.groups for tr in g.transactions if tr.problem is not None]
        self.tally.quarantined += len(rejected)
        for tr in rejected:
            log.warning("%s quarantined: %s: %s", r.name, tr.problem.code, tr.problem.reason,
                        extra={"correlation_id": tr.correlation_id, "partner": rec.partner_id})
        sets = sum(len(g.transactions) for ix in rec.interchanges for g in ix.groups) + len(rec.documents)
        log.info("%s: %d document(s) from partner %s", r.name, sets, rec.partner_id or "?",
                 extra={"correlation_id": r.correlation_id, "partner": rec.partner_id})
        # The receipt's work is done and committed: from here on a failure belongs to the follow-up work.
        self._guard(lambda: self._after_envelope(r, rec, parsed, acks, follow), acks + ([follow] if follow else []))

    def _after_envelope(self, r, rec, parsed: Parsed, acks: list[Work], follow: Work | None) -> None:
        written = []
        for work, ack in zip(acks, rec.acks, strict=True):  # from memory: the rows were just committed
            written.append(PendingAck(work.id, work.ref_id, ack.path, ack.body, r.correlation_id, rec.partner_id))
            write_outbound_path(ack.path, ack.body)
            log.info("acknowledgement written: %s", ack.path, extra={"correlation_id": r.correlation_id, "partner": rec.partner_id})
        if follow is None:
            self.store.acks_written(written)
            self.tally.acks += len(written)
            return
        try:
            self.map(follow, parsed, r.name, written)  # recorded with the mapping: one commit fewer
        except Exception:
            self.store.acks_written(written)  # they are out: never written a second time
            self.tally.acks += len(written)
            raise

    def map(self, w: Work, parsed: Parsed | None = None, name: str | None = None, acks: list[PendingAck] | None = None) -> None:
        pending = self.store.transactions_to_map(w)
        if not pending:
            self.store.acks_written(acks or [])
            self.tally.acks += len(acks or [])
            self.store.drop_work([w.id])
            return
        if parsed is None or name is None:
            r = self.store.receipt(pending[0].receipt_id)
            name = r.name
            try:
                parsed = self.stages.parse_again(self.store.payload(r.sha256), r.name, pending[0].partner_id or r.partner_id)
            except Stop as stop:
                self.store.record_mapping(w, [MappedRecord(p.id, p.correlation_id, problem=stop.problem) for p in pending], claim=self._claim(),
                                          acks=acks)
                self.tally.quarantined += len(pending)
                self.tally.acks += len(acks or [])
                return
        records = self.stages.map_transactions(pending, parsed, name)
        for rec in records:
            if rec.problem is not None:
                log.warning("%s quarantined: %s: %s", name, rec.problem.code, rec.problem.reason, extra={"correlation_id": rec.correlation_id})
        pending_deliveries = self.store.record_mapping(w, records, claim=self._claim(), acks=acks)
        self.tally.quarantined += sum(rec.problem is not None for rec in records)
        self.tally.acks += len(acks or [])
        # The map work is done and committed: a failure now belongs to the deliveries.
        self._guard(lambda: self.deliver_pending(pending_deliveries),
                    [Work(p.work_id, "delivery", p.id, p.attempts) for p in pending_deliveries])

    def write_acks(self, work: list[Work]) -> None:
        if not work:
            return
        for ack in self.store.pending_acks([w.id for w in work]):
            path = write_outbound_path(ack.path, ack.body)
            self.store.acks_written([ack])
            self.tally.acks += 1
            log.info("acknowledgement written: %s", path, extra={"correlation_id": ack.correlation_id, "partner": ack.partner_id})

    def deliver(self, work: list[Work]) -> None:
        if not work:
            return
        pending = self.store.pending_deliveries(work)
        gone = {w.id for w in work} - {p.work_id for p in pending}
        if gone:
            self.store.drop_work(sorted(gone))  # discarded or delivered meanwhile
        self.deliver_pending(pending)

    def deliver_pending(self, pending: list[PendingDelivery]) -> None:
        if not pending:
            return
        used: dict[int, tuple[object, list[int]]] = {}
        # Slow targets (timeouts, retries) must not outlast the lease: what is left at half of it is handed back.
        deadline = time.monotonic() + self.rt.settings.workers.lease_seconds / 2
        outcomes: list[DeliveryOutcome] = []
        for i, p in enumerate(pending):
            if time.monotonic() > deadline or self.stopping():
                left = [q.work_id for q in pending[i:]]
                self.store.release(self.id, left)
                log.info("handed back %d deliveries (batch time or shutdown)", len(left))
                break
            outcomes.append(self._deliver_one(p, used, i))
        for connector, indexes in used.values():  # durable before it is recorded as delivered
            try:
                connector.flush()
            except Exception as exc:
                error = str(exc) if isinstance(exc, DeliveryError) else f"{exc.__class__.__name__}: {exc}"
                for i in indexes:
                    o = outcomes[i]
                    if o.state == "delivered":
                        outcomes[i] = DeliveryOutcome(o.work_id, o.delivery_id, "retry", error=error,
                                                      delay=self.rt.settings.retry.delay(1))
        self.store.record_deliveries(outcomes, owner=self.id)
        self._report(pending, outcomes)

    def _report(self, pending: list[PendingDelivery], outcomes: list[DeliveryOutcome]) -> None:
        """One line per target and outcome of a recorded batch, in documents, with the correlation id(s) they concern."""
        by_key: dict[tuple[str, str], list[PendingDelivery]] = {}
        errors: dict[tuple[str, str], str] = {}
        for p, o in zip(pending, outcomes):  # outcomes follow pending; a batch cut short has fewer
            by_key.setdefault((o.state, p.connector), []).append(p)
            errors.setdefault((o.state, p.connector), o.error or "")
        self.tally.delivered += sum(o.state == "delivered" for o in outcomes)
        self.tally.quarantined += sum(o.state == "quarantined" for o in outcomes)
        for (state, connector), done in by_key.items():
            what = f"{len(done)} document{'s' * (len(done) != 1)}"
            extra = _about(done)
            if state == "delivered":
                log.info("delivered %s to %s (%s)", what, connector, _contents(done), extra=extra)
            elif state == "retry":
                log.warning("could not deliver %s to %s (%s), trying again later: %s", what, connector, _contents(done),
                            errors[(state, connector)], extra=extra)

    def _deliver_one(self, p: PendingDelivery, used: dict | None = None, index: int = 0) -> DeliveryOutcome:
        retry = self.rt.settings.retry
        extra = {"correlation_id": p.correlation_id, "partner": p.partner_id}
        try:
            connector = self.rt.connector(p.partner_id, p.route, p.connector)
        except (ConfigError, LookupError) as exc:
            reason = exc.problems[0] if isinstance(exc, ConfigError) else str(exc)
            log.warning("delivery %s quarantined: route %d: %s", p.idempotency_key, p.route, reason, extra=extra)
            return DeliveryOutcome(p.work_id, p.id, "quarantined", error=reason, code="route.invalid")
        item = DeliveryItem(key=p.idempotency_key, document_type=p.document_type, partner_id=p.partner_id,
                            correlation_id=p.correlation_id, business_key=p.business_key, raw=p.body)
        if used is not None:
            used.setdefault(id(connector), (connector, []))[1].append(index)
        try:
            target = connector.deliver(item)
            return DeliveryOutcome(p.work_id, p.id, "delivered", target=target)
        except DeliveryError as exc:
            error, retryable = str(exc), exc.retryable
        except Exception as exc:  # a connector bug: keep the document, try again later, say so loudly
            error, retryable = f"{exc.__class__.__name__}: {exc}", True
            log.error("connector %s failed unexpectedly on %s: %s (traceback at debug level)", p.connector, p.idempotency_key, error,
                      extra=extra)
            log.debug("connector %s failed unexpectedly on %s", p.connector, p.idempotency_key, exc_info=True, extra=extra)
        attempts = p.attempts + 1
        if retryable and attempts < retry.max_attempts:
            delay = retry.delay(attempts) * random.uniform(0.8, 1.0)
            log.debug("delivery %s failed (attempt %d), retry in %.1fs: %s", p.idempotency_key, attempts, delay, error, extra=extra)
            return DeliveryOutcome(p.work_id, p.id, "retry", error=error, delay=delay)
        code = "delivery.exhausted" if retryable else "delivery.rejected"
        why = f"{error} (after {attempts} attempts)" if retryable else error
        log.warning("delivery %s quarantined: %s", p.idempotency_key, why, extra=extra)
        return DeliveryOutcome(p.work_id, p.id, "quarantined", error=why, code=code)

    # -- failures ----------------------------------------------------------------------------------

    def _guard(self, fn: Callable[[], None], work: list[Work]) -> None:
        """Run a stage. An unexpected failure (a bug, a value the database refuses) puts its work back with
        backoff instead of losing it, and after ``retry.max_attempts`` quarantines what the work was about.
        A lost lease means another worker owns the item now: nothing to do. A store that is down is the serve
        loop's business (it backs off)."""
        if not work:
            return
        try:
            fn()
        except LeaseLost as exc:
            log.warning("%s; leaving it to its new owner", exc)
        except StoreError:
            raise
        except Exception as exc:
            self._fail(work, exc)

    def _fail(self, work: list[Work], exc: Exception) -> None:
        retry = self.rt.settings.retry
        detail = f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        items = [f"{w.kind}:{w.ref_id}" for w in work]
        log.error("work %s failed: %s (traceback at debug level)", items, detail)
        log.debug("work %s failed", items, exc_info=True)
        for w in work:
            try:
                if w.attempts + 1 < retry.max_attempts or w.kind == "ack":  # an ack must go out: it keeps trying, capped
                    self.store.retry(w, detail, retry.delay(w.attempts + 1), owner=self.id)
                    continue
                problem = Problem("pipeline", "pipeline.error", f"failed {w.attempts + 1} times: {detail}")
                if w.kind in ("receipt", "reprocess"):
                    self.store.quarantine_receipt(w, w.ref_id, problem, owner=self.id)
                    self.tally.quarantined += 1
                elif w.kind in ("map", "transaction"):
                    pending = self.store.transactions_to_map(w)
                    self.store.record_mapping(w, [MappedRecord(p.id, p.correlation_id, problem=problem) for p in pending], claim=self._claim())
                    self.tally.quarantined += len(pending)
                elif w.kind == "delivery":
                    self.store.record_deliveries([DeliveryOutcome(w.id, w.ref_id, "quarantined", error=problem.reason, code=problem.code)],
                                                 owner=self.id)
                    self.tally.quarantined += 1
            except LeaseLost:
                pass
            except GatewayError:
                pass  # the store is down: the lease runs out and the work comes back


def _contents(done: list[PendingDelivery]) -> str:
    """``acme-retail: 35 purchase_order, 2 invoice; widget-supply: 3 ship_notice``"""
    by_partner: dict[str, Counter] = {}
    for p in done:
        by_partner.setdefault(p.partner_id or "no partner", Counter())[p.document_type] += 1
    return "; ".join(f"{pid}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()) for pid, kinds in by_partner.items())


def _about(done: list[PendingDelivery]) -> dict:
    """The log fields of a line about several documents: their correlation id (ids, when more than one) and partner."""
    ids = list(dict.fromkeys(p.correlation_id for p in done))
    partners = {p.partner_id for p in done}
    extra: dict = {"correlation_id": ids[0]} if len(ids) == 1 else {"correlation_ids": ids}
    if len(partners) == 1:
        extra["partner"] = partners.pop()
    return extra


def write_outbound_path(path: str, body: str) -> str:
    from pathlib import Path

    p = Path(path)
    write_outbound(p.parent, p.name, body.encode("latin-1", errors="replace"))
    return str(p)


__all__ = ["ConnectorContext", "Tally", "Worker"]
