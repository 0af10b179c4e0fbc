"""Fuzzing the X12 engine with a seeded mutator over the samples and the mapping fixtures (``x12_hostile``):
byte flips, truncations, duplicated and dropped segments, swapped delimiters, huge counts, long values,
junk, odd envelope values, HL levels chained deep.

1. Every acknowledgement we would send (TA1, 997, 999; as the version says, or forced either way; TA1
   on error or always) is itself valid X12: our own validator accepts it.
2. validate, ack and translate raise nothing but the engine's own errors (``GatewayError``), the
   documents encode as JSON, and time and memory per input stay within loose bounds of its size.

A failure names the seed and the mutations: ``mutate(random.Random(seed), seed_file)`` gives the input back.
"""

from __future__ import annotations

import json
import random
import re
import time
import tracemalloc

import pytest
from helpers import ROOT
from x12_hostile import deep_hl_856, mutate, seeds, wide_hl_856

from gateway.errors import GatewayError
from gateway.formats.x12 import AckNumbers, Validator, ack_set_for, acknowledge_report
from gateway.formats.x12.elements import valid_date, valid_time
from gateway.translate import Translator

pytestmark = pytest.mark.slow  # about 35 s on a busy machine; -m 'not slow' leaves it out

SEEDS = seeds()
VALIDATOR = Validator()
TA1 = re.compile(r"TA1 (\d{9}) (\d{6}) (\d{4}) [AER] \d{3}")  # elements joined by spaces
KINDS = {"by version": ack_set_for, "997": lambda version: "997", "999": lambda version: "999"}


def hostile_inputs(count: int, first_seed: int):
    for seed in range(first_seed, first_seed + count):
        rng = random.Random(seed)
        name, base = rng.choice(SEEDS)
        data, ops = mutate(rng, base)
        yield f"seed {seed}: {name} after {', '.join(ops)}", data


def ack_problems(report) -> list[str]:
    """Why any acknowledgement of ``report`` would not be valid X12 (empty when all are)."""
    problems = []
    for kind_name, kind in KINDS.items():
        for ta1 in ("on_error", "always"):
            text = acknowledge_report(report, AckNumbers(), kind=kind, ta1=ta1)
            if not text:
                continue
            ack = VALIDATOR.validate(text.encode("latin-1"))
            found = [f"{f.code} {f.element or f.segment or ''} {f.value or ''}".strip()
                     for f in [*(f for _, _, f in ack.envelope_findings()), *(f for t in ack.transactions() for f in t.findings)]]
            if not ack.ok or not ack.interchanges:
                problems.append(f"{kind_name}, TA1 {ta1}: {found or 'no interchange'}")
            for ix in ack.interchanges:
                for seg in ix.ta1_segments:  # the validator keeps a TA1 as it is: its fields are checked here
                    m = TA1.fullmatch(" ".join(seg.split(ix.delimiters.element)))
                    if not (m and valid_date(m.group(2)) and valid_time(m.group(3))):
                        problems.append(f"{kind_name}, TA1 {ta1}: invalid {seg!r}")
    return problems


def test_every_ack_we_send_for_mutated_samples_is_accepted_by_our_validator():
    failures = []
    for label, data in hostile_inputs(1500, first_seed=0):
        try:
            report = VALIDATOR.validate(data)
        except GatewayError:
            continue  # nothing to acknowledge: not X12 at all
        failures += [f"{label}: {p}" for p in ack_problems(report)]
    assert not failures, "\n".join(failures[:20])


TRANSLATOR = Translator([ROOT / "mappings"])


def run_everything(data: bytes) -> None:
    """What a partner's file goes through: validate, every ack, translate (documents JSON-encoded)."""
    try:
        report = VALIDATOR.validate(data)
    except GatewayError:
        report = None
    if report is not None:
        for kind in KINDS.values():
            acknowledge_report(report, AckNumbers(), kind=kind, ta1="always")
    try:
        _, documents = TRANSLATOR.stream(data)
        for translated in documents:
            if translated.document is not None:
                json.dumps(translated.document, ensure_ascii=False)
    except GatewayError:
        pass


# Loose bounds: a first use of new delimiters compiles a spec (tens of ms, about 1.5 MB); after that, time and
# memory grow with the input. Everything else (a quadratic walk, a recursion, findings kept by the million) is far above.
SECONDS = lambda size: 3.0 + 2e-6 * size  # noqa: E731 - 2 ms per KB, on a busy shared machine
PEAK = lambda size: 16e6 + 100 * size  # noqa: E731


def test_hostile_input_raises_only_engine_errors_within_time_and_memory_bounds():
    run_everything(SEEDS[0][1])  # imports and the first compilations are not the input's cost
    failures = []
    for n, (label, data) in enumerate(hostile_inputs(600, first_seed=100_000)):
        measure = n % 5 == 0
        if measure:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            run_everything(data)
        except Exception as exc:  # the point: anything else escaping is a failure, named with its input
            failures.append(f"{label}: {type(exc).__name__}: {exc}"[:300])
        elapsed = time.perf_counter() - started
        if measure:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            if peak > PEAK(len(data)):
                failures.append(f"{label}: {len(data):,} bytes took {peak / 1e6:.1f} MB")
        if elapsed > SECONDS(len(data)) * (3 if measure else 1):  # tracemalloc slows everything down
            failures.append(f"{label}: {len(data):,} bytes took {elapsed:.2f} s")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("name, make", [
    ("HL nested 10,000 deep", lambda: deep_hl_856(10_000)),
    ("60,000 HL loops in one 856 set, each misnumbered", lambda: wide_hl_856(60_000, misnumbered=True)),
])
def test_large_hostile_sets_take_memory_in_proportion_to_their_size_not_their_findings(name, make):
    data = make()
    run_everything(SEEDS[0][1])
    tracemalloc.start()
    started = time.perf_counter()
    try:
        run_everything(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    # The bytes, a copy being read, the set's segments kept for mapping: a few times the input, never its findings.
    assert peak < 16e6 + 8 * len(data), f"{name}: {len(data):,} bytes took {peak / 1e6:.1f} MB"
    assert elapsed < 30 * SECONDS(len(data)), f"{name}: {len(data):,} bytes took {elapsed:.1f} s"  # tracemalloc slows it down
