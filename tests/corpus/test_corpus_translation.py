"""Real partners' documents translate with the default specs: every 850/855/856/810 set of the shared
corpus that the validator accepts maps to a canonical document with no mapping or schema error.

The translator is the one ``gateway translate`` uses for a sender that is no known partner (default
specs, no overlay). What the X12 standard leaves optional (PO101, IT101, an ACK loop, BAK09, the form
of an SSCC) may give warnings, never an error. Sets the validator rejects are not this test's business
(tests/corpus/test_shared_corpus.py answers them). Reads the corpus in place; skipped when absent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import ROOT

from gateway.errors import GatewayError
from gateway.translate import Translated, Translator

pytestmark = pytest.mark.corpus

SETS = ("850", "855", "856", "810")
SPECS = {f"default/{s}-{v}-in" for s in SETS for v in ("004010", "005010")}


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md")


def accepted_by_validator(doc: Translated) -> bool:
    return not any(i.code.startswith("x12.") for i in doc.issues)


def test_every_accepted_supply_chain_set_translates_with_the_default_specs(corpus_dir):
    translator = Translator([ROOT / "mappings"])
    translated: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    problems: list[str] = []
    for path in corpus_files(corpus_dir):
        try:
            result = translator.translate(path)
        except GatewayError:
            continue  # not an interchange at all: nothing here to translate
        for doc in result.documents:
            if doc.set_id not in SETS or not accepted_by_validator(doc) or doc.spec not in SPECS:
                continue
            key = doc.spec.removeprefix("default/").removesuffix("-in")
            translated[key] += 1
            errors = [i for i in doc.issues if i.severity == "error"]
            if errors:
                failed[key] += 1
                first = errors[0]
                problems.append(f"{path.relative_to(corpus_dir)} {doc.set_id} {doc.control_number}: "
                                f"{first.code} {first.field} at {first.source}: {first.message} (+{len(errors) - 1} more)")
    summary = ", ".join(f"{k}: {failed[k]} of {translated[k]} failed" for k in sorted(translated))
    # the corpus holds dozens of accepted sets of each common kind (78 850s and 24 810s with the standard code
    # lists checked): an empty or nearly empty walk is a broken test
    assert translated["850-004010"] > 60 and translated["810-004010"] > 20, summary
    assert all(translated[f"{s}-004010"] for s in SETS), summary
    assert not problems, summary + "\n" + "\n".join(problems)
