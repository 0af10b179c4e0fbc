"""Hostile X12 for the tests: seeds (the samples and the mapping fixtures), a seeded mutator, and
generators of the inputs that once exhausted the engine (HL nested 10,000 deep, one 856 set with
millions of HL loops). Importable as ``x12_hostile``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from helpers import ROOT, sample_files
from x12_envelope import envelope



def seeds() -> list[tuple[str, bytes]]:
    """(name, bytes) of every sample interchange and mapping fixture; outbound expectations (ST..SE) in an envelope."""
    out = [(p.name, p.read_bytes()) for p in sample_files()]
    for path in sorted((ROOT / "mappings").glob("*/*.fixtures/*.x12")):
        text = path.read_text(encoding="latin-1")
        if text.lstrip().startswith("ISA"):
            out.append((path.name, text.encode("latin-1")))
        elif text.startswith("ST*"):
            set_id, version = path.parent.name.split("-")[:2]
            out.append((path.name, envelope(text, set_id, version).encode("latin-1")))
    return out


# -- the mutator ----------------------------------------------------------------------------------------

HUGE = ["999999999999", "0", "-1", "1000000", "99999999999999999999", "1E9", " 12", "00000000000000000001"]
_NUMBER = re.compile(rb"(?<=[*|^!\x1d])\d{1,9}(?=[~*|^!\x1d\n\r])")


def _segments(data: bytes) -> tuple[list[bytes], bytes]:
    """The segments of ``data`` split on its terminator (ISA106, else ``~``), and the terminator."""
    term = data[105:106] if data.startswith(b"ISA") and len(data) > 105 else b"~"
    return data.split(term), term


def flip(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def duplicate_segments(rng: random.Random, data: bytes) -> bytes:
    segs, term = _segments(data)
    at = rng.randrange(len(segs))
    span = segs[at : at + rng.randint(1, 12)]
    return term.join(segs[:at] + span * rng.randint(2, 60) + segs[at:])


def drop_segments(rng: random.Random, data: bytes) -> bytes:
    segs, term = _segments(data)
    at = rng.randrange(len(segs))
    return term.join(segs[:at] + segs[at + rng.randint(1, 4) :])


def swap_delimiters(rng: random.Random, data: bytes) -> bytes:
    """Two delimiters (or a delimiter and a common character) exchanged, everywhere or after the ISA only."""
    chars = [b"*", b"~", b">", b":", b"^", b"\n", b"|", b" ", b"0", b"A"]
    a, c = rng.sample(chars, 2)
    start = 0 if rng.random() < 0.3 else min(len(data), 106)
    body = data[start:].replace(a, b"\x00").replace(c, a).replace(b"\x00", c)
    return data[:start] + body


def huge_count(rng: random.Random, data: bytes) -> bytes:
    """A number (SE01, GE01, IEA01, HL01, CTT01, a quantity, ...) replaced by something out of range."""
    found = list(_NUMBER.finditer(data))
    if not found:
        return data
    for m in rng.sample(found, min(len(found), rng.randint(1, 3))):
        data = data[: m.start()] + rng.choice(HUGE).encode() + data[m.end() :]
        found = list(_NUMBER.finditer(data))  # offsets moved
        if not found:
            break
    return data


def long_values(rng: random.Random, data: bytes) -> bytes:
    segs, term = _segments(data)
    at = rng.randrange(len(segs))
    kind = rng.randrange(3)
    if kind == 0:
        segs[at] += b"*" + b"X" * rng.randint(100, 20000)  # an element far too long
    elif kind == 1:
        segs[at] += b"*" * rng.randint(50, 500)  # far too many elements
    else:
        segs[at] += b"*" + b":" * rng.randint(50, 500) + b"^" * rng.randint(0, 500)  # components and repetitions
    return term.join(segs)


def junk(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    noise = rng.choice([b"\x00" * 50, b"\xef\xbb\xbf", b"\r\n" * 20, bytes(rng.randrange(256) for _ in range(40)), b"ISA", b"IEA*1*",
                        b"\xc3\xa9\xe2\x82\xac", b"\x1b[31m"])
    return data[:at] + noise + data[at:]


def envelope_values(rng: random.Random, data: bytes) -> bytes:
    """An envelope element we echo (GS01-GS08, ST01-ST03, ISA13) given an odd value: long, spaced, empty."""
    segs, term = _segments(data)
    heads = [i for i, s in enumerate(segs) if s.lstrip()[:3] in (b"GS*", b"ST*", b"GE*", b"SE*")]
    if not heads:
        return data
    at = rng.choice(heads)
    parts = segs[at].split(b"*")
    n = rng.randrange(1, max(2, len(parts)))
    alphabet = b"ABC 0123456789 XZ-.,"
    value = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    parts[n:n + 1] = [value]
    segs[at] = b"*".join(parts)
    return term.join(segs)


def nest_hl(rng: random.Random, data: bytes) -> bytes:
    """Every HL after the first names the one before it as its parent: one deep chain."""
    segs, term = _segments(data)
    n = 0
    for i, seg in enumerate(segs):
        s = seg.lstrip()
        if s.startswith(b"HL*"):
            n += 1
            parts = s.split(b"*")
            if len(parts) > 2 and n > 1:
                parts[2] = str(n - 1).encode()
                parts[1] = str(n).encode()
            segs[i] = seg[: len(seg) - len(s)] + b"*".join(parts)
    return term.join(segs)


MUTATIONS = [flip, truncate, duplicate_segments, drop_segments, swap_delimiters, huge_count, long_values, junk, envelope_values, nest_hl]


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """``data`` with 1-4 random mutations; and their names."""
    names = []
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(MUTATIONS)
        names.append(op.__name__)
        data = op(rng, data)
    return data, names


# -- generated hostile sets -----------------------------------------------------------------------------

SAMPLE_856 = ROOT / "samples" / "x12" / "856-004010-pick-pack-shipment-with-sscc-labels.x12"


def deep_hl_856(levels: int, base: Path = SAMPLE_856) -> bytes:
    """``base`` (an 856 sample, one set, ``*`` and ``~``) with its HL levels replaced by one chain ``levels`` deep:
    shipment, order, then packs inside packs, an item last."""
    chain = ["HL*1**S*1", "HL*2*1*O*1"] + [f"HL*{i}*{i - 1}*P*1" for i in range(3, levels)] + [f"HL*{levels}*{levels - 1}*I*0"]
    return _with_levels(base, chain, levels)


def wide_hl_856(loops: int, base: Path = SAMPLE_856, *, misnumbered: bool = False) -> bytes:
    """``base`` with ``loops`` HL loops (shipment, order, then item after item): past the map's 200,000 HL loops
    every one is an error (``loop.max_exceeded``), the millions of findings that once filled memory.
    ``misnumbered``: every item's HL01 is one too high (``hl.id_sequence``), an error per loop from the start."""
    shift = 1 if misnumbered else 0
    chain = ["HL*1**S*1", "HL*2*1*O*1"] + [f"HL*{i + shift}*2*I*0" for i in range(3, loops + 1)]
    return _with_levels(base, chain, loops)


def _with_levels(base: Path, chain: list[str], count: int) -> bytes:
    lines = [line.rstrip("~") for line in base.read_text(encoding="ascii").splitlines() if line.strip()]
    st = next(i for i, line in enumerate(lines) if line.startswith("ST*"))
    first_hl = next(i for i, line in enumerate(lines) if line.startswith("HL*"))
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    body = lines[st:first_hl] + chain + [f"CTT*{count}"]
    control = lines[se].split("*")[2]
    out = lines[:st] + body + [f"SE*{len(body) + 1}*{control}"] + lines[se + 1 :]
    return ("~\n".join(out) + "~\n").encode("ascii")
