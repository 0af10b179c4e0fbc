"""Folders and files named by profiles and routes stay inside the home unless gateway.yaml allows a root."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from gateway.config.confine import Confinement, home_confinement
from gateway.config.partner import Partners
from gateway.config.settings import load_settings
from gateway.connectors import ConnectorContext, default_registry
from gateway.errors import ConfigError
from gateway.home import Home
from gateway.preflight import not_served


@pytest.fixture
def home(tmp_path) -> Home:
    root = tmp_path / "home"
    (root / "partners").mkdir(parents=True)
    (root / "gateway.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: OURCO}\n")
    return Home(root, True, None)


def profile(home: Home, text: str, pid: str = "acme") -> Path:
    path = home.partners_dir / f"{pid}.yaml"
    path.write_text("identity: {isa_qualifier: ZZ, isa_id: ACME}\n" + textwrap.dedent(text))
    return path


def test_drop_folder_at_etc_is_outside_the_home_and_the_partner_is_not_served(home):
    profile(home, "channels:\n  drop_folder: {inbound: /etc, archive: archive/acme}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert problem == (f"{home.partners_dir / 'acme.yaml'}:3: channels.drop_folder.inbound '/etc' is outside the home ({home.root}); "
                       "the gateway uses no folder or file elsewhere: to use this one, add its folder to allowed_roots in gateway.yaml")


@pytest.mark.parametrize("key", ["inbound", "outbound", "archive"])
def test_dotdot_out_of_the_home_is_followed_before_checking(home, key):
    folders = {"inbound": "inbound/acme", key: "inbound/../../outside"}
    profile(home, f"channels:\n  drop_folder: {json.dumps(folders)}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert f"channels.drop_folder.{key} 'inbound/../../outside' ({home.root.parent / 'outside'}) is outside the home" in problem


def test_a_symlink_inside_the_home_to_a_folder_outside_is_followed_before_checking(home, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (home.root / "inbound").mkdir()
    (home.root / "inbound" / "acme").symlink_to(tmp_path / "elsewhere")
    profile(home, "channels:\n  drop_folder: {inbound: inbound/acme}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert f"channels.drop_folder.inbound 'inbound/acme' ({tmp_path / 'elsewhere'}) is outside the home" in problem


def test_allowed_roots_in_gateway_yaml_let_folders_outside_the_home_in(home, tmp_path):
    (tmp_path / "drop" / "acme").mkdir(parents=True)
    (home.root / "link").symlink_to(tmp_path / "drop")
    profile(home, f"channels:\n  drop_folder: {{inbound: {tmp_path / 'drop' / 'acme'}, archive: link/archive}}\n")
    assert "acme" in not_served(Partners(home))
    (home.root / "gateway.yaml").write_text(f"identity: {{isa_qualifier: ZZ, isa_id: OURCO}}\nallowed_roots: [{tmp_path / 'drop'}]\n")
    assert not_served(Partners(home)) == {}
    other = tmp_path / "drop-other"  # a sibling whose name starts like the root is not under it
    profile(home, f"channels:\n  drop_folder: {{inbound: {other}}}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert f"is outside the home ({home.root}) and the allowed_roots of gateway.yaml ({tmp_path / 'drop'})" in problem


@pytest.mark.parametrize("text, why", [
    ("allowed_roots: [srv/edi]\n", "allowed_roots/0: 'srv/edi' does not match"),
    ("allowed_roots: /srv/edi\n", "allowed_roots: '/srv/edi' is not of type 'array'"),
])
def test_allowed_roots_are_a_list_of_absolute_folders(home, text, why):
    (home.root / "gateway.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: OURCO}\n" + text)
    with pytest.raises(ConfigError) as err:
        load_settings(home)
    assert err.value.problems[0].startswith(f"{home.config_file}:2: {why}")


def test_a_gateway_yaml_that_does_not_load_allows_nothing_beyond_the_home(home):
    (home.root / "gateway.yaml").write_text("allowed_roots: [/]\nworkers: {batch: 0}\n")
    assert home_confinement(home).allowed_roots == ()


def test_folder_route_outside_the_home_is_refused_when_the_connector_is_built(home, tmp_path):
    registry = default_registry(plugins=False)
    context = ConnectorContext(home, {})
    problems = registry.check("folder", {"path": "/etc/cron.d"}, context, where="acme.yaml:7")
    assert problems == [f"acme.yaml:7: path '/etc/cron.d' is outside the home ({home.root}); the gateway uses no folder or file "
                        "elsewhere: to use this one, add its folder to allowed_roots in gateway.yaml"]
    assert registry.check("folder", {"path": "erp/../../erp"}, context) != []
    assert registry.check("folder", {"path": "erp/orders"}, context) == []
    allowed = ConnectorContext(home, {}, (str(tmp_path / "erp"),))
    assert registry.check("folder", {"path": str(tmp_path / "erp" / "orders")}, allowed) == []


def test_folder_route_outside_the_home_is_a_problem_of_the_partner_at_its_line(home):
    profile(home, "routes:\n  - {document: purchase_order, connector: folder, options: {path: /var/erp}}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert problem.startswith(f"{home.partners_dir / 'acme.yaml'}:3: connector 'folder': path '/var/erp' is outside the home")


def test_http_ca_file_outside_the_home_is_refused(home):
    problems = default_registry(plugins=False).check("http", {"url": "https://erp.example/in", "ca_file": "/etc/shadow"}, ConnectorContext(home, {}))
    assert problems == [f"options: ca_file '/etc/shadow' is outside the home ({home.root}); the gateway uses no folder or file "
                        "elsewhere: to use this one, add its folder to allowed_roots in gateway.yaml"]


def test_xref_file_outside_the_home_is_neither_read_nor_echoed(home, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("theirs,ours\nTOP-SECRET-VALUE,1\nTOP-SECRET-VALUE,2\n")  # would be echoed as "mapped twice" if read
    profile(home, f"xref_files: {{items: {secret}}}\n")
    partners = Partners(home)
    [problem] = not_served(partners)["acme"]
    assert problem.startswith(f"{home.partners_dir / 'acme.yaml'}:2: xref_files.items '{secret}' is outside the home")
    with pytest.raises(ConfigError) as err:
        partners.xref(partners.load("acme"))
    assert err.value.problems == [problem] and "TOP-SECRET" not in problem


def test_confinement_resolves_relative_paths_against_the_home_not_the_current_directory(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    confinement = Confinement(home)
    assert confinement.problem("inbound/acme", "inbound") is None
    assert confinement.resolve("inbound/acme") == home.root.resolve() / "inbound" / "acme"


@pytest.mark.parametrize("key, folder", [("inbound", "partners"), ("archive", "store"), ("outbound", "mappings/acme"), ("inbound", ".")],
                         ids=["inbound-is-partners", "archive-is-store", "outbound-inside-mappings", "inbound-is-the-home"])
def test_a_drop_folder_overlapping_the_homes_own_folders_is_refused(home, key, folder):
    # inside the home, yet serve would take the profiles (or the database) for partner files
    folders = {"inbound": "inbound/acme", key: folder}
    profile(home, f"channels:\n  drop_folder: {json.dumps(folders)}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert f"channels.drop_folder.{key} '{folder}'" in problem and "overlaps the home's own" in problem


def test_a_folder_route_writing_into_the_store_folder_is_refused(home):
    context = ConnectorContext(home, {})
    with pytest.raises(ConfigError, match="path 'store/erp' .* overlaps the home's own store/ folder"):
        default_registry().create("folder", {"path": "store/erp"}, context)
    assert default_registry().create("folder", {"path": "erp"}, context) is not None


def test_two_partners_sharing_one_inbound_folder_are_both_not_served(home):
    # each would take the other's files: partner.mismatch at best, the wrong partner's mapping at worst
    profile(home, "channels:\n  drop_folder: {inbound: inbound/shared}\n", "acme")
    (home.partners_dir / "bolt.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: BOLT}\n"
                                                 "channels:\n  drop_folder: {inbound: inbound/shared/}\n")
    problems = not_served(Partners(home))
    assert set(problems) == {"acme", "bolt"}
    assert "is also partner bolt's inbound" in problems["acme"][0] and "is also partner acme's inbound" in problems["bolt"][0]


def test_an_inbound_folder_that_is_the_partners_own_outbound_is_refused(home):
    # our 997s would be taken as the partner's files
    profile(home, "channels:\n  drop_folder: {inbound: edi/acme, outbound: edi/acme}\n")
    [problem] = not_served(Partners(home))["acme"]
    assert "is also its own outbound" in problem


def test_partners_with_folders_of_their_own_are_served(home):
    profile(home, "channels:\n  drop_folder: {inbound: inbound/acme}\n", "acme")
    (home.partners_dir / "bolt.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: BOLT}\nchannels: {}\n")
    assert not_served(Partners(home)) == {}
