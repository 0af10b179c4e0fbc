"""``gateway translate`` as users run it: the installed command in a subprocess, on the sample partners' files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from helpers import ROOT, make_home

SAMPLES = ROOT / "samples"


def translate(exe: str, *args: str, home: Path | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GATEWAY_HOME"}
    if home is not None:
        env["GATEWAY_HOME"] = str(home)
    p = subprocess.run([exe, "translate", *args], capture_output=True, text=True, check=False, cwd=cwd, env=env, timeout=120)
    assert "Traceback" not in p.stderr + p.stdout
    return p


def test_retailer_orders_translate_with_the_partner_found_by_its_isa_id(gateway_exe):
    p = translate(gateway_exe, "samples/partners/acme-retail/850-store-replenishment.x12")
    assert p.returncode == 0, p.stderr
    docs = json.loads(p.stdout)
    assert [d["po_number"] for d in docs] == ["4500020001", "4500020002"]
    assert {d["correlation"]["partner"] for d in docs} == {"acme-retail"}
    assert {d["schema_version"] for d in docs} == {"1.0"}
    # the partner's spec: department from REF*19 or REF*DP, our SKU from Acme's item cross-reference
    assert [d["department"] for d in docs] == ["0042", "0077"]
    assert docs[0]["lines"][0]["identifiers"][-1] == {"type": "sku", "value": "WID-100-12OZ"}
    assert p.stderr.strip().endswith("2 documents, 0 failed, partner acme-retail")


def test_an_unknown_sender_is_translated_with_the_default_specs_and_a_note(gateway_exe, tmp_path):
    p = translate(gateway_exe, str(SAMPLES / "x12" / "850-004010-retail-replenishment-order.x12"), home=make_home(tmp_path / "empty-home"))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)[0]["po_number"] == "4500012345"
    assert "note: sender ZZ:ACMERETAIL is not a known partner: translated with the default specs" in p.stderr
    assert "partner" not in json.loads(p.stdout)[0]["correlation"]


def test_jsonl_prints_one_document_per_line(gateway_exe):
    p = translate(gateway_exe, "samples/x12/mixed-004010-two-functional-groups-orders-and-invoice.x12", "--format", "jsonl")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert [json.loads(line)["document_type"] for line in lines] == ["purchase_order", "purchase_order", "invoice"]


def test_a_rejected_set_exits_1_naming_segment_and_reason_and_the_good_set_is_still_printed(gateway_exe, tmp_path):
    good = (SAMPLES / "partners" / "acme-retail" / "850-store-replenishment.x12").read_text()
    bad = good.replace("BEG*00*NE*4500020002", "BEG*00*XX*4500020002")
    (tmp_path / "orders.x12").write_text(bad)
    p = translate(gateway_exe, str(tmp_path / "orders.x12"))
    assert p.returncode == 1
    assert [d["po_number"] for d in json.loads(p.stdout)] == ["4500020001"]
    assert f"{tmp_path / 'orders.x12'}: 850 0002: error: x12.element.invalid_code at BEG02 segment 22: BEG02 code 'XX' is not valid" in p.stderr
    assert "2 documents, 1 failed, partner acme-retail" in p.stderr


def test_a_mapping_error_exits_1_and_keeps_the_failed_document_off_stdout(gateway_exe):
    case = ROOT / "mappings" / "corner-hardware" / "orders-csv-in.fixtures" / "bad-date-and-unknown-unit-are-reported.csv"
    p = translate(gateway_exe, str(case), "--partner", "corner-hardware")
    assert p.returncode == 1
    assert json.loads(p.stdout) == []
    label = f"{case}: document (po_number CH-10460)"
    assert f"{label}: error: mapping.bad_value /order_date at {case} line 2: '11/31/2024' is not a date in format MM/DD/CCYY" in p.stderr
    assert f"{label}: error: mapping.unknown_code /lines/1/quantity/unit at {case} line 3: code 'gallon' is not in table 'unit'" in p.stderr
    assert p.stderr.strip().endswith("1 document, 1 failed, partner corner-hardware")


def test_csv_orders_translate_with_the_partner_flag(gateway_exe):
    p = translate(gateway_exe, "samples/partners/corner-hardware/orders-2024-11-12.csv", "--partner", "corner-hardware")
    assert p.returncode == 0, p.stderr
    docs = json.loads(p.stdout)
    assert [(d["po_number"], len(d["lines"])) for d in docs] == [("CH-10452", 2), ("CH-10453", 1)]
    assert docs[0]["lines"][1]["quantity"] == {"value": "2", "unit": "CA"}


def test_a_flat_file_without_partner_and_a_missing_file_exit_2_with_one_line(gateway_exe):
    p = translate(gateway_exe, "samples/partners/corner-hardware/orders-2024-11-12.csv")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == ("gateway: samples/partners/corner-hardware/orders-2024-11-12.csv: not an X12 interchange; "
                        "a flat file needs --partner (its profile names the file layout)\n")
    p = translate(gateway_exe, "no/such/file.x12")
    assert (p.returncode, p.stderr) == (2, "gateway: no/such/file.x12: no such file\n")


def test_a_csv_that_does_not_fit_the_layout_names_file_and_line(gateway_exe, tmp_path):
    (tmp_path / "orders.csv").write_text('PO Number,Order Date\nCH-1,11/12/2024\n')
    p = translate(gateway_exe, str(tmp_path / "orders.csv"), "--partner", "corner-hardware")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith(f"gateway: {tmp_path / 'orders.csv'} line 1: the header row has no column 'Store'")


def test_an_unknown_partner_is_a_one_line_error(gateway_exe):
    p = translate(gateway_exe, "samples/x12/850-004010-retail-replenishment-order.x12", "--partner", "nobody")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("gateway: no partner 'nobody'")


def test_a_partner_overlay_that_does_not_compile_stops_with_one_line_and_valid_json(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    (home / "partners").mkdir(parents=True)
    (home / "partners" / "acme.yaml").write_text(
        "identity: {isa_qualifier: ZZ, isa_id: ACMERETAIL}\n"
        "documents: {receives: [{set: '850'}]}\n"
        "validation: {'850': {require: [N1_LOOP]}}\n")
    p = translate(gateway_exe, str(SAMPLES / "x12" / "850-004010-retail-replenishment-order.x12"), home=home)
    assert p.returncode == 1
    assert json.loads(p.stdout) == []
    assert "gateway: partner acme, validation 850: require N1_LOOP fits 4 places in the 850 spec" in p.stderr


def test_a_sender_whose_profile_does_not_load_exits_1_naming_the_problem_not_the_default_specs(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    (home / "partners").mkdir(parents=True)
    (home / "partners" / "acme.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: ACMERETAIL}\nacks: {send: 998}\n")
    sample = str(SAMPLES / "x12" / "850-004010-retail-replenishment-order.x12")
    p = translate(gateway_exe, sample, home=home, cwd=tmp_path)
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr.splitlines() == [
        "gateway: ISA ZZ/ACMERETAIL GS ACMERETAIL is partner acme's, whose profile does not load: "
        "home/partners/acme.yaml:2: acks/send: 998 is not one of ['auto', '997', '999', 'none']"]
    p = translate(gateway_exe, sample, "--partner", "acme", home=home, cwd=tmp_path)
    assert p.returncode == 1 and p.stderr == "gateway: home/partners/acme.yaml:2: acks/send: 998 is not one of ['auto', '997', '999', 'none']\n"
    (home / "partners" / "acme.yaml").write_text("identity: {isa_qualifier: ZZ\n")  # not even YAML: it may be anyone's
    p = translate(gateway_exe, sample, home=home, cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.startswith(
        "gateway: ISA ZZ/ACMERETAIL GS ACMERETAIL is not a known partner, and partner acme's profile does not load, so it may be theirs: "
        "home/partners/acme.yaml:")


def test_a_test_interchange_says_so_in_the_correlation_of_each_document(gateway_exe, tmp_path):
    text = (SAMPLES / "partners" / "acme-retail" / "850-store-replenishment.x12").read_text(encoding="latin-1")
    assert text[102] == "P"
    test_file = tmp_path / "test-order.x12"
    test_file.write_text(text[:102] + "T" + text[103:], encoding="latin-1")
    p = translate(gateway_exe, str(test_file))
    assert p.returncode == 0, p.stderr
    assert [d["correlation"]["usage"] for d in json.loads(p.stdout)] == ["test", "test"]


def test_a_piece_of_x12_without_its_isa_from_an_x12_partner_says_it_is_not_x12(gateway_exe, tmp_path):
    piece = tmp_path / "piece.x12"
    piece.write_bytes((SAMPLES / "partners" / "acme-retail" / "850-store-replenishment.x12").read_bytes()[150:400])
    p = translate(gateway_exe, str(piece), "--partner", "acme-retail")
    assert p.returncode == 1 and p.stdout == ""
    assert "not an X12 interchange (no ISA at byte 0), and partner 'acme-retail' sends no flat files" in p.stderr
    assert "documents.receives" in p.stderr and "documents.inbound" not in p.stderr
