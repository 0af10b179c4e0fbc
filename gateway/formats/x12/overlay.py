"""Partner deviations: tighten or loosen a standard spec before it is compiled.

An ``Overlay`` is data (partner profiles produce it). References name segments
by ID or map path (``REF``, ``/ST_LOOP/HEADER/N1_LOOP/N1``), loops by map path
or loop ID (``N9_LOOP``), and elements by reference designator (``BEG05``,
``PO107``, ``TD503``; components as ``C04001``-style xids from the map).
Applied to a copy: the library's specs are never modified.

Code lists: ``codes`` restricts an element to some of its standard codes (a
code the standard does not have is an error: that is what ``add_codes`` is
for), ``add_codes`` accepts codes beyond the standard list, and
``relax_codes`` accepts any value of the element's type and length (a partner
who sends codes of its own).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ...errors import SpecError
from .elements import codes_for
from .model import CompositeDef, ElementDef, LoopDef, SegmentDef, TransactionSpec


@dataclass(slots=True)
class Overlay:
    require: list[str] = field(default_factory=list)  # usage -> R
    relax: list[str] = field(default_factory=list)  # usage -> S
    forbid: list[str] = field(default_factory=list)  # usage -> N (must not be sent)
    codes: dict[str, list[str]] = field(default_factory=dict)  # element -> the only codes allowed (a subset of its list)
    max_use: dict[str, int] = field(default_factory=dict)  # segment or loop -> max use / repeat
    name: str = "overlay"
    add_codes: dict[str, list[str]] = field(default_factory=dict)  # element -> codes accepted beyond its list
    relax_codes: list[str] = field(default_factory=list)  # elements whose code list is not checked

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
            for node in self._elements(targets(ref), ref, "code list"):
                standard = codes_for(node, spec.code_sets)
                unknown = [c for c in codes if standard is not None and c not in standard]
                if unknown:
                    raise SpecError(f"{self.name}: {ref} code {', '.join(unknown)} is not in the standard list of element "
                                    f"{node.data_ele.num}; use add to accept it ({ref}: {{add: [{', '.join(unknown)}]}})")
                node.codes = tuple(codes)
                node.external = None
                node.extra = ()
        for ref, codes in self.add_codes.items():
            for node in self._elements(targets(ref), ref, "added codes"):
                if not node.codes and not node.external:
                    raise SpecError(f"{self.name}: {ref} has no code list to add to (any value of its type is accepted)")
                if node.codes:
                    node.codes = tuple(dict.fromkeys(node.codes + tuple(codes)))  # the map's own list may tell segments apart
                else:
                    node.extra = tuple(dict.fromkeys(node.extra + tuple(codes)))
        for ref in self.relax_codes:
            for node in self._elements(targets(ref), ref, "relax_codes"):
                node.codes, node.external, node.extra = (), None, ()
        for ref, n in self.max_use.items():
            for node in targets(ref):
                if isinstance(node, SegmentDef):
                    node.max_use = n
                elif isinstance(node, LoopDef):
                    node.repeat = n
                else:  # an element has no use count: accepting it would change nothing
                    raise SpecError(f"{self.name}: max_use for {ref}, which is an element, not a segment or loop")
        unknown = sorted({*self.require, *self.relax, *self.forbid, *self.codes, *self.add_codes, *self.relax_codes, *self.max_use} - used)
        if unknown:
            raise SpecError(f"{self.name}: {', '.join(unknown)} not found in the {spec.set_id} spec ({spec.source})")
        return out

    def _elements(self, hits: list, ref: str, what: str) -> list[ElementDef]:
        for node in hits:
            if not isinstance(node, ElementDef):
                raise SpecError(f"{self.name}: {what} for {ref}, which is not a simple element")
        return hits
