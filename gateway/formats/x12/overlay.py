"""Partner deviations: tighten or loosen a standard spec before it is compiled.

An ``Overlay`` is data (partner profiles produce it). References name segments
by ID or map path (``REF``, ``/ST_LOOP/HEADER/N1_LOOP/N1``), loops by map path
or loop ID (``N9_LOOP``), and elements by reference designator (``BEG05``,
``PO107``, ``TD503``; components as ``C04001``-style xids from the map).
Applied to a copy: the library's specs are never modified.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ...errors import SpecError
from .model import CompositeDef, ElementDef, LoopDef, SegmentDef, TransactionSpec


@dataclass(slots=True)
class Overlay:
    require: list[str] = field(default_factory=list)  # usage -> R
    relax: list[str] = field(default_factory=list)  # usage -> S
    forbid: list[str] = field(default_factory=list)  # usage -> N (must not be sent)
    codes: dict[str, list[str]] = field(default_factory=dict)  # element -> allowed codes
    max_use: dict[str, int] = field(default_factory=dict)  # segment or loop -> max use / repeat
    name: str = "overlay"

    def __call__(self, spec: TransactionSpec) -> TransactionSpec:
        out = copy.deepcopy(spec)
        nodes = list(out.st_loop.walk())
        used: set[str] = set()

        def targets(ref: str, places: list[str] | None = None):
            hits = []
            for node in nodes:
                if node.path == ref or node.id == ref:
                    hits.append(node)
                    if places is not None:
                        places.append(node.path)
                if isinstance(node, SegmentDef):
                    for e in node.elements:
                        if e.ref == ref:
                            hits.append(e)
                            if places is not None:
                                places.append(f"{node.path} {e.ref}")
                        if isinstance(e, CompositeDef):
                            hits += [c for c in e.components if c.ref == ref]
            if hits:
                used.add(ref)
            return hits

        for usage, refs in (("R", self.require), ("S", self.relax), ("N", self.forbid)):
            for ref in refs:
                places: list[str] = []
                hits = targets(ref, places)
                if usage == "R" and len(places) > 1:
                    # requiring N1_LOOP everywhere (header and line level) is never what a guide means
                    raise SpecError(f"{self.name}: require {ref} fits {len(places)} places in the {spec.set_id} spec "
                                    f"({', '.join(places)}); name one by its path")
                for node in hits:
                    node.usage = usage
        for ref, codes in self.codes.items():
            for node in targets(ref):
                if not isinstance(node, ElementDef):
                    raise SpecError(f"{self.name}: code list for {ref}, which is not a simple element")
                node.codes = tuple(codes)
                node.external = None
        for ref, n in self.max_use.items():
            for node in targets(ref):
                if isinstance(node, SegmentDef):
                    node.max_use = n
                elif isinstance(node, LoopDef):
                    node.repeat = n
                else:  # an element has no use count: accepting it would change nothing
                    raise SpecError(f"{self.name}: max_use for {ref}, which is an element, not a segment or loop")
        unknown = sorted({*self.require, *self.relax, *self.forbid, *self.codes, *self.max_use} - used)
        if unknown:
            raise SpecError(f"{self.name}: {', '.join(unknown)} not found in the {spec.set_id} spec ({spec.source})")
        return out
