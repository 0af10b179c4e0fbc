"""Validate X12 interchanges against compiled specs, streaming.

``Validator.events(source)`` yields a ``TransactionResult`` as each transaction
set ends, a ``GroupResult`` at each GE and an ``InterchangeResult`` at each IEA
(and ``Finding`` objects for bytes outside any interchange), holding on to
nothing else: memory does not grow with the file. ``Validator.validate``
collects the same into a ``Report``.

The hot loop handles the common case (a segment that follows its predecessor
in the same loop iteration and whose content matches the compiled pattern)
inline; everything else goes through ``_one``, which is the complete,
readable rule set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .delimiters import Delimiters, IsaScan
from .elements import Charset, PatternBuilder, SegmentChecker, SegmentPatterns, valid_date, valid_time
from .envelope import ISA_CODES as _ISA_CODES
from .findings import ISA_FIELD_CODES, MAX_FINDINGS, Finding, Findings, Position
from .lexer import CHUNK, WHITESPACE, Batch, Lexer, Source, open_source
from .maps import SpecLibrary
from .model import LoopDef, TransactionSpec
from .results import GroupResult, InterchangeResult, Kept, Report, TransactionResult
from .structure import CANDIDATES, COMPLEX, FORWARD, LOOP, REPEAT, Machine, lazy_tables, not_found_code

ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST"})
SEGMENT_IDS = "segment_ids"  # codes.xml: the release's segment directory
BIG = 1 << 62
MAX_HL_DEPTH = 100  # real 856s nest 3-6 levels (shipment, order, tare, pack, item)
MAX_SET_BYTES = 8 << 20  # ST to SE: mapping one takes about 45 times its size in memory (README, Benchmarks)
_CONTROL_NUMBER = re.compile(r"[0-9]{1,9}")


class Compiled:
    """A spec compiled for one set of delimiters: structure plus segment patterns,
    each made the first time a segment stands at that node.

    ``patterns[node][count]`` is the fullmatch of that node's pattern for a
    segment written with ``count`` element separators (compiled on first use);
    ``memo[node]`` remembers, up to ``MEMO`` per node, texts already found
    valid there: the same segment recurs a lot in EDI (addresses, terms,
    carrier, descriptions) and a set lookup is much cheaper than a match.
    """

    MEMO = 4096

    def __init__(self, machine: Machine, d: Delimiters, charset: Charset, code_sets: dict[str, frozenset[str]], memo: bool = True) -> None:
        self.machine = machine
        self.limit = self.MEMO if memo else 0
        self.d = d
        self.charset = charset
        self.code_sets = code_sets
        self.builder = PatternBuilder(d, charset, code_sets)
        self.segment_patterns = [SegmentPatterns(self.builder, node) for node in machine.nodes]
        # The machine's tables keyed by what a segment text starts with: "BEG", or "N1" + separator.
        es = d.element
        self.tables = lazy_tables(len(machine.nodes), lambda state: {(tag if len(tag) == 3 else tag + es): t
                                                                     for tag, t in machine.tables[state].items()})
        self.patterns = [sp.patterns for sp in self.segment_patterns]
        self.memo: list[set[str]] = [set() for _ in machine.nodes]
        self.max_use = [BIG if s.max_use is None else s.max_use for s in machine.nodes]
        self.loop_max = [BIG if lp.repeat is None else lp.repeat for lp in machine.loops]
        self._checkers: dict[int, SegmentChecker] = {}

    def valid(self, index: int, text: str) -> bool:
        """Does ``text`` satisfy node ``index``'s content rules (the fast answer)?"""
        if text in self.memo[index]:
            return True
        ok = self.segment_patterns[index].get(text.count(self.d.element))(text) is not None
        if ok and len(self.memo[index]) < self.limit:
            self.memo[index].add(text)
        return ok

    def checker(self, index: int) -> SegmentChecker:
        c = self._checkers.get(index)
        if c is None:
            c = self._checkers[index] = SegmentChecker(self.machine.nodes[index], self.d, self.charset, self.code_sets)
        return c


@dataclass(slots=True)
class _Tx:
    """A transaction set being read."""

    result: TransactionResult
    compiled: Compiled | None
    state: int = 0
    rep: int = 1
    count: int = 1  # segments so far, ST included
    iters: list | None = None  # per loop index: the iteration the loop is in (meaningful while open)
    hl_count: int = 0  # HL segments so far
    hl_stack: list | None = None  # HL01 of the open levels, outermost first (at most MAX_HL_DEPTH)
    hl_open: dict | None = None  # HL01 of an open level -> (its HL04, its Position); only open levels are kept
    hl_last: str | None = None
    hl_off: bool = False  # nesting went deeper than MAX_HL_DEPTH: the set is rejected, HL checks stop
    keep: list | None = None
    big: bool = False  # larger than max_set_bytes: rejected, its segments not kept
    keep_from: int = 0  # index in the current batch where the kept segments continue


class Validator:
    """Validates X12 input against the spec library.

    ``charset``: ``extended`` (X12.6 printable set, default) or ``any``.
    ``overlay``: optional callable ``(TransactionSpec) -> TransactionSpec`` applied
    before compiling (partner tightening/loosening, see ``overlay.py``).
    ``memo``: remember segment texts found valid (see ``Compiled``); off only to measure.

    Limits (hostile input must not exhaust the process, and what we cannot take is
    rejected here, so the acknowledgement agrees with what happens next):
    ``max_findings`` kept per set, group, interchange and file (``findings.Findings``; the rest
    are counted); ``max_hl_depth`` levels of HL nesting (``hl.too_deep``); ``max_set_bytes``
    from ST to SE (``transaction.too_large``: a set is mapped in memory, about 45 times its size).
    """

    def __init__(self, library: SpecLibrary | None = None, *, charset: str = "extended", overlay=None, keep_segments: bool = False,
                 memo: bool = True, max_findings: int = MAX_FINDINGS, max_hl_depth: int = MAX_HL_DEPTH,
                 max_set_bytes: int = MAX_SET_BYTES) -> None:
        self.max_findings = max_findings
        self.max_hl_depth = max_hl_depth
        self.max_set_bytes = max_set_bytes
        self.library = library or default_library()
        self.memo = memo
        self.charset_name = charset
        self.overlay = overlay
        self.keep_segments = keep_segments
        self._machines: dict[int, Machine] = {}
        self._compiled: dict[tuple, Compiled] = {}
        self._specs: dict[tuple, TransactionSpec | None] = {}

    def find_spec(self, icvn: str, vriic: str, fic: str, set_id: str, exact: bool = False) -> TransactionSpec | None:
        """The library's answer, remembered: every ST asks the same few questions."""
        key = (icvn, vriic, fic, set_id, exact)
        try:
            return self._specs[key]
        except KeyError:
            spec = self._specs[key] = self.library.find(icvn, vriic, fic, set_id, exact=exact)
            return spec

    # -- compile cache ---------------------------------------------------------

    def compiled(self, spec: TransactionSpec, d: Delimiters, version: str) -> Compiled:
        key = (id(spec), d, version >= "00501")
        c = self._compiled.get(key)
        if c is None:
            charset = Charset(self.charset_name, "00501" if version >= "00501" else "00401")
            m = self._machines.get(id(spec))
            if m is None:
                target = self.overlay(spec) if self.overlay else spec
                m = self._machines[id(spec)] = Machine(target)
            c = self._compiled[key] = Compiled(m, d, charset, self.library.code_sets(spec), memo=self.memo)
        return c

    # -- public ----------------------------------------------------------------

    def validate(self, source: Source, name: str | None = None) -> Report:
        stream, display = open_source(source)
        report = Report(name or display)
        report.findings = Findings(limit=self.max_findings)
        try:
            for event in _Run(self, stream, report.source).run(keep=True):
                if isinstance(event, InterchangeResult):
                    report.interchanges.append(event)
                elif isinstance(event, Finding):
                    report.findings.append(event)
        finally:
            if stream is not source:
                stream.close()
        return report

    def events(self, source: Source) -> Iterator[object]:
        stream, display = open_source(source)
        try:
            yield from _Run(self, stream, display).run(keep=False)
        finally:
            if stream is not source:
                stream.close()


_default: SpecLibrary | None = None


def default_library() -> SpecLibrary:
    global _default
    if _default is None:
        _default = SpecLibrary()
    return _default


class _Run:
    """State of one validation pass over one input."""

    def __init__(self, v: Validator, stream, name: str) -> None:
        self.v = v
        self.stream = stream
        self.name = name
        self.segno = 0  # segments seen in the file
        self.ix: InterchangeResult | None = None
        self.group: GroupResult | None = None
        self.tx: _Tx | None = None
        self.d: Delimiters | None = None
        self.isa_numbers: set[str] = set()
        self.gs_numbers: set[str] = set()
        self.st_numbers: set[str] = set()
        self.count = 0
        self.compiled: dict[int, Compiled] = {}
        self.out: list[object] = []
        self.keep = False

    def run(self, keep: bool) -> Iterator[object]:
        self.keep = keep
        for event in Lexer(self.stream, self.name).events():
            kind = event[0]
            if kind == "segments":
                self._batch(event[1])
            elif kind == "isa":
                self._isa(event[1], event[2], event[3])
            elif kind == "no_iea":
                if self.ix is not None:
                    self._close_interchange(event[1], missing=True)
            elif kind == "junk":
                f = Finding("interchange.junk", f"{event[3]} bytes outside any interchange ({event[2][:30]!r})",
                            position=Position(offset=event[1]))
                self.out.append(f)
            elif kind == "overlong" and self.ix is not None:
                d = self.d
                self.ix.findings.append(Finding("isa.segment_terminator_invalid", f"no segment terminator {d.segment!r} in the {event[2]:,} bytes "
                                                f"from byte {event[1]}: the rest of the interchange is not read", position=Position(offset=event[1])))
            if self.out:
                yield from self.out
                self.out.clear()

    # -- positions ---------------------------------------------------------------

    def _pos(self, batch: Batch | None, i: int, seg: str | None = None, **kw) -> Position:
        offset = batch.offset(i) if batch is not None else None
        return Position(offset=offset, segment_number=self.segno + i + 1 if batch is not None else self.segno, **kw)

    # -- interchange ---------------------------------------------------------------

    def _isa(self, offset: int, scan: IsaScan, raw: str) -> None:
        if self.ix is not None:
            self._close_interchange(offset, missing=True)
        self.count += 1
        self.segno += 1
        ix = InterchangeResult(index=self.count, offset=offset, elements=scan.elements, delimiters=scan.delimiters,
                               findings=Findings(limit=self.v.max_findings))
        pos = Position(offset=offset, segment_number=self.segno)
        for code, msg in scan.problems:
            if code.startswith("isa.") and code[4:].isdigit():
                n = int(code[4:])
                ix.findings.append(Finding(ISA_FIELD_CODES[n], msg, "ISA", f"ISA{n:02d}", Position(offset, self.segno, element=n)))
            else:
                ix.findings.append(Finding(code, msg, "ISA", None, pos))
        if scan.delimiters is None:
            self.out.append(ix)
            self.ix = None
            return
        el = scan.elements
        for n, allowed in _ISA_CODES.items():
            if el[n - 1] not in allowed:
                ix.findings.append(Finding(ISA_FIELD_CODES[n], f"ISA{n:02d} value {el[n - 1]!r} is not valid", "ISA", f"ISA{n:02d}",
                                           Position(offset, self.segno, element=n), value=el[n - 1]))
        for n in (6, 8):
            if not el[n - 1].strip():
                ix.findings.append(Finding(ISA_FIELD_CODES[n], f"ISA{n:02d} is blank", "ISA", f"ISA{n:02d}", Position(offset, self.segno, element=n)))
        if not (len(el[8]) == 6 and valid_date(el[8])):
            ix.findings.append(Finding("isa.date", f"ISA09 {el[8]!r} is not a valid YYMMDD date", "ISA", "ISA09", Position(offset, self.segno, element=9), value=el[8]))
        if not (len(el[9]) == 4 and valid_time(el[9])):
            ix.findings.append(Finding("isa.time", f"ISA10 {el[9]!r} is not a valid HHMM time", "ISA", "ISA10", Position(offset, self.segno, element=10), value=el[9]))
        version = el[11]
        if not (len(version) == 5 and version.isascii() and version.isdigit()):
            ix.findings.append(Finding("isa.version", f"ISA12 {version!r} is not a valid version", "ISA", "ISA12", Position(offset, self.segno, element=12), value=version))
        elif version < "00402" and el[10] != "U":
            ix.findings.append(Finding("isa.standards_id", f"ISA11 must be 'U' for version {version}, got {el[10]!r}", "ISA", "ISA11", Position(offset, self.segno, element=11), value=el[10]))
        control = el[12]
        if not (len(control) == 9 and control.isascii() and control.isdigit()):
            ix.findings.append(Finding("isa.control_number", f"ISA13 {control!r} must be 9 digits", "ISA", "ISA13", Position(offset, self.segno, element=13), value=control))
        key = f"{el[4]}|{el[5]}|{el[6]}|{el[7]}|{control}"
        if key in self.isa_numbers:
            ix.findings.append(Finding("interchange.duplicate_control_number", f"interchange control number {control} from {el[5].strip()} was already used in this file",
                                       "ISA", "ISA13", Position(offset, self.segno, element=13), value=control))
        self.isa_numbers.add(key)
        self.ix = ix
        self.d = scan.delimiters
        self.gs_numbers = set()
        self.compiled: dict[int, Compiled] = {}

    def _close_interchange(self, offset: int, missing: bool, iea: list[str] | None = None, pos: Position | None = None) -> None:
        ix = self.ix
        if ix is None:
            return
        if self.tx is not None:
            self._end_tx(None, None, missing=True)
        if self.group is not None:
            self._end_group(None, None, 0, missing=True)
        if missing:
            ix.findings.append(Finding("iea.missing", "interchange trailer IEA missing", "IEA", None, Position(offset=offset)))
        elif iea is not None:
            n = iea[1] if len(iea) > 1 else ""
            if n != str(ix.group_count) and not (n.isascii() and n.isdigit() and int(n) == ix.group_count):
                ix.findings.append(Finding("iea.group_count", f"IEA01 says {n!r} functional groups, found {ix.group_count}", "IEA", "IEA01", pos, value=n))
            c = iea[2] if len(iea) > 2 else ""
            if c != ix.control_number:
                ix.findings.append(Finding("iea.control_mismatch", f"IEA02 {c!r} does not match ISA13 {ix.control_number!r}", "IEA", "IEA02", pos, value=c))
        self.out.append(ix)
        self.ix = None
        self.d = None

    # -- segments ---------------------------------------------------------------

    def _batch(self, batch: Batch) -> None:
        pieces = batch.pieces
        n = len(pieces)
        tx = self.tx
        if tx is not None and not tx.big and batch.start - tx.result.offset > self.v.max_set_bytes:
            self._too_large(tx)
        es = self.d.element if self.d else "*"
        i = 0
        while i < n:
            tx = self.tx
            if tx is None or tx.compiled is None or self.ix is None:
                i += self._envelope(pieces[i], batch, i)
                continue
            # Hot loop: stay here while segments follow the simple paths; ``_one`` has every rule.
            c = tx.compiled
            tables = c.tables
            patterns = c.patterns
            memo = c.memo
            limit = c.limit
            max_use = c.max_use
            loop_max = c.loop_max
            iters = tx.iters
            state, rep, count = tx.state, tx.rep, tx.count
            table = tables[state]
            se = c.machine.se
            start = i
            for i in range(start, n):
                seg = pieces[i]
                tr = table.get(seg[:3])
                if tr is not None:
                    k = tr.kind
                    if k <= LOOP or (k == REPEAT and rep < max_use[state]):
                        t = tr.target
                        good = memo[t]
                        if seg in good:
                            ok = True
                        else:
                            w = seg.count(es)
                            m = patterns[t][w] if w < 64 else None
                            ok = m is not None and m(seg) is not None
                            if ok and len(good) < limit:
                                good.add(seg)
                        if ok and k == LOOP:
                            if tr.reentry:
                                first = tr.pushes[0]
                                again = iters[first] + 1
                                if again > loop_max[first]:
                                    ok = False  # loop repeat exceeded: let _one report it
                                else:
                                    iters[first] = again
                            if ok:
                                for li in tr.fresh:
                                    iters[li] = 1
                        if ok:
                            if k == REPEAT:
                                rep += 1
                            else:
                                state, rep = t, 1
                                table = tables[t]
                            count += 1
                            continue
                    elif k == COMPLEX and tr.target == se and not tr.missing and not tr.not_used:
                        # The trailer: check it and close the set without the general path.
                        count += 1
                        if c.valid(se, seg):
                            tx.state, tx.rep, tx.count = se, 1, count
                            self._end_tx(batch, i, se=seg.split(es))
                            i += 1
                            break
                        count -= 1
                tx.state, tx.rep, tx.count = state, rep, count
                used = self._one(tx, seg, batch, i)
                if self.tx is not tx:
                    i += used
                    break
                state, rep, count = tx.state, tx.rep, tx.count
                table = tables[state]
            else:
                tx.state, tx.rep, tx.count = state, rep, count
                i = n
        if self.tx is not None and self.tx.keep is not None:
            self.tx.keep.extend(_kept(pieces[self.tx.keep_from :]))
            self.tx.keep_from = 0
        self.segno += n

    def _envelope(self, seg: str, batch: Batch, i: int) -> int:
        """A segment outside a validated transaction set body. Returns pieces consumed."""
        if self.ix is None:
            return 1
        d = self.d
        if not seg or seg[0] in WHITESPACE:
            stripped = seg.lstrip(WHITESPACE)
            if not stripped:
                if seg == "":
                    self._envelope_finding("segment.empty", "empty segment", None, batch, i)
                return 1
            seg = stripped
        parts = seg.split(d.element)
        tag = parts[0]
        tx = self.tx
        if tx is not None:  # a transaction set we cannot validate: count to its SE
            if tag in ENVELOPE:
                self._end_tx(batch, i, missing=True)
                return 0
            tx.count += 1
            if tag == "SE":
                self._end_tx(batch, i, se=parts)
            return 1
        if tag == "GS":
            self._start_group(parts, batch, i)
        elif tag == "ST":
            self._start_tx(parts, seg, batch, i)
        elif tag == "GE":
            if self.group is None:
                self._envelope_finding("interchange.invalid_content", "GE without a GS", "GE", batch, i)
            else:
                self._end_group(parts, batch, i)
        elif tag == "IEA":
            self._close_interchange(batch.offset(i), missing=False, iea=parts, pos=self._pos(batch, i))
        elif tag == "TA1" and self.group is None:
            self.ix.ta1_segments.append(seg)
        elif tag == "ISA":
            self._envelope_finding("interchange.invalid_content", "ISA inside an interchange", "ISA", batch, i)
        else:
            where = "outside a transaction set" if self.group is not None else "outside a functional group"
            self._envelope_finding("interchange.invalid_content", f"segment {tag!r} {where}", tag, batch, i)
        return 1

    def _envelope_finding(self, code: str, msg: str, tag: str | None, batch: Batch, i: int) -> None:
        f = Finding(code, msg, tag, None, self._pos(batch, i))
        (self.group.findings if self.group is not None and code != "interchange.invalid_content" else self.ix.findings).append(f)

    # -- functional groups --------------------------------------------------------

    def _start_group(self, parts: list[str], batch: Batch, i: int) -> None:
        if self.group is not None:
            self._end_group(None, None, 0, missing=True)
        v = parts + [""] * (9 - len(parts))
        g = GroupResult(self.ix, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], offset=batch.offset(i), findings=Findings(limit=self.v.max_findings))
        self.ix.group_count += 1
        pos = self._pos(batch, i)

        def bad(code: str, n: int, msg: str) -> None:
            g.findings.append(Finding(code, msg, "GS", f"GS{n:02d}", Position(pos.offset, pos.segment_number, element=n), value=v[n]))

        if len(parts) - 1 > 8:
            bad("gs.element_invalid", 9, f"GS has {len(parts) - 1} elements, 8 are defined")
        if not (2 <= len(v[1]) <= 2 and v[1].isalnum()):
            bad("gs.element_invalid", 1, f"GS01 functional identifier {v[1]!r} is invalid")
        for n in (2, 3):
            if not 2 <= len(v[n]) <= 15:
                bad("gs.element_invalid", n, f"GS{n:02d} application code {v[n]!r} must be 2-15 characters")
        if not (len(v[4]) == 8 and valid_date(v[4])):
            bad("gs.element_invalid", 4, f"GS04 {v[4]!r} is not a valid CCYYMMDD date")
        if not (4 <= len(v[5]) <= 8 and valid_time(v[5])):
            bad("gs.element_invalid", 5, f"GS05 {v[5]!r} is not a valid time")
        if not _CONTROL_NUMBER.fullmatch(v[6]):
            bad("gs.control_number_invalid", 6, f"GS06 group control number {v[6]!r} must be 1-9 digits")
        elif v[6] in self.gs_numbers:
            bad("gs.duplicate_control_number", 6, f"group control number {v[6]} already used in this interchange")
        self.gs_numbers.add(v[6])
        if v[7] not in ("X", "T"):
            bad("gs.element_invalid", 7, f"GS07 responsible agency {v[7]!r} must be X or T")
        if not 1 <= len(v[8]) <= 12:
            bad("gs.version_unsupported", 8, f"GS08 version {v[8]!r} is invalid")
        elif not any(e.vriic[:6] == v[8][:6] for e in self.v.library.entries):
            bad("gs.version_unsupported", 8, f"version {v[8]} is not supported")
        elif v[1] and not any(e.fic == v[1] and e.vriic[:6] == v[8][:6] for e in self.v.library.entries):
            bad("gs.functional_id_unsupported", 1, f"functional group {v[1]!r} is not supported in version {v[8]}")
        self.group = g
        self.st_numbers = set()

    def _end_group(self, ge: list[str] | None, batch: Batch | None, i: int | None, missing: bool = False) -> None:
        g = self.group
        if self.tx is not None:
            self._end_tx(batch, i, missing=True)
        if missing:
            g.findings.append(Finding("ge.missing", f"functional group {g.control_number} has no GE trailer", "GE", None, Position(offset=None, segment_number=self.segno)))
        elif ge is not None:
            pos = self._pos(batch, i)
            n = ge[1] if len(ge) > 1 else ""
            if n.isascii() and n.isdigit():
                g.stated = int(n)
            if not (n.isascii() and n.isdigit() and int(n) == g.received):
                g.findings.append(Finding("ge.count_mismatch", f"GE01 says {n!r} transaction sets, found {g.received}", "GE", "GE01",
                                          Position(pos.offset, pos.segment_number, element=1), value=n))
            c = ge[2] if len(ge) > 2 else ""
            if c != g.control_number:
                g.findings.append(Finding("ge.control_mismatch", f"GE02 {c!r} does not match GS06 {g.control_number!r}", "GE", "GE02",
                                          Position(pos.offset, pos.segment_number, element=2), value=c))
        if self.keep:
            self.ix.groups.append(g)
        else:
            g.transactions = []
        self.out.append(g)
        self.group = None

    # -- transaction sets ---------------------------------------------------------

    def _start_tx(self, parts: list[str], seg: str, batch: Batch, i: int) -> None:
        ix = self.ix
        if self.group is None:
            self._envelope_finding("interchange.invalid_content", "ST outside a functional group", "ST", batch, i)
            self.group = GroupResult(ix, synthetic=True, offset=batch.offset(i))
            self.group.findings.append(Finding("ge.missing", "transaction set outside a functional group (no GS)", "ST", None, self._pos(batch, i)))
            self.st_numbers = set()
        g = self.group
        set_id = parts[1] if len(parts) > 1 else ""
        control = parts[2] if len(parts) > 2 else ""
        convention = parts[3] if len(parts) > 3 else ""
        result = TransactionResult(set_id, control, g, convention, offset=batch.offset(i), segment_number=self.segno + i + 1,
                                   findings=Findings(limit=self.v.max_findings))
        g.received += 1
        def at(n: int) -> Position:  # only called when there is something to report
            return _el(self._pos(batch, i, set_position=1), n)

        spec = None
        if not (len(set_id) == 3 and set_id.isdigit() and set_id.isascii()):
            result.findings.append(Finding("st.set_id_invalid", f"ST01 {set_id!r} is not a transaction set identifier", "ST", "ST01", at(1), value=set_id))
        else:
            # ST03, when sent, takes precedence over GS08 in choosing the implementation (X12.6, 005010).
            spec = self.v.find_spec(ix.version, convention, g.functional_id, set_id, exact=True) if convention else None
            if spec is None:
                spec = self.v.find_spec(ix.version, g.version, g.functional_id, set_id)
                if spec is not None and convention:
                    # Unknown convention: validated against the group's release, and said so.
                    result.findings.append(Finding("st.implementation_convention", f"implementation convention {convention!r} (ST03) is not supported; "
                                                   f"validated as {g.version}", "ST", "ST03", at(3), value=convention, severity="warning"))
            if spec is None:
                result.findings.append(Finding("st.set_unsupported", f"transaction set {set_id} version {g.version or ix.version} is not supported", "ST", "ST01", at(1), value=set_id))
            elif spec.set_id != set_id:
                result.findings.append(Finding("st.set_id_invalid", f"transaction set {set_id} does not belong in a {g.functional_id} group", "ST", "ST01", at(1), value=set_id))
                spec = None
            elif spec.fic != g.functional_id and not g.synthetic:
                result.findings.append(Finding("st.set_id_invalid", f"transaction set {set_id} does not belong in functional group {g.functional_id!r} (expected {spec.fic})",
                                               "ST", "ST01", at(1), value=set_id))
        if not control:
            result.findings.append(Finding("st.control_number_invalid", "ST02 control number is missing", "ST", "ST02", at(2)))
        elif control in self.st_numbers:
            result.findings.append(Finding("st.duplicate_control_number", f"transaction set control number {control} already used in this group", "ST", "ST02", at(2), value=control))
        self.st_numbers.add(control)
        compiled = None
        if spec is not None:
            compiled = self.compiled.get(id(spec))
            if compiled is None:  # per interchange: the delimiters are fixed within it
                compiled = self.compiled[id(spec)] = self.v.compiled(spec, self.d, ix.version)
        result.spec = spec.source if spec is not None else None
        tx = _Tx(result, compiled)
        if self.v.keep_segments:
            # The set's segments are sliced out of the batches when they are done with (no per-segment cost).
            tx.keep = []
            tx.keep_from = i
        self.tx = tx
        if compiled is not None:
            m = compiled.machine
            tx.state = m.start
            tx.iters = [1] * len(m.loops)
            if not compiled.valid(m.start, seg):
                self._content(tx, m.start, seg, batch, i, 1)

    def _too_large(self, tx: _Tx) -> None:
        """The set has grown past ``max_set_bytes``: rejected, and its segments are no longer kept for mapping
        (validation goes on, streaming, so the acknowledgement still lists its other errors)."""
        tx.big = True
        tx.keep = None
        r = tx.result
        limit = self.v.max_set_bytes
        r.findings.append(Finding("transaction.too_large", f"transaction set {r.set_id} {r.control_number} is larger than {limit:,} bytes, "
                                  "the most this gateway accepts in one set", "ST", None,
                                  Position(offset=r.offset, segment_number=r.segment_number, set_position=1)))

    def _end_tx(self, batch: Batch | None, i: int | None, se: list[str] | None = None, missing: bool = False) -> None:
        tx = self.tx
        r = tx.result
        limit = self.v.max_set_bytes
        if not tx.big and batch is not None and i is not None and (r.offset < batch.start or limit < CHUNK) and batch.offset(i) - r.offset > limit:
            self._too_large(tx)  # grew past it in its last batch (one batch holds at most about a chunk)
        r.segment_count = tx.count
        def end() -> Position:
            return self._pos(batch, i, set_position=tx.count) if batch is not None else Position(segment_number=self.segno)

        if missing:
            r.findings.append(Finding("se.missing", f"transaction set {r.set_id} {r.control_number} has no SE trailer", "SE", None, end()))
        elif se is not None:
            n = se[1] if len(se) > 1 else ""
            if not (n.isascii() and n.isdigit() and int(n) == tx.count):
                r.findings.append(Finding("se.count_mismatch", f"SE01 says {n!r} segments, counted {tx.count}", "SE", "SE01", _el(end(), 1), value=n))
            c = se[2] if len(se) > 2 else ""
            if c != r.control_number:
                r.findings.append(Finding("se.control_mismatch", f"SE02 {c!r} does not match ST02 {r.control_number!r}", "SE", "SE02", _el(end(), 2), value=c))
        if tx.compiled is not None and tx.hl_last is not None and not tx.hl_off and tx.hl_open[tx.hl_last][0] == "1":
            where = tx.hl_open[tx.hl_last][1]
            r.findings.append(Finding("hl.child_code", f"HL {tx.hl_last} says it has subordinate levels (HL04=1) but none follow", "HL", "HL04",
                                      _el(where, 4), value="1", data_element="736"))
        if r.findings and any(f.level in ("segment", "element") and f.severity == "error" for f in r.findings):
            r.findings.append(Finding("transaction.segment_errors", "one or more segments in error", None, None, Position(offset=r.offset, segment_number=r.segment_number)))
        if tx.keep is not None:
            if batch is not None and i is not None:
                upto = i + 1 if se is not None else i
                tx.keep.extend(_kept(batch.pieces[tx.keep_from : upto]))
            r.segments = Kept(tx.keep, self.d.segment)
        g = r.group
        status = r.status
        if status != "rejected":
            g.accepted += 1
            if status == "accepted_with_errors":
                g.with_errors += 1
        if self.keep:
            g.transactions.append(r)
        self.out.append(r)
        self.tx = None

    def _one(self, tx: _Tx, seg: str, batch: Batch, i: int) -> int:
        """Every rule for one segment inside a validated transaction set body."""
        c = tx.compiled
        m = c.machine
        d = c.d
        if not seg or seg[0] in WHITESPACE:
            stripped = seg.lstrip(WHITESPACE)
            if not stripped:
                if seg == "":
                    tx.count += 1
                    tx.result.findings.append(Finding("segment.empty", "empty segment", None, None, self._pos(batch, i, set_position=tx.count)))
                return 1
            seg = stripped
        tag = seg.split(d.element, 1)[0]
        if tag in ENVELOPE:
            self._end_tx(batch, i, missing=True)
            return 0
        tx.count += 1
        tr = m.tables[tx.state].get(tag)
        if tr is not None and tr.kind == CANDIDATES:
            tr = _pick(tr, seg, d)
        if tr is None:
            pos = self._pos(batch, i, set_position=tx.count)
            loop_path = m.nodes[tx.state].path.rsplit("/", 1)[0]
            code = not_found_code(tag, m, c.code_sets.get(SEGMENT_IDS))
            tx.result.findings.append(Finding(code, f"segment {tag} is not expected here (after {m.nodes[tx.state].id} in {loop_path or '/'})",
                                              tag, None, pos, loop=loop_path))
            return 1
        target = tr.target
        node = m.nodes[target]
        findings = tx.result.findings
        pos = _Lazy(self, batch, i, tx.count)
        if tr.kind == REPEAT or (tr.kind == FORWARD and target == tx.state):
            tx.rep += 1
            if tx.rep > c.max_use[target]:
                findings.append(Finding("segment.max_use_exceeded", f"segment {tag} repeats {tx.rep} times, at most {node.max_use}", tag, None, pos.get(), loop=node.path))
        elif tr.kind == FORWARD:
            tx.rep = 1
        else:
            for miss in tr.missing:
                kind = "loop.mandatory_missing" if isinstance(miss, LoopDef) else "segment.mandatory_missing"
                first = miss.first_segment() if isinstance(miss, LoopDef) else miss
                findings.append(Finding(kind, f"mandatory {'loop' if isinstance(miss, LoopDef) else 'segment'} {miss.id} ({miss.name}) is missing",
                                        first.id if first else miss.id, None, pos.get(), loop=miss.path))
            for nu in tr.not_used:
                kind = "loop.not_used" if isinstance(nu, LoopDef) else "segment.not_used"
                findings.append(Finding(kind, f"{'loop' if isinstance(nu, LoopDef) else 'segment'} {nu.id} is marked not used", tag, None, pos.get(), loop=nu.path))
            iters = tx.iters
            for j, li in enumerate(tr.pushes):
                count = iters[li] + 1 if j == 0 and tr.reentry else 1
                loop = m.loops[li]
                if loop.repeat is not None and count > loop.repeat:
                    findings.append(Finding("loop.max_exceeded", f"loop {loop.id} occurs {count} times, at most {loop.repeat}", tag, None, pos.get(), loop=loop.path))
                iters[li] = count
            if target == tx.state and not tr.pushes:
                tx.rep += 1
                if tx.rep > c.max_use[target]:
                    findings.append(Finding("segment.max_use_exceeded", f"segment {tag} repeats {tx.rep} times, at most {node.max_use}", tag, None, pos.get(), loop=node.path))
            else:
                tx.rep = 1
            if tr.hl:
                self._hl(tx, seg, d, pos.get())
        tx.state = target
        if not c.valid(target, seg):
            self._content(tx, target, seg, batch, i, tx.count)
        if target == m.se:
            self._end_tx(batch, i, se=seg.split(d.element))
        return 1

    def _content(self, tx: _Tx, index: int, seg: str, batch: Batch, i: int, set_position: int) -> None:
        c = tx.compiled
        node = c.machine.nodes[index]
        base = self._pos(batch, i, set_position=set_position)
        for p in c.checker(index).check(seg):
            pos = Position(base.offset, base.segment_number, set_position, p.element, p.component, p.repetition)
            if p.element is not None and base.offset is not None:
                pos.offset = base.offset + _element_offset(seg, c.d, p.element, p.component, p.repetition)
            tx.result.findings.append(Finding(p.code, p.message, node.id, p.ref, pos, p.value, node.path.rsplit("/", 1)[0], p.data_element))

    def _hl(self, tx: _Tx, seg: str, d: Delimiters, pos: Position) -> None:
        """HL01 counts up from 1, HL02 names an open level, HL04 agrees with what follows; at most
        ``MAX_HL_DEPTH`` levels. Only the open levels are remembered: memory does not grow with the set."""
        if tx.hl_off:
            return
        parts = seg.split(d.element) + ["", "", "", ""]
        hid, parent, child = parts[1], parts[2], parts[4]
        if tx.hl_stack is None:
            tx.hl_stack, tx.hl_open = [], {}
        findings = tx.result.findings
        tx.hl_count += 1
        expected = str(tx.hl_count)
        if hid != expected:
            findings.append(Finding("hl.id_sequence", f"HL01 is {hid!r}, expected {expected}", "HL", "HL01", _el(pos, 1), value=hid, data_element="628"))
        stack = tx.hl_stack
        opened = tx.hl_open
        prev = tx.hl_last
        if parent and parent not in opened:
            findings.append(Finding("hl.parent_invalid", f"HL02 parent {parent!r} is not an open hierarchical level", "HL", "HL02", _el(pos, 2),
                                    value=parent, data_element="734"))
        else:
            if prev is not None and opened[prev][0] == "1" and parent != prev:
                where = opened[prev][1]
                findings.append(Finding("hl.child_code", f"HL {prev} says it has subordinate levels (HL04=1) but HL {hid} is not one of them",
                                        "HL", "HL04", _el(where, 4), value="1", data_element="736"))
            if parent:
                while stack[-1] != parent:
                    _close_level(stack, opened)
                if opened[parent][0] == "0":
                    findings.append(Finding("hl.child_code", f"HL {parent} says it has no subordinate levels (HL04=0) but HL {hid} names it as parent",
                                            "HL", "HL04", _el(opened[parent][1], 4), value="0", data_element="736"))
            else:
                stack.clear()
                opened.clear()
        if len(stack) >= self.v.max_hl_depth:
            findings.append(Finding("hl.too_deep", f"HL {hid} would be level {len(stack) + 1} of the hierarchy: at most {self.v.max_hl_depth} "
                                    f"levels are accepted (hierarchy checks stop here)", "HL", "HL02", _el(pos, 2), value=parent, data_element="734"))
            tx.hl_off = True
            tx.hl_stack = tx.hl_open = None
            return
        if hid in opened:  # a repeated HL01 (already reported): the newest level answers to it
            stack.remove(hid)
        stack.append(hid)
        opened[hid] = (child, pos)
        tx.hl_last = hid


def _close_level(stack: list, opened: dict) -> None:
    opened.pop(stack.pop(), None)


def _kept(pieces: list[str]) -> list[str]:
    """Segments to keep: as validated, without the white space a stray line ending leaves."""
    return [p.lstrip(WHITESPACE) if p[:1] in WHITESPACE else p for p in pieces if p.strip(WHITESPACE)]


class _Lazy:
    """A segment's Position, built only if a finding needs it."""

    __slots__ = ("_pos", "batch", "i", "run", "set_position")

    def __init__(self, run: _Run, batch: Batch, i: int, set_position: int) -> None:
        self.run, self.batch, self.i, self.set_position, self._pos = run, batch, i, set_position, None

    def get(self) -> Position:
        if self._pos is None:
            self._pos = self.run._pos(self.batch, self.i, set_position=self.set_position)
        return self._pos


def _pick(cands, seg: str, d: Delimiters):
    parts = None
    for t in cands:
        q = t.qualifier
        if q is None:
            return t
        if parts is None:
            parts = seg.split(d.element)
        e, comp, codes = q
        v = parts[e] if len(parts) > e else ""
        if comp is not None:
            sub = v.split(d.component)
            v = sub[comp - 1] if len(sub) >= comp else ""
        if v in codes:
            return t
    return None


def _el(pos: Position, n: int) -> Position:
    return Position(pos.offset, pos.segment_number, pos.set_position, element=n)


def _element_offset(seg: str, d: Delimiters, element: int, component: int | None, repetition: int | None) -> int:
    """Characters from the segment start to the given element (component, repetition)."""
    at = 0
    for _ in range(element):
        nxt = seg.find(d.element, at)
        if nxt < 0:
            return len(seg)
        at = nxt + 1
    if repetition and d.repetition:
        for _ in range(repetition - 1):
            nxt = seg.find(d.repetition, at)
            if nxt < 0:
                break
            at = nxt + 1
    if component:
        for _ in range(component - 1):
            nxt = seg.find(d.component, at)
            if nxt < 0:
                break
            at = nxt + 1
    return at
