"""The one YAML entry point: hostile documents are refused at their line, before anything large is built."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from gateway.config.partner import load_xref_file, read_profile
from gateway.config.settings import load_settings
from gateway.config.yamlio import MAX_ALIASES, MAX_DEPTH, MAX_NODES, MAX_YAML_BYTES, load_yaml, parse_yaml
from gateway.errors import ConfigError
from gateway.home import Home
from gateway.mapping.spec import SpecLibrary

CASES = Path(__file__).parent / "cases"
BILLION_LAUGHS = CASES / "billion-laughs.yaml"


def refused(text: str, name: str = "doc.yaml") -> str:
    with pytest.raises(ConfigError) as err:
        parse_yaml(text, name)
    [problem] = err.value.problems
    return problem


def bounded(call) -> tuple[float, int]:
    """Seconds and peak bytes allocated while ``call()`` runs."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        call()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, peak


# -- aliases, depth, tags ---------------------------------------------------------------------------


def test_billion_laughs_is_refused_at_the_alias_that_passes_the_limit_without_expanding_it(tmp_path):
    def load():
        with pytest.raises(ConfigError) as err:
            read_profile(BILLION_LAUGHS, name="partners/laughs.yaml")
        [problem] = err.value.problems
        assert problem.startswith("partners/laughs.yaml:8: with its aliases (*name) expanded, the document holds more than 100,000 values")

    seconds, peak = bounded(load)
    assert seconds < 2 and peak < 20_000_000  # it was 9.7 GB


@pytest.mark.parametrize("kind", ["profile", "spec", "settings"])
def test_billion_laughs_is_refused_in_every_kind_of_document(tmp_path, kind):
    bomb = BILLION_LAUGHS.read_text(encoding="utf-8")
    if kind == "profile":
        (tmp_path / "partners").mkdir()
        (tmp_path / "partners" / "laughs.yaml").write_text(bomb)
        load = lambda: read_profile(tmp_path / "partners" / "laughs.yaml")  # noqa: E731
    elif kind == "spec":
        (tmp_path / "mappings" / "laughs").mkdir(parents=True)
        (tmp_path / "mappings" / "laughs" / "850-004010-in.yaml").write_text(bomb)
        load = lambda: SpecLibrary([tmp_path / "mappings"]).get("laughs/850-004010-in")  # noqa: E731
    else:
        (tmp_path / "gateway.yaml").write_text(bomb)
        load = lambda: load_settings(Home(tmp_path, True, None))  # noqa: E731
    with pytest.raises(ConfigError) as err:
        load()
    assert "more than 100,000 values" in err.value.problems[0] and ":8:" in err.value.problems[0]


def test_aliases_within_the_limits_still_work_as_yaml_says():
    source = parse_yaml("base: &base {path: erp, format: csv}\nroute: {<<: *base, format: json}\nagain: *base\n", "doc.yaml")
    assert source.data == {"base": {"path": "erp", "format": "csv"}, "route": {"path": "erp", "format": "json"},
                           "again": {"path": "erp", "format": "csv"}}


def test_more_aliases_than_the_limit_are_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert refused(text) == f"doc.yaml:2: more than {MAX_ALIASES:,} aliases (*name)"


def test_a_document_of_more_values_than_the_limit_is_refused_even_without_aliases():
    text = "a: [" + ",".join(["1"] * MAX_NODES) + "]\n"
    assert len(text) < MAX_YAML_BYTES
    assert "doc.yaml:1: the document holds more than 100,000 values" in refused(text)


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "x: &a 1\na: &a [1, *a]\n"], ids=["list", "mapping", "redefined-anchor"])
def test_an_alias_inside_the_node_it_names_is_refused(text):
    assert "alias *a is inside the node it names" in refused(text)


def test_nesting_deeper_than_the_limit_is_refused_before_the_composer_recurses():
    deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"  # RecursionError in ruamel's composer, unguarded
    assert refused(deep) == f"doc.yaml:1: nested more than {MAX_DEPTH} levels deep"
    assert parse_yaml("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), "ok.yaml").data


def test_nesting_made_deep_by_aliases_is_refused():
    half = MAX_DEPTH // 2 + 2
    text = f"a: &a {'[' * half}{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    assert refused(text) == f"doc.yaml:2: alias *a nests the document more than {MAX_DEPTH} levels deep"


@pytest.mark.parametrize("value", ["!!python/object/apply:os.system [ls]", "!!binary aGVsbG8=", "!!set {x, y}", "!custom 1",
                                   "!!omap [x: 1]", "!!timestamp 2024-01-01"])
def test_tags_other_than_yamls_plain_types_are_refused(value):
    problem = refused(f"ok: 1\nvalue: {value}\n")
    assert problem.startswith("doc.yaml:2: tag ") and "is not read here" in problem


def test_yamls_plain_tags_are_read():
    assert parse_yaml("set: !!str 850\nn: !!int '5'\n", "doc.yaml").data == {"set": "850", "n": 5}


@pytest.mark.parametrize("value, why", [("!!int five", "invalid literal for int()"), ("2024-13-45", "month must be in 1..12"),
                                        ("9" * 5000, "Exceeds the limit (4300 digits)")])
def test_a_value_python_cannot_build_is_an_error_at_its_line(value, why):
    problem = refused(f"ok: 1\nvalue: {value}\n")
    assert problem.startswith("doc.yaml:2: not valid YAML: cannot read this value: ") and why in problem


def test_a_control_character_is_an_error_at_its_line():
    assert refused("a: 1\nb: x\x00y\n").startswith("doc.yaml:2: not valid YAML: control character U+0000 is not allowed")


def test_the_yaml_readers_own_failure_on_an_odd_layout_is_an_error_not_a_not_implemented_error():
    odd = "identity:   # a comment\n     >       # a folded scalar's indicator between two comments\n  isa_id: X\n\n# more\nstore: {}\n"
    assert refused(odd).startswith("doc.yaml:1: not valid YAML: the YAML reader cannot read the document here (NotImplementedError)")


def test_keys_that_are_lists_or_collide_once_read_as_text_are_refused():
    assert refused("a: 1\n? [x, y]\n: 2\n") == "doc.yaml:2: a key that is a list or a mapping is not read here"
    assert refused("1: a\n'1': b\n") == "doc.yaml:2: key '1' is given twice"


def test_the_shipped_profiles_and_specs_are_well_inside_the_limits():
    root = Path(__file__).resolve().parents[3]
    files = sorted((root / "partners").glob("*.yaml")) + sorted((root / "mappings").rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        load_yaml(path)


# -- file size and encoding --------------------------------------------------------------------------


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (and would take ``size`` bytes of memory to read)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


@pytest.mark.parametrize("kind", ["profile", "spec", "settings"])
def test_a_50_mb_config_file_is_refused_by_its_size_without_being_read(tmp_path, kind):
    path = {"profile": tmp_path / "partners" / "big.yaml", "spec": tmp_path / "mappings" / "big" / "850-004010-in.yaml",
            "settings": tmp_path / "gateway.yaml"}[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    sparse(path, 50 * 1024 * 1024)
    load = {"profile": lambda: read_profile(path, name="partners/big.yaml"),
            "spec": lambda: SpecLibrary([tmp_path / "mappings"]).get("big/850-004010-in"),
            "settings": lambda: load_settings(Home(tmp_path, True, None))}[kind]

    def check():
        with pytest.raises(ConfigError) as err:
            load()
        [problem] = err.value.problems
        assert problem.endswith(":1: 52,428,800 bytes: a YAML configuration file may hold at most 1 MiB"), problem

    seconds, peak = bounded(check)
    assert seconds < 1 and peak < 5_000_000  # it took 103 s and 1.6 GB


def test_a_config_file_just_under_the_cap_is_read(tmp_path):
    path = tmp_path / "doc.yaml"
    path.write_text("a: 1\n" + "#" * (MAX_YAML_BYTES - 10) + "\n")
    assert os.path.getsize(path) <= MAX_YAML_BYTES
    assert load_yaml(path).data == {"a": 1}


def test_a_cross_reference_file_over_its_cap_is_refused_by_its_size(tmp_path):
    path = sparse(tmp_path / "items.csv", 100 * 1024 * 1024)
    with pytest.raises(ConfigError) as err:
        load_xref_file(path, "items.csv")
    assert err.value.problems == ["items.csv:1: 104,857,600 bytes: a cross-reference file may hold at most 32 MiB"]


def test_a_cross_reference_file_that_csv_cannot_read_is_an_error_at_its_line(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(b"theirs,ours\nA,1\nB," + b"2" * 200_000 + b"\n")  # a field over the csv module's limit
    with pytest.raises(ConfigError) as err:
        load_xref_file(path, "items.csv")
    assert err.value.problems[0].startswith("items.csv:3: not valid CSV")


def test_a_config_file_that_is_not_utf8_is_an_error_at_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"a: 1\nname: Caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path, "doc.yaml")
    assert err.value.problems == ["doc.yaml:2: not UTF-8 text (byte 0xe9 at column 10); save the file as UTF-8"]


def test_a_config_file_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "doc.yaml"
    os.mkfifo(path)
    with pytest.raises(ConfigError) as err:
        load_yaml(path, "doc.yaml")
    assert err.value.problems == ["doc.yaml: not a regular file"]


def test_a_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml(path).data == {"a": 1}
