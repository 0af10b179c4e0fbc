"""The bundled specs: valid pyx12 map files, complete dictionaries, every map compiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from gateway.formats.x12 import SpecLibrary, bundled_dirs
from gateway.formats.x12.maps import MapEntry
from gateway.formats.x12.model import SegmentDef
from gateway.formats.x12.structure import Machine

SETS = {"004010": {"850", "855", "856", "810", "997"}, "005010": {"850", "855", "856", "810", "997", "999"}}


def entries() -> list[MapEntry]:
    lib = SpecLibrary()
    return sorted({(e.directory, e.file): e for e in lib.entries}.values(), key=lambda e: (str(e.directory), e.file))


def test_bundled_versions_and_sets():
    lib = SpecLibrary()
    found = {}
    for e in lib.entries:
        found.setdefault(e.directory.name, set()).add(e.set_id)
    assert found == SETS
    for version in ("004010", "004010VICS", "004010UCS"):
        assert lib.find("00401", version, "PO", "850").set_id == "850"
    assert lib.find("00501", "005010VICS", "SH", "856").set_id == "856"


@pytest.mark.parametrize("entry", entries(), ids=lambda e: f"{e.directory.name}/{e.file}")
def test_every_map_loads_and_compiles(entry):
    spec = SpecLibrary([entry.directory]).load(entry)
    machine = Machine(spec)
    assert machine.nodes[machine.start].id == "ST" and machine.nodes[machine.se].id == "SE"
    segments = [n for n in spec.st_loop.walk() if isinstance(n, SegmentDef)]
    assert len(segments) >= 8
    # Every segment can be reached from the ST.
    reachable, todo = {machine.start}, [machine.start]
    while todo:
        for t in machine.tables[todo.pop()].values():
            for tr in (t if isinstance(t, list) else [t]):
                if tr.target not in reachable:
                    reachable.add(tr.target)
                    todo.append(tr.target)
    assert len(reachable) == len(machine.nodes)


@pytest.mark.parametrize("directory", bundled_dirs(), ids=lambda p: p.name)
def test_spec_files_validate_against_the_pyx12_schemas(directory: Path, oracle_maps: Path):
    schema = {name: etree.XMLSchema(etree.parse(str(oracle_maps / name))) for name in ("map.v2.xsd", "dataele.xsd", "codes.xsd", "maps.xsd")}
    for path in sorted(directory.glob("*.xml")):
        doc = etree.parse(str(path))
        kind = {"data_elements": "dataele.xsd", "codesets": "codes.xsd", "maps": "maps.xsd"}.get(doc.getroot().tag, "map.v2.xsd")
        assert schema[kind].validate(doc), f"{path.name}: {schema[kind].error_log}"


def test_pyx12_own_maps_load_in_our_engine():
    pyx12 = pytest.importorskip("pyx12")
    directory = Path(pyx12.__file__).parent / "map"
    lib = SpecLibrary([directory])
    names = sorted({e.file for e in lib.entries if not e.file.startswith("x12.control")})
    assert len(names) > 20
    for name in names:
        machine = Machine(lib.load_file(directory / name))
        assert all(machine.tables[i] is not None for i in range(len(machine.nodes)))  # tables are made on first use
