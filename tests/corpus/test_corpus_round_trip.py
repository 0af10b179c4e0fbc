"""Every interchange of ../shared/corpus that parses serialises back to its bytes, byte for byte.

Reads the corpus in place (skipped when absent). Files that are not X12 (JSON, licences, EBCDIC) or whose
only ISA cannot be read give no interchange and are not counted.
"""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.formats.x12 import parse, serialize

pytestmark = pytest.mark.corpus


def test_every_corpus_interchange_that_parses_serialises_byte_for_byte(corpus_dir):
    files = interchanges = 0
    differ: list[str] = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.name != "README.md"):
        data = path.read_bytes()
        try:
            parsed = parse(data)
        except GatewayError:
            continue
        if not parsed:
            continue
        files += 1
        if serialize(parsed) != data:
            differ.append(f"{path.relative_to(corpus_dir)}: file")
        # Each interchange alone: from its ISA (the first from the start of the file) to the next ISA.
        starts = [0] + [ix.header.offset for ix in parsed[1:]] + [len(data)]
        for n, ix in enumerate(parsed):
            interchanges += 1
            if serialize([ix]) != data[starts[n] : starts[n + 1]]:
                differ.append(f"{path.relative_to(corpus_dir)}: interchange {n + 1}")
    print(f"round trip: {files - len([d for d in differ if d.endswith(': file')])} of {files} files, "
          f"{interchanges - len([d for d in differ if not d.endswith(': file')])} of {interchanges} interchanges")
    assert files > 300 and interchanges > files
    assert not differ, f"{len(differ)} do not round-trip:\n" + "\n".join(differ)
