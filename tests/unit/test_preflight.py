"""Pre-flight: what ``gateway serve`` and ``partner check`` refuse before any file arrives, and the lint of mapping specs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import ROOT

from gateway.config.partner import Partners
from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.home import Home
from gateway.mapping.spec import SpecLibrary as Mappings
from gateway.onboarding import check_partner
from gateway.preflight import MappingLint, home_not_served, not_served
from gateway.workdir import demo_home

ACME = "acme-retail"
ACME_SPEC = ROOT / "mappings" / ACME / "850-004010-in.yaml"
BROKEN_PATH = "REF[REF01=19]/REF92"  # REF has 4 elements in 004010: this path would read nothing, for every order


@pytest.fixture
def home(tmp_path) -> Home:
    return demo_home(tmp_path / "home", ROOT)


def edit_profile(home: Home, partner: str, edit) -> Path:
    path = home.partners_dir / f"{partner}.yaml"
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name).data
    edit(data)
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def acme_spec_in_home(home: Home, department_path: str) -> Path:
    """Acme's 850 spec copied into the home (shadowing the shipped one) with the department read from ``department_path``."""
    path = home.mappings_dir / ACME / "850-004010-in.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ACME_SPEC.read_text(encoding="utf-8")
    assert '"REF[REF01=19]/REF02"' in text
    path.write_text(text.replace('"REF[REF01=19]/REF02"', f'"{department_path}"'), encoding="utf-8")
    return path


def lint_problems(home: Home, lint: MappingLint | None = None) -> dict[str, list[str]]:
    return not_served(Partners(home), lint=lint or MappingLint(home), mappings=Mappings(home.mapping_roots()))


# -- stable_seconds ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["renamed", "marker"])
def test_stable_seconds_outside_complete_when_stable_is_refused_by_serve_and_partner_check(home, mode):
    path = edit_profile(home, ACME, lambda d: d["channels"]["drop_folder"].update(complete_when=mode, stable_seconds=30))
    [problem] = not_served(Partners(home))[ACME]
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "stable_seconds" in text)
    assert problem.startswith(f"{path}:{line}: channels.drop_folder.stable_seconds: not supported by this version")
    assert f"complete_when is {mode}" in problem
    assert problem in check_partner(home, ACME).problems


def test_stable_seconds_with_complete_when_stable_is_served(home):
    edit_profile(home, ACME, lambda d: d["channels"]["drop_folder"].update(complete_when="stable", stable_seconds=30))
    assert not_served(Partners(home)) == {}


# -- mapping specs -------------------------------------------------------------------------------------------------


def test_the_sample_partners_specs_pass_the_lint(home):
    assert lint_problems(home) == {}


def test_a_spec_naming_an_element_the_x12_spec_lacks_keeps_its_partner_from_being_served(home):
    spec = acme_spec_in_home(home, BROKEN_PATH)
    line = next(i for i, text in enumerate(spec.read_text().splitlines(), 1) if "REF92" in text)
    found = lint_problems(home)
    assert list(found) == [ACME]
    assert found[ACME] == [f"{spec}:{line}: path '{BROKEN_PATH}': REF has no element 92 in the X12 850 004010 spec (it has 4)"]
    assert set(found[ACME]) <= set(check_partner(home, ACME).problems)  # the same words as gateway partner check
    assert home_not_served(home) == found  # gateway status sees it too


def test_a_spec_the_profile_names_that_does_not_exist_keeps_its_partner_from_being_served(home):
    edit_profile(home, ACME, lambda d: d["documents"]["receives"][0].update(spec="acme-retail/850-004010-in-v2"))
    [problem] = lint_problems(home)[ACME]
    assert "mapping spec 'acme-retail/850-004010-in-v2' not found" in problem and problem.startswith(f"{home.partners_dir / ACME}.yaml:")


def test_a_fixed_spec_is_linted_again_on_reload_and_on_restart(home):
    spec = acme_spec_in_home(home, BROKEN_PATH)
    lint = MappingLint(home)
    assert ACME in lint_problems(home, lint)
    acme_spec_in_home(home, "REF[REF01=19]/REF02")
    os.utime(spec, ns=(spec.stat().st_atime_ns, spec.stat().st_mtime_ns + 1_000_000))  # a later mtime, whatever the clock's grain
    assert lint_problems(home, lint) == {}  # the running serve, reloading
    assert lint_problems(home) == {}  # the next start, reading the kept results


def test_a_new_spec_shadowing_a_default_one_is_linted(home):
    lint = MappingLint(home)
    assert lint_problems(home, lint) == {}
    default = home.mappings_dir / "default" / "850-004010-in.yaml"  # Acme's spec extends default/850-004010-in
    default.parent.mkdir(parents=True)
    text = (ROOT / "mappings" / "default" / "850-004010-in.yaml").read_text(encoding="utf-8")
    default.write_text(text.replace("BEG03", "BEG93", 1), encoding="utf-8")
    found = lint_problems(home, lint)
    assert "BEG has no element 93" in "\n".join(found[ACME])


def test_lint_results_are_kept_in_the_store_folder_and_reused_by_the_next_start(home):
    """Proof that the kept results are used: a change that keeps the spec's size and mtime goes unseen,
    while a real edit (another mtime) is seen."""
    spec = acme_spec_in_home(home, "REF[REF01=19]/REF02")
    assert lint_problems(home) == {}
    assert (home.root / "store" / MappingLint.CACHE).is_file()
    st = spec.stat()
    acme_spec_in_home(home, "REF[REF01=19]/REF92")  # same size
    os.utime(spec, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert lint_problems(home) == {}  # read from store/mapping-lint.json, not linted again
    os.utime(spec, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert ACME in lint_problems(home)


def test_kept_lint_results_of_other_gateway_code_or_specs_are_not_used(home):
    acme_spec_in_home(home, "REF[REF01=19]/REF02")
    lint_problems(home)
    kept = home.root / "store" / MappingLint.CACHE
    kept.write_text(kept.read_text().replace('"fingerprint": "', '"fingerprint": "other-'), encoding="utf-8")
    spec = home.mappings_dir / ACME / "850-004010-in.yaml"
    st = spec.stat()
    acme_spec_in_home(home, "REF[REF01=19]/REF92")
    os.utime(spec, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert ACME in lint_problems(home)


def test_many_partners_sharing_the_default_specs_lint_each_spec_once(tmp_path):
    root = tmp_path / "home"
    demo_home(root, ROOT)
    for n in range(30):
        profile = {"id": f"p{n}", "identity": {"name": f"P{n}", "isa_qualifier": "ZZ", "isa_id": f"P{n:06d}"},
                   "documents": {"receives": [{"set": "850", "version": "004010"}, {"set": "810", "version": "004010"}]}}
        (root / "partners" / f"p{n}.yaml").write_text(dump_yaml(profile), encoding="utf-8")
    home = Home(root, True, ROOT)
    lint = MappingLint(home)
    assert lint_problems(home, lint) == {}
    kept = {spec for spec, _tables in lint._found}
    assert {"default/850-004010-in", "default/810-004010-in"} <= kept and len(lint._found) == len(kept) == 7
