"""Run pyx12 in-process as a second opinion on transaction-set verdicts.

Used by ``test_pyx12_differential.py``. Nothing here writes to disk: pyx12 reads
an in-memory copy of the input and writes its 997/999 and JSON error tree to
in-memory streams, so it can never drop ``FILE.997`` beside a corpus file
(``x12valid`` does exactly that).

A verdict is ``accepted`` or ``rejected``: pyx12's AK501/IK501 ``A`` or ``E``
against our ``accepted``/``accepted_with_errors``, anything else against
``rejected``. Sets are matched on (GS06, ST01, ST02) in file order.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import NotX12
from gateway.formats.x12 import Validator

SETS = frozenset({"850", "855", "856", "810"})
ACK_SETS = frozenset({"999"})  # judged in the 005010 comparison only
BOM = b"\xef\xbb\xbf"
ISA_LEN = 106
ISA_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
PYX12_ICVN = {"004010": "00401", "005010": "00501"}  # the only ISA12 values pyx12 reads

Key = tuple[str, str, str]  # (GS06, ST01, ST02)


class NotComparable(Exception):
    """pyx12 cannot judge this input (or set); ``reason`` is a short stable label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# -- the corpus ---------------------------------------------------------------------


def unindexed_corpus_files(corpus: Path) -> list[Path]:
    """Files under ``corpus`` that its README does not list (never compared)."""
    listed = set(indexed_corpus_files(corpus))
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "README.md" and p not in listed)


def indexed_corpus_files(corpus: Path) -> list[Path]:
    """Files listed in the corpus README table (``| src | file | ...``).

    Only indexed files count: stray files next to them (such as a ``.997`` an
    earlier x12valid run left beside its input) are not part of the corpus.
    """
    out = []
    for line in (corpus / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| src ") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2:
            path = corpus / cells[0] / cells[1]
            if path.is_file():
                out.append(path)
    return sorted(out)


# -- our side -----------------------------------------------------------------------


@dataclass
class OurSet:
    key: Key
    version: str  # GS08
    verdict: str  # accepted | rejected
    codes: list[str]  # error findings as code@element, for messages


def our_sets(data: bytes, validator: Validator) -> list[OurSet]:
    report = validator.validate(data)
    out = []
    for t in report.transactions():
        g = t.group
        verdict = "rejected" if t.status == "rejected" else "accepted"
        codes = [f"{f.code}@{f.element or f.segment or '-'}" for f in t.findings if f.severity == "error"]
        out.append(OurSet((g.control_number, t.set_id, t.control_number), g.version, verdict, codes))
    return out


def judged(sets: list[OurSet], release: str) -> list[OurSet]:
    """The sets this differential judges: 850/855/856/810 (and 999 for 005010) whose GS08 is ``release``."""
    wanted = SETS | (ACK_SETS if release == "005010" else frozenset())
    return [s for s in sets if s.version[:6] == release and s.key[1] in wanted]


# -- pyx12's input --------------------------------------------------------------------


def _isa_starts(data: bytes) -> list[int]:
    out, at = [], 0
    while (at := data.find(b"ISA", at)) >= 0:
        es = data[at + 3 : at + 4]
        if at + ISA_LEN <= len(data) and es and all(data[at + i : at + i + 1] == es for i in ISA_SEPARATORS):
            out.append(at)
        at += 3
    return out


def normalize(data: bytes, release: str, validator: Validator) -> tuple[bytes, list[str]]:
    """A copy of ``data`` pyx12 can read, and the normalizations applied.

    pyx12 reads neither a UTF-8 BOM nor an ISA12 other than 00401/00501. Allowed:
    dropping the BOM (our lexer skips it) and, for a 00200..00409 envelope,
    rewriting ISA12 to pyx12's version for ``release`` and ISA11 to ``U`` when
    ISA11 occurs nowhere else in the interchange (so it separates nothing). The
    transaction sets keep their GS08, which is what their content is validated
    against. Either is used only when our own per-set results (verdict and
    finding codes) are identical on the original and the copy: then the
    normalization does not change validity as we see it. Otherwise, and for
    inputs pyx12 would read differently from us, raises ``NotComparable``.
    """
    notes: list[str] = []
    out = data
    if out.startswith(BOM):
        out = out[len(BOM) :]
        notes.append("bom_stripped")
    starts = _isa_starts(out)
    if not out.startswith(b"ISA") or not starts or starts[0] != 0:
        raise NotComparable("isa_not_fixed_width", "pyx12 reads the ISA as 106 fixed characters at offset 0")
    first = out[:ISA_LEN]
    delims = (first[3:4], first[104:105], first[105:106])
    want = PYX12_ICVN[release].encode()
    buf = bytearray(out)
    for n, at in enumerate(starts):
        isa = out[at : at + ISA_LEN]
        if (isa[3:4], isa[104:105], isa[105:106]) != delims:
            raise NotComparable("interchanges_with_different_delimiters", "pyx12 splits the whole file with the first ISA's delimiters")
        icvn = isa[84:89]
        if icvn == want:
            continue
        if icvn in (b"00401", b"00501") or not re.fullmatch(rb"00[234]0[0-9]", icvn):
            raise NotComparable("isa12_not_readable_by_pyx12", f"ISA12 {icvn.decode('latin-1')} in a {release} comparison")
        rep = isa[82:83]
        if rep != b"U":
            end = starts[n + 1] if n + 1 < len(starts) else len(out)
            if rep in out[at + ISA_LEN : end]:
                raise NotComparable("isa11_used_as_repetition_separator", f"ISA12 {icvn.decode('latin-1')}, ISA11 {rep!r}")
            buf[at + 82 : at + 83] = b"U"
        buf[at + 84 : at + 89] = want
        note = f"isa12_{icvn.decode('latin-1')}_to_{want.decode()}"
        if note not in notes:
            notes.append(note)
    out = bytes(buf)
    try:
        out.decode("ascii")
    except UnicodeDecodeError:
        raise NotComparable("non_ascii_bytes", "pyx12 reads X12 as ASCII") from None
    if notes:
        before = [(s.key, s.verdict, sorted(s.codes)) for s in our_sets(data, validator)]
        after = [(s.key, s.verdict, sorted(s.codes)) for s in our_sets(out, validator)]
        if before != after:
            raise NotComparable("normalization_changes_our_results", ",".join(notes))
    return out, notes


def deindent(data: bytes) -> bytes:
    """``data`` with white space removed from the start of every segment (pretty-printed files)."""
    term = data[105:106]
    return term.join(re.sub(rb"^[ \t\r\n]+", b"", piece) for piece in data.split(term))


# -- pyx12 ------------------------------------------------------------------------------


@dataclass
class Pyx12Run:
    verdicts: list[tuple[Key, str]] = field(default_factory=list)  # (key, AK501/IK501) in AK2 order
    ack: str = ""
    log: list[str] = field(default_factory=list)  # pyx12's error log (logger "pyx12", WARNING and up)
    json_errors: str = ""  # pyx12's error tree (errh_json)
    tree: list[tuple[Key, str]] = field(default_factory=list)  # per-set ack_code from that tree
    source: str = "ack"  # where ``verdicts`` came from: ack | json

    @property
    def consistent(self) -> bool:
        """When pyx12 wrote an acknowledgement, its AK5s say what its error tree says."""
        return self.source == "json" or self.verdicts == self.tree


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run_pyx12(data: bytes, map_path: Path) -> Pyx12Run:
    """Validate ``data`` with pyx12 (maps from ``map_path``) and read its per-set verdicts.

    The verdicts come from the 997/999 pyx12 writes (AK2 + AK5/IK5). pyx12
    writes none for a file whose last GS01 is FA (so never for a 999), and
    fails half-way through a 999 for a 005010 set without ST03; then, and only
    then, they come from its JSON error tree, which holds the same per-set
    ``ack_code`` the AK5/IK5 is written from (``source`` says which was used;
    where both exist they must agree, see ``consistent``).

    Raises ``NotComparable('pyx12_crash', ...)`` when pyx12 raises and
    ``NotComparable('pyx12_cannot_read', ...)`` when it cannot read the input. A set
    pyx12 could not place (no AK2 for it) is the caller's business.
    """
    import pyx12.params
    import pyx12.x12n_document

    ack, js = io.StringIO(), io.StringIO()
    logger = logging.getLogger("pyx12")
    cap = _Capture()
    saved = (logger.propagate, logger.level)
    logger.addHandler(cap)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(data.decode("ascii")), ack, None, None, js, map_path=str(map_path))
    except Exception as exc:  # EngineError, X12Error and plain bugs (IndexError, AttributeError)
        raise NotComparable("pyx12_crash", f"{type(exc).__name__}: {exc}") from None
    finally:
        logger.removeHandler(cap)
        logger.propagate, logger.level = saved
    unreadable = [line for line in cap.lines if "does not look like an X12 data file" in line]
    if unreadable:  # x12n_document logs the X12Error from its reader and returns False
        raise NotComparable("pyx12_cannot_read", unreadable[0])
    run = Pyx12Run(ack=ack.getvalue(), log=cap.lines, json_errors=js.getvalue())
    run.tree = parse_json(run.json_errors)
    ack_failed = any(line.startswith("Failed to create") for line in cap.lines)
    if run.ack and not ack_failed:
        run.verdicts, run.source = parse_ack(run.ack), "ack"
    else:
        run.verdicts, run.source = run.tree, "json"
    return run


def parse_json(text: str) -> list[tuple[Key, str]]:
    """((GS06, ST01, ST02), ack_code) for each set in pyx12's JSON error tree."""
    if not text:
        return []
    out = []
    for isa in json.loads(text)["interchanges"]:
        for gs in isa["groups"]:
            for st in gs["transactions"]:
                out.append(((gs["gs_control_num"] or "", st["trn_set_id"] or "", (st["trn_set_control_num"] or "").strip()), st["ack_code"]))
    return out


def parse_ack(text: str) -> list[tuple[Key, str]]:
    """((AK102, AK201, AK202), AK501 or IK501) for each AK2 of a 997/999."""
    if not text.startswith("ISA") or len(text) < ISA_LEN:
        return []
    es, term = text[3], text[105]
    out: list[tuple[Key, str]] = []
    group, current = "", None
    for raw in text.split(term):
        seg = raw.strip("\r\n").split(es) + ["", "", ""]
        if seg[0] == "AK1":
            group = seg[2]
        elif seg[0] == "AK2":
            current = (group, seg[1], seg[2])
        elif seg[0] in ("AK5", "IK5") and current is not None:
            out.append((current, seg[1]))
            current = None
    return out


def pyx12_verdict(code: str) -> str:
    return "accepted" if code in ("A", "E") else "rejected"


# -- one file ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What comparing one file gave: per-set results, keyed like ``OurSet.key``."""

    compared: list[tuple[OurSet, str]] = field(default_factory=list)  # (ours, pyx12 verdict)
    not_comparable: list[tuple[OurSet | None, str, str]] = field(default_factory=list)  # (set, reason, detail)
    only_pyx12: list[tuple[Key, str]] = field(default_factory=list)  # acknowledged by pyx12, unknown to us
    notes: list[str] = field(default_factory=list)  # normalizations applied to pyx12's copy
    copy: bytes = b""  # what pyx12 read
    run: Pyx12Run | None = None


def compare_file(data: bytes, release: str, map_path: Path, validator: Validator) -> Outcome | None:
    """Compare our verdicts with pyx12's for the judged sets of one input; None when it has none."""
    try:
        mine_all = our_sets(data, validator)
    except NotX12:
        return None
    mine = judged(mine_all, release)
    if not mine:
        return None
    outcome = Outcome()
    try:
        outcome.copy, outcome.notes = normalize(data, release, validator)
        outcome.run = run = run_pyx12(outcome.copy, map_path)
    except NotComparable as nc:
        outcome.not_comparable = [(s, nc.reason, nc.detail) for s in mine]
        return outcome
    theirs: dict[Key, list[str]] = defaultdict(list)
    for key, code in run.verdicts:
        theirs[key].append(code)
    for s in mine:
        codes = theirs.get(s.key)
        if codes:
            outcome.compared.append((s, pyx12_verdict(codes.pop(0))))
        else:
            # pyx12 picks the map by GS01 only; a set under another GS01 finds no ST in it and gets no AK2.
            outcome.not_comparable.append((s, "pyx12_did_not_acknowledge_set", "no AK2 for this set in pyx12's 997/999"))
    groups = {s.key[0]: s.version for s in mine_all}
    wanted = SETS | (ACK_SETS if release == "005010" else frozenset())
    for key, codes in theirs.items():
        if key[1] in wanted and groups.get(key[0], release)[:6] == release:
            outcome.only_pyx12 += [(key, code) for code in codes]
    return outcome
