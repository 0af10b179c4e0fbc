"""The memory connector: a shipped fake ERP with fault injection, for pipeline tests and dry runs.

Options (``connector: memory``)::

    fail_first: 0               # the first N calls of this connector fail
    fail_every: 0               # every Nth call fails (0: never)
    fail_keys: []               # calls for these keys always fail
    terminal: false             # injected failures are non-retryable (default: retryable)
    fail_after_delivery: false  # fail *after* keeping the document: the target has it, the caller
                                # sees an error (a lost answer), as after a crash mid-delivery

Delivered documents are kept in a ``MemoryTarget`` by key, so a repeated key is one delivery (the
latest document wins); ``target.calls`` counts every call per key, failed ones included. Each
connector built by the ``memory`` type gets its own target (``connector.target``); to share one
between the connectors a pipeline builds, register ``memory_connector_type("erp", target)`` in a
copy of the registry. A document that is not JSON-ready fails terminally, as with the real
connectors. Call counts for ``fail_first``/``fail_every`` are per connector.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from ..config.typed import Doc, Model, Range
from ..errors import DeliveryError
from .base import DeliveryItem
from .registry import ConnectorContext, ConnectorType


@dataclass(repr=False, kw_only=True)
class MemoryOptions(Model):
    """Keep documents in memory (a fake ERP), optionally failing on purpose."""

    fail_first: Annotated[int, Range(0), Doc("the first N calls fail")] = 0
    fail_every: Annotated[int, Range(0), Doc("every Nth call fails; 0 never")] = 0
    fail_keys: Annotated[list[str], Doc("delivery keys whose calls always fail")] = field(default_factory=list)
    terminal: Annotated[bool, Doc("injected failures are not retryable")] = False
    fail_after_delivery: Annotated[bool, Doc("injected failures happen after the document is kept (a lost answer)")] = False


class MemoryTarget:
    """The receiving end: documents by key and the number of calls per key. Thread-safe."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def delivered(self, key: str) -> list[dict[str, Any]]:
        """What the target holds for ``key``: one document, or none."""
        with self.lock:
            return [self.documents[key]] if key in self.documents else []


class MemoryConnector:
    """Delivers into a ``MemoryTarget`` and fails when told to (see the module docstring)."""

    name = "memory"

    def __init__(self, target: MemoryTarget | None = None, *, fail_first: int = 0, fail_every: int = 0, fail_keys: Iterable[str] = (),
                 terminal: bool = False, fail_after_delivery: bool = False) -> None:
        self.target = target if target is not None else MemoryTarget()
        self.fail_first = fail_first
        self.fail_every = fail_every
        self.fail_keys = frozenset(fail_keys)
        self.terminal = terminal
        self.fail_after_delivery = fail_after_delivery
        self.calls = 0
        self.closed = 0  # how many times close() was called

    def __repr__(self) -> str:
        return f"MemoryConnector(documents={len(self.target.documents)}, calls={self.calls})"

    @property
    def documents(self) -> dict[str, dict[str, Any]]:
        return self.target.documents

    def deliver(self, item: DeliveryItem) -> str:
        with self.target.lock:
            self.calls += 1
            call = self.calls
            self.target.calls[item.key] += 1
        try:
            document = json.loads(json.dumps(item.document, allow_nan=False))  # a copy, as a real target would hold
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"memory:{item.key}: the document is not JSON-ready: {exc}", retryable=False, target=f"memory:{item.key}") from exc
        reason = self._injected(call, item.key)
        if reason and not self.fail_after_delivery:
            raise self._failure(item.key, reason)
        with self.target.lock:
            self.target.documents[item.key] = document
        if reason:
            raise self._failure(item.key, reason + ", after the document was kept")
        return f"memory:{item.key}"

    def flush(self) -> None:
        pass  # a delivery is done when the call returns

    def close(self) -> None:
        self.closed += 1

    def _injected(self, call: int, key: str) -> str | None:
        if call <= self.fail_first:
            return f"injected failure: call {call} of the first {self.fail_first}"
        if self.fail_every and call % self.fail_every == 0:
            return f"injected failure: call {call}, every {self.fail_every}"
        if key in self.fail_keys:
            return f"injected failure: key {key} always fails"
        return None

    def _failure(self, key: str, reason: str) -> DeliveryError:
        return DeliveryError(f"memory:{key}: {reason}", retryable=not self.terminal, target=f"memory:{key}")


def memory_connector_type(name: str = "memory", target: MemoryTarget | None = None) -> ConnectorType:
    """A ``memory`` connector type under ``name``; with ``target``, every connector it builds delivers there."""

    def build(options: MemoryOptions, context: ConnectorContext) -> MemoryConnector:
        return MemoryConnector(target, fail_first=options.fail_first, fail_every=options.fail_every, fail_keys=options.fail_keys,
                               terminal=options.terminal, fail_after_delivery=options.fail_after_delivery)

    return ConnectorType(name, MemoryOptions, build, "a fake ERP in memory, with fault injection (tests, dry runs)")


MEMORY = memory_connector_type()
