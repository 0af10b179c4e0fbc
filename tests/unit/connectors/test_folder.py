"""The folder connector: formats read back, file names, atomic publish, idempotent overwrite, errors."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import threading
from pathlib import Path

import pytest
from conftest import case
from lxml import etree

from gateway.connectors import default_registry
from gateway.connectors.folder import FolderConnector, retryable_os_error
from gateway.errors import DeliveryError
from gateway.testing.connectors import ConnectorContract, Harness, make_item


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def read_back(folder: Path, key: str) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob(f"*{key}*"))]


class TestFolderContract(ConnectorContract):
    @pytest.fixture
    def harness(self, tmp_path: Path):
        out = tmp_path / "erp" / "orders"
        (tmp_path / "a-file").write_text("not a folder")
        connector, failing = FolderConnector(out), FolderConnector(tmp_path / "a-file" / "orders")
        yield Harness(connector, lambda key: read_back(out, key), failing)
        connector.close()


# -- formats --------------------------------------------------------------------------------------


def test_json_is_the_canonical_document_on_one_line(tmp_path):
    po = case("purchase_order_two_lines_two_stores")
    path = Path(FolderConnector(tmp_path).deliver(make_item("k1", po)))
    raw = path.read_bytes()
    assert json.loads(raw.decode("utf-8")) == po
    assert raw.count(b"\n") == 1 and raw.endswith(b"}\n")


def test_json_pretty_on_request(tmp_path):
    po = case("purchase_order_two_lines_two_stores")
    path = Path(FolderConnector(tmp_path, pretty=True).deliver(make_item("k1", po)))
    raw = path.read_bytes()
    assert json.loads(raw.decode("utf-8")) == po
    assert raw.startswith(b'{\n  "') and raw.endswith(b"}\n")


def test_flush_makes_published_files_durable_and_is_idempotent(tmp_path):
    connector = FolderConnector(tmp_path / "erp")
    paths = [Path(connector.deliver(make_item(f"k{i}"))) for i in range(3)]
    assert len(connector._unsynced) == 3  # published, not yet synced
    connector.flush()
    assert connector._unsynced == [] and all(p.is_file() for p in paths)
    connector.flush()  # nothing pending: nothing to do


def test_flush_failure_is_retryable_and_keeps_what_is_pending(tmp_path):
    from gateway.errors import DeliveryError

    connector = FolderConnector(tmp_path / "erp")
    connector.deliver(make_item("k1"))
    connector.folder = tmp_path / "gone"  # the folder to sync is missing: os.open fails
    with pytest.raises(DeliveryError) as err:
        connector.flush()
    assert err.value.retryable and len(connector._unsynced) == 1


def test_json_keeps_non_ascii_text_as_utf8(tmp_path):
    path = Path(FolderConnector(tmp_path).deliver(make_item("k1")))
    assert "Müller & Söhne" in path.read_bytes().decode("utf-8")


def test_csv_has_a_row_per_line_with_the_header_repeated(tmp_path):
    po = case("purchase_order_two_lines_two_stores")
    path = Path(FolderConnector(tmp_path, format="csv").deliver(make_item("k1", po, business_key=po["po_number"])))
    assert path.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    assert len(rows) == len(po["lines"]) == 2
    for row, line in zip(rows, po["lines"], strict=True):
        assert row["po_number"] == po["po_number"]
        assert row["order_date"] == po["order_date"]
        assert row["carrier.scac"] == po["carrier"]["scac"]
        assert row["parties.0.role"] == po["parties"][0]["role"]
        assert row["lines.line_number"] == line["line_number"]
        assert row["lines.quantity.value"] == line["quantity"]["value"]
        assert row["lines.identifiers.0.value"] == line["identifiers"][0]["value"]


def test_csv_of_a_ship_notice_has_a_row_per_item_through_tare_and_cartons(tmp_path):
    asn = case("ship_notice_pallet_with_two_cartons")
    path = Path(FolderConnector(tmp_path, format="csv").deliver(make_item("k1", asn, document_type="ship_notice")))
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    assert [(r["orders.packs.sscc"], r["orders.packs.packs.sscc"], r["orders.packs.packs.items.line_number"],
             r["orders.packs.packs.items.quantity.value"]) for r in rows] == [
        ("000123456789012345", "000123456789012352", "1", "6"),
        ("000123456789012345", "000123456789012369", "1", "6"),
        ("000123456789012345", "000123456789012369", "2", "2"),
    ]
    assert {r["shipment_id"] for r in rows} == {"SH-77"}


def test_csv_of_a_ship_notice_from_the_mapping_fixture_keeps_every_item(tmp_path):
    asn = case("ship_notice_two_cartons_three_items_with_sscc")
    items = [i for o in asn["orders"] for p in o["packs"] for i in p["items"]]
    path = Path(FolderConnector(tmp_path, format="csv").deliver(make_item("k1", asn, document_type="ship_notice")))
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    assert [r["orders.packs.items.quantity.value"] for r in rows] == [i["quantity"]["value"] for i in items]


def test_csv_of_a_document_without_lines_is_one_row(tmp_path):
    ack = case("functional_ack_group_accepted")
    path = Path(FolderConnector(tmp_path, format="csv").deliver(make_item("k1", ack, document_type="functional_ack")))
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    assert len(rows) == 1
    assert rows[0]["group_control"] == "1001" and rows[0]["transactions.0.set_id"] == "850" and rows[0]["included"] == "1"


def test_csv_quotes_commas_quotes_and_line_breaks(tmp_path):
    doc = {"document_type": "purchase_order", "po_number": "P1", "lines": [{"description": 'Bolt, "M8"\nzinc'}]}
    path = Path(FolderConnector(tmp_path, format="csv").deliver(make_item("k1", doc)))
    (row,) = csv.DictReader(io.StringIO(path.read_text("utf-8"), newline=""))
    assert row["lines.description"] == 'Bolt, "M8"\nzinc'


def test_xml_root_is_the_document_type_and_lists_repeat(tmp_path):
    po = case("purchase_order_two_lines_two_stores")
    path = Path(FolderConnector(tmp_path, format="xml").deliver(make_item("k1", po)))
    assert path.suffix == ".xml"
    root = etree.fromstring(path.read_bytes())
    assert root.tag == "purchase_order"
    assert root.findtext("po_number") == po["po_number"]
    lines = root.findall("lines")
    assert [ln.findtext("line_number") for ln in lines] == [ln["line_number"] for ln in po["lines"]]
    assert [i.findtext("value") for i in lines[0].findall("identifiers")] == [i["value"] for i in po["lines"][0]["identifiers"]]
    assert root.findtext("parties/address/lines") == po["parties"][0]["address"]["lines"][0]


def test_xml_names_are_sanitised_and_bad_characters_replaced(tmp_path):
    doc = {"document_type": "purchase_order", "1st line": "a", "a:b c": "b", "xml-note": "c", "ok": "bell\x07here", "none": None,
           "flag": True, "count": 3, "matrix": [[1, 2]]}
    path = Path(FolderConnector(tmp_path, format="xml").deliver(make_item("k1", doc)))
    root = etree.fromstring(path.read_bytes())
    assert [child.tag for child in root] == ["document_type", "_1st_line", "a_b_c", "_xml-note", "ok", "flag", "count", "matrix"]
    assert root.findtext("ok") == "bell\ufffdhere"
    assert (root.findtext("flag"), root.findtext("count")) == ("true", "3")
    assert [i.text for i in root.find("matrix")] == ["1", "2"]


# -- names, idempotency, atomic publish -----------------------------------------------------------


def test_default_name_is_type_business_key_and_key(tmp_path):
    path = FolderConnector(tmp_path).deliver(make_item("route1-msg42", business_key="PO-1001"))
    assert Path(path) == tmp_path / "purchase_order-PO-1001-route1-msg42.json"


def test_unsafe_characters_in_names_are_replaced(tmp_path):
    path = Path(FolderConnector(tmp_path, name="{partner_id}_{business_key}_{key}.{ext}").deliver(
        make_item("k1", business_key="../../etc/passwd", partner_id="acme retail")))
    assert path.parent == tmp_path
    assert path.name == "acme_retail_.._.._etc_passwd_k1.json"


def test_missing_business_key_reads_none(tmp_path):
    assert Path(FolderConnector(tmp_path).deliver(make_item("k1", business_key=None))).name == "purchase_order-none-k1.json"


def test_keys_that_differ_only_in_unsafe_characters_get_different_files(tmp_path):
    connector = FolderConnector(tmp_path)
    one, two = connector.deliver(make_item("a/b", business_key="P")), connector.deliver(make_item("a:b", business_key="P"))
    assert one != two and len(files(tmp_path)) == 2
    assert connector.deliver(make_item("a/b", business_key="P")) == one  # and stays stable


def test_second_delivery_of_a_key_overwrites_the_same_file(tmp_path):
    connector = FolderConnector(tmp_path)
    first = connector.deliver(make_item("k1", {"document_type": "purchase_order", "po_number": "P1", "rev": 1}, business_key="P1"))
    second = connector.deliver(make_item("k1", {"document_type": "purchase_order", "po_number": "P1", "rev": 2}, business_key="P1"))
    assert first == second
    assert files(tmp_path) == ["purchase_order-P1-k1.json"]
    assert json.loads(Path(second).read_text("utf-8"))["rev"] == 2


def test_missing_folders_are_created(tmp_path):
    target = tmp_path / "a" / "b" / "c"
    assert Path(FolderConnector(target, fsync=False).deliver(make_item("k1"))).parent == target


def test_no_temporary_files_are_left_behind(tmp_path):
    connector = FolderConnector(tmp_path)
    for i in range(5):
        connector.deliver(make_item(f"k{i}"))
        connector.deliver(make_item(f"k{i}"))
    assert not [name for name in files(tmp_path) if name.startswith(".")]
    assert len(files(tmp_path)) == 5


def test_a_reader_watching_the_folder_never_sees_a_partial_file(tmp_path):
    big = {"document_type": "purchase_order", "po_number": "P1",
           "lines": [{"line_number": str(i), "description": "x" * 200} for i in range(3000)]}  # ~800 KB
    connector = FolderConnector(tmp_path, fsync=False)
    target = Path(connector.deliver(make_item("k1", big, business_key="P1")))
    stop, seen, broken = threading.Event(), [], []

    def watch():
        while not stop.is_set():
            try:
                text = target.read_text("utf-8")
            except FileNotFoundError:
                continue
            try:
                seen.append(len(json.loads(text)["lines"]))
            except ValueError:
                broken.append(len(text))

    reader = threading.Thread(target=watch)
    reader.start()
    try:
        for _ in range(30):
            connector.deliver(make_item("k1", big, business_key="P1"))
    finally:
        stop.set()
        reader.join()
    assert seen and not broken
    assert not [n for n in files(tmp_path) if n.startswith(".")]


def test_a_failed_publish_removes_its_temporary_file(tmp_path):
    connector = FolderConnector(tmp_path)
    (tmp_path / "purchase_order-P1-k1.json").mkdir()  # the file name is taken by a folder
    with pytest.raises(DeliveryError) as caught:
        connector.deliver(make_item("k1", business_key="P1"))
    assert caught.value.retryable is False
    assert caught.value.target == str(tmp_path / "purchase_order-P1-k1.json")
    assert files(tmp_path) == ["purchase_order-P1-k1.json"]


# -- errors ----------------------------------------------------------------------------------------


def test_a_folder_under_a_file_is_a_terminal_error(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(DeliveryError) as caught:
        FolderConnector(tmp_path / "a-file" / "erp").deliver(make_item("k1"))
    assert caught.value.retryable is False and caught.value.code == "delivery.failed"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that file permissions apply to")
def test_permission_denied_is_terminal(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(DeliveryError) as caught:
            FolderConnector(locked).deliver(make_item("k1"))
        assert caught.value.retryable is False
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(("code", "retryable"), [
    (errno.ENOSPC, True), (errno.EDQUOT, True), (errno.EIO, True), (errno.ESTALE, True), (errno.EMFILE, True),
    (errno.EACCES, False), (errno.EPERM, False), (errno.EROFS, False), (errno.ENOTDIR, False), (errno.EISDIR, False),
    (errno.ENAMETOOLONG, False),
])
def test_os_errors_are_classified(code, retryable):
    assert retryable_os_error(OSError(code, os.strerror(code))) is retryable


def test_options_through_the_registry(context, home):
    connector = default_registry(plugins=False).create("folder", {"path": "erp/out", "format": "xml", "name": "{key}.{ext}", "fsync": False},
                                                       context)
    assert connector.deliver(make_item("k1")) == str(home.root / "erp" / "out" / "k1.xml")


@pytest.mark.parametrize(("template", "problem"), [
    ("{business_key}.{ext}", "must contain {key}"),
    (".{key}.json", "must not start with '.'"),
    ("out/{key}.json", "a file name, not a path"),
    ("{key!r}.json", "no conversion or format spec"),
    ("{key.__class__}.json", "unknown field(s) {key.__class__}"),
    ("{key", "expected '}'"),
])
def test_bad_name_templates(template, problem, context):
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        default_registry(plugins=False).create("folder", {"path": "erp", "name": template}, context)
    assert problem in "\n".join(caught.value.problems)
