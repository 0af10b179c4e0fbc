"""The running gateway: a home's settings, partners, store, channels and connectors, and the serve loop.

``Gateway(home).serve(once=True)`` takes what waits in the drop folders, runs every stage
until no work is ready and returns a summary; without ``once`` it runs until ``stop()``
(SIGTERM/SIGINT in ``gateway serve``): the work in hand is finished, claimed work not yet
started is released for other workers, channels and connectors are closed.

Profiles and mapping specs are re-read when a file under ``partners/`` or ``mappings/``
changes, so a fix followed by ``gateway quarantine reprocess`` needs no restart.

A partner whose profile does not load, says what this version does not honour, or whose
mapping specs fail their lint (see ``gateway.preflight``), is not served: every problem is logged at error level at start-up and
after each change, its drop folder is not read (its files wait there), work already queued for
it is quarantined with ``partner.profile_invalid``; the other partners run.

A gateway does not start without knowing who it is (``identity`` in gateway.yaml, not init's
placeholder): it refuses interchanges addressed to anyone else and signs its acknowledgements
with it. Routes may name the connectors gateway.yaml defines (``connectors:``) besides the types.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..channels.base import Inbound
from ..channels.drop_folder import drop_folders
from ..config.partner import Partners
from ..config.settings import Settings, connector_registry, identity_problems, read_settings
from ..config.yamlio import Source
from ..connectors import ConnectorContext
from ..errors import ConfigError, StoreError
from ..home import Home
from ..preflight import MappingLint, not_served
from ..store import Problem, Receipt, Store
from ..store.base import now
from ..translate import ProfileDirectory, Translator
from .stages import Stages
from .worker import Tally, Worker

log = logging.getLogger("gateway.serve")

# serve --once waits for a retry due within this long instead of exiting with it left over (exit 3)
ONCE_WAITS_FOR_RETRY_SECONDS = 2.0


@dataclass(slots=True)
class Summary(Tally):
    """What one ``serve`` run did: files received, work items done, and the worker's ``Tally`` (documents
    delivered, items quarantined, acknowledgements written)."""

    files: int = 0  # handed over by channels in this run
    work: int = 0  # work items done in this run


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Gateway:
    def __init__(self, home: Home, *, environ: Mapping[str, str] | None = None, store: Store | None = None, registry=None,
                 settings: Settings | None = None, spec_dirs: list | None = None, charset: str = "extended") -> None:
        self.home = home
        self.spec_dirs = list(spec_dirs or [])
        self.charset = charset
        self.environ = dict(os.environ if environ is None else environ)
        self.settings, source = (settings, Source(home.display(home.config_file), None, {})) if settings else read_settings(home, self.environ)
        unset = identity_problems(home, self.settings, source)
        if unset:
            raise ConfigError(unset)
        self.registry = connector_registry(self.settings, source, registry)
        self.store = store or Store.open(self.settings.store_url(home, self.environ))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._connectors: dict[tuple, object] = {}
        self._channels: list = []
        self._stamp: tuple | None = None
        self._summary: Summary | None = None  # of the running serve
        self._lint: MappingLint | None = None  # kept across reloads: it re-lints only changed specs
        self._load()

    # -- configuration -----------------------------------------------------------------------------

    def _load(self) -> None:
        self.partners = Partners(self.home, environ=self.environ, allowed_roots=self.settings.allowed_roots)
        self.translator = Translator(self.home.mapping_roots(), ProfileDirectory(self.partners), self.spec_dirs, self.charset)
        if self._lint is None:
            self._lint = MappingLint(self.home, self.spec_dirs, self.translator.x12_library)
        self.not_served = not_served(self.partners, self.registry, ConnectorContext(self.home, self.environ, tuple(self.settings.allowed_roots)), lint=self._lint,
                                     mappings=self.translator.mappings)
        self.stages = Stages(self.home, self.partners, self.translator, self.not_served, self.settings.identity)
        self._close_connectors()
        self._stamp = self._config_stamp()

    def _config_stamp(self) -> tuple:
        stamp = []
        for root in [self.home.partners_dir, *self.home.mapping_roots()]:
            if root.is_dir():
                for p in sorted(root.rglob("*")):
                    if p.suffix in (".yaml", ".yml", ".csv") and p.is_file():
                        st = p.stat()
                        stamp.append((str(p), st.st_mtime_ns, st.st_size))
        return tuple(stamp)

    def refresh(self) -> bool:
        """Re-read profiles and specs if any changed; True when they did."""
        stamp = self._config_stamp()
        if stamp == self._stamp:
            return False
        log.info("partner profiles or mapping specs changed: reloading")
        self._load()
        self._open_channels(reopen=True)
        return True

    def connector(self, partner_id: str | None, route: int, name: str):
        """The connector of a partner's route (built once; ``ConfigError`` when its options are wrong)."""
        key = (partner_id, route)
        conn = self._connectors.get(key)
        if conn is None:
            if partner_id is None:
                raise LookupError("no partner, so no routes")
            profile = self.partners.load(partner_id)
            if route >= len(profile.routes) or profile.routes[route].connector != name:
                raise LookupError(f"partner {partner_id}'s profile no longer has route {route} ({name})")
            r = profile.routes[route]
            conn = self._connectors[key] = self.registry.create(r.connector, dict(r.options), ConnectorContext(self.home, self.environ, tuple(self.settings.allowed_roots)))
        return conn

    def _close_connectors(self) -> None:
        for conn in self._connectors.values():
            try:
                conn.close()
            except Exception:  # closing must not stop the shutdown
                log.exception("closing a connector failed")
        self._connectors = {}

    # -- channels ----------------------------------------------------------------------------------

    def _open_channels(self, reopen: bool = False) -> None:
        if reopen:
            self._close_channels()
        profiles, _ = self.partners.load_all()
        for pid, problems in self.not_served.items():
            for problem in problems:  # every one, so that one look at the log is enough to fix the profile
                log.error("partner %s is not served (its files wait in its folder): %s", pid, problem, extra={"partner": pid})
        self._channels = drop_folders(self.home, [p for pid, p in profiles.items() if pid not in self.not_served], on_changed=self.changed_after_read)
        for ch in self._channels:
            ch.watch(self._wake.set)

    def _close_channels(self) -> None:
        for ch in self._channels:
            ch.close()
        self._channels = []

    def accept(self, inbound: Inbound) -> Receipt:
        """Store a file a channel hands over (committed before the channel archives it)."""
        receipt = self.store.receive(name=inbound.name, data=inbound.data, channel=inbound.channel, partner_id=inbound.partner_id,
                                     meta=dict(inbound.meta))
        if receipt.new:
            extra = {"correlation_id": receipt.correlation_id, "partner": inbound.partner_id}
            if receipt.state == "duplicate":
                log.warning("%s is a duplicate of receipt %s: kept, not processed", inbound.name, receipt.duplicate_of, extra=extra)
            else:
                log.info("received %s (%d bytes)", inbound.name, len(inbound.data), extra=extra)
        return receipt

    def changed_after_read(self, inbound: Inbound, receipt: Receipt, detail: str) -> None:
        """A channel found the file changed after it was read and stored (a writer was still at it): the stored
        bytes are not the partner's final file, which the channel offers again as a new file. Hold the stored
        one back (quarantined, unless a worker has already started on it) so no verdict goes out on a partial file."""
        problem = Problem("receive", "intake.changed_after_read",
                          f"{inbound.name} changed after it was read: {detail}; its final content is taken again as a new file")
        held = self.store.hold_receipt(receipt.id, problem)
        if held and self._summary is not None:
            self._summary.quarantined += 1
        log.error("%s changed after it was read (%s): %s", inbound.name, detail,
                  "stored copy quarantined" if held else "stored copy already being processed",
                  extra={"correlation_id": receipt.correlation_id, "partner": inbound.partner_id})

    def _waiting_files(self) -> bool:
        """Files seen in a drop folder but not yet complete: being written, or in their quiet or stable period."""
        return any(getattr(ch, "waiting", lambda: 0)() for ch in self._channels)

    def poll_channels(self) -> int:
        got = 0
        for ch in self._channels:
            got += ch.poll(self.accept)
        return got

    # -- serving -----------------------------------------------------------------------------------

    def worker_id(self, n: int = 0) -> str:
        return f"{socket.gethostname()}:{os.getpid()}:{n}"

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called (a signal): a run that ends then has not necessarily done everything."""
        return self._stop.is_set()

    def serve(self, *, once: bool = False, channels: bool = True, progress: Callable[[Summary], None] | None = None) -> Summary:
        summary = self._summary = Summary()
        worker = Worker(self, self.worker_id(), self._stop.is_set, summary)
        self.store.release_dead(socket.gethostname(), process_alive)
        if channels:
            self._open_channels()
        ws = self.settings.workers
        last_scan = 0.0
        last_progress = time.monotonic()
        outage = 0  # consecutive store failures, for the backoff
        try:
            while not self._stop.is_set():
                try:
                    scanned = 0
                    if channels and (self._wake.is_set() or time.monotonic() - last_scan >= ws.rescan_seconds or once):
                        self._wake.clear()
                        if not once:
                            self.refresh()
                        scanned = self.poll_channels()
                        summary.files += scanned
                        last_scan = time.monotonic()
                    done = worker.step()
                    outage = 0
                except StoreError as exc:  # the database is restarting, failing over, unreachable: wait and try again
                    outage += 1
                    wait = min(30.0, ws.poll_seconds * 2 ** min(outage, 8))
                    log.error("store unavailable (%s); trying again in %.0fs", exc, wait)
                    if once and outage >= 5:
                        raise
                    self._wake.wait(wait)
                    continue
                summary.work += done
                if progress is not None and time.monotonic() - last_progress >= 1.0:
                    progress(summary)
                    last_progress = time.monotonic()
                if done:
                    continue
                if once:
                    if not channels and self.store.in_flight():
                        self._wake.wait(ws.poll_seconds)  # an extra worker: others may still be creating work
                        continue
                    if scanned == 0 and not self._waiting_files():
                        due = self.store.next_due()
                        soon = due is not None and (due - now()).total_seconds() <= ONCE_WAITS_FOR_RETRY_SECONDS
                        if not soon:
                            break  # nothing new arrived, nothing is ready or about to be, no file is waiting: done
                        # a retry due within a moment: --once waits for it rather than reporting it as left over
                        self._wake.wait(max(0.0, (due - now()).total_seconds()))
                        continue
                    if scanned == 0:
                        self._wake.wait(ws.poll_seconds)
                    continue
                self._wake.wait(ws.poll_seconds)
        finally:
            try:
                released = self.store.release(worker.id)
                if released:
                    log.info("released %d claimed work item(s) for other workers", released)
            except StoreError as exc:
                log.error("could not release claimed work (%s): it comes back when the lease runs out", exc)
            self._close_channels()
            self._close_connectors()
        return summary

    def close(self) -> None:
        self._close_channels()
        self._close_connectors()
        self.store.close()

