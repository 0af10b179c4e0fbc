"""The published JSON Schemas of the canonical documents, and validation against them.

``canonical/<document_type>.schema.json`` (at the repository root) is what ERP
teams consume; it is generated from ``models.py``:

    python -m gateway.canonical.schemas --write     # regenerate after changing a model

``tests/unit/canonical/test_schemas.py`` fails when a published file and its
model disagree. Validators are compiled once per document type.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from ..data import DATA_ROOT
from .fastcheck import Unsupported, compile_schema
from .models import DOCUMENTS

PUBLISHED = DATA_ROOT / "canonical"
BASE_ID = "https://schemas.edi-gateway.dev/canonical/"


def schema_for(document_type: str) -> dict:
    model = DOCUMENTS[document_type]
    schema = model.json_schema()
    schema["$id"] = f"{BASE_ID}{document_type}.schema.json"
    return schema


@cache
def _validator(document_type: str) -> Draft202012Validator:
    return Draft202012Validator(schema_for(document_type), format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _fast(document_type: str):
    try:
        return compile_schema(schema_for(document_type))
    except Unsupported:
        return None


@dataclass(slots=True)
class SchemaIssue:
    path: str  # JSON pointer into the document
    message: str


def validate_document(document: dict) -> list[SchemaIssue]:
    """Problems of a canonical document against its schema (chosen by ``document_type``)."""
    kind = document.get("document_type") if isinstance(document, dict) else None
    if kind not in DOCUMENTS:
        return [SchemaIssue("/document_type", f"unknown document_type {kind!r} (expected one of {', '.join(DOCUMENTS)})")]
    fast = _fast(kind)
    if fast is not None and fast(document):
        return []  # the common case, without jsonschema's cost; its verdict is the same (tested)
    out = []
    for top in _validator(kind).iter_errors(document):
        for err in _pinpointed(top):
            pointer = "/" + "/".join(str(p) for p in err.absolute_path)
            out.append(SchemaIssue(pointer, err.message))
    return sorted(out, key=lambda i: i.path)


def _pinpointed(err):
    """An optional part (``anyOf: [part, null]``) that is there but wrong: the part's own errors
    (``/lines/0/quantity/value``: a required property), not "not valid under any of the given schemas"."""
    if err.validator == "anyOf" and err.context and err.instance is not None:
        branches: dict = {}
        for sub in err.context:
            branches.setdefault(sub.schema_path[0], []).append(sub)
        real = [subs for subs in branches.values() if not any(s.validator == "type" and s.validator_value == "null" for s in subs)]
        if len(real) == 1:
            for sub in real[0]:
                yield from _pinpointed(sub)
            return
    yield err


def render(document_type: str) -> str:
    return json.dumps(schema_for(document_type), indent=2, sort_keys=False) + "\n"


def write(directory: Path = PUBLISHED) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in DOCUMENTS:
        path = directory / f"{kind}.schema.json"
        path.write_text(render(kind), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        for p in write():
            print(p)
    else:
        print("usage: python -m gateway.canonical.schemas --write", file=sys.stderr)
        sys.exit(2)
