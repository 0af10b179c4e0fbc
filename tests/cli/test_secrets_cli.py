"""Secrets as users would leak them: ``partner show`` of HTTP routes, store URLs with passwords in ``status``,
``serve``'s start-up log and connection errors, ``${ENV}`` values in type errors. Real subprocesses, real homes."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from helpers import make_home
from serve_helpers import Serve, gateway_env

MASK = "********"
SECRETS = ("TopSecretBearer", "TopSecretApiKey", "TopSecretQueryKey", "TopSecretUserPw", "TopSecretHookPw", "TopSecretHookToken",
           "TopSecretPluginPw", "TopSecretStorePw", "TopSecretQueryPw", "TopSecretEnvPw")


def gw(exe: str, home: Path, *args: str, env: dict[str, str] | None = None, store_url: str | None = None) -> subprocess.CompletedProcess:
    environ = {**gateway_env(store_url), **(env or {})}
    p = subprocess.run([exe, "--home", str(home), *args], capture_output=True, text=True, check=False, env=environ, timeout=120)
    assert "Traceback" not in p.stdout + p.stderr
    return p


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def write_profile(home: Path, text: str) -> None:
    (home / "partners").mkdir(exist_ok=True)
    (home / "partners" / "acme.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


HTTP_ROUTES = """\
    identity: {isa_qualifier: ZZ, isa_id: ACME}
    documents: {receives: [{set: "850"}]}
    channels:
      api: {webhook_url: "https://hook:TopSecretHookPw@hooks.example.com/in?token=TopSecretHookToken&partner=acme"}
    routes:
      - document: purchase_order
        connector: http
        options:
          url: "https://erp.example.com/api/orders?api_key=TopSecretQueryKey&tenant=east"
          headers: {Authorization: "Bearer TopSecretBearer", X-Api-Key: TopSecretApiKey, X-Tenant: east}
      - document: purchase_order
        connector: http
        options: {url: "https://gateway:TopSecretUserPw@erp.example.com/api/orders", auth: {bearer_env: ERP_TOKEN}}
      - document: purchase_order
        connector: sap-idoc
        options: {endpoint: "https://sap.example.com/idoc", password: TopSecretPluginPw, client: "100"}
    """


@pytest.fixture
def home(tmp_path) -> Path:
    return make_home(tmp_path / "home")


def test_partner_show_masks_http_route_headers_and_url_credentials(gateway_exe, home):
    write_profile(home, HTTP_ROUTES)
    shown = gw(gateway_exe, home, "partner", "show", "acme")
    as_json = gw(gateway_exe, home, "partner", "show", "acme", "--json")
    assert shown.returncode == as_json.returncode == 0, shown.stderr
    assert leaked(shown.stdout + shown.stderr + as_json.stdout + as_json.stderr) == []
    routes = json.loads(as_json.stdout)["routes"]
    assert routes[0]["options"] == {"url": f"https://erp.example.com/api/orders?api_key={MASK}&tenant=east",
                                    "headers": {"Authorization": MASK, "X-Api-Key": MASK, "X-Tenant": MASK}}
    assert routes[1]["options"] == {"url": f"https://gateway:{MASK}@erp.example.com/api/orders", "auth": {"bearer_env": "ERP_TOKEN"}}
    assert routes[2]["options"] == {"endpoint": "https://sap.example.com/idoc", "password": MASK, "client": "100"}  # a connector we do not know
    assert json.loads(as_json.stdout)["channels"]["api"]["webhook_url"] == (
        f"https://hook:{MASK}@hooks.example.com/in?token={MASK}&partner=acme")
    assert "X-Api-Key: '********'" in shown.stdout or f"X-Api-Key: {MASK}" in shown.stdout


def test_partner_check_of_a_route_does_not_quote_its_credentials(gateway_exe, home):
    write_profile(home, HTTP_ROUTES)
    p = gw(gateway_exe, home, "partner", "check", "acme", env={"ERP_TOKEN": "TopSecretBearer"})
    assert p.returncode == 1
    assert leaked(p.stdout + p.stderr) == []
    assert "url: must not carry user:password@ (use auth)" in p.stdout and "unknown connector 'sap-idoc'" in p.stdout


def test_partner_check_rejects_a_csv_formula_guard_value_it_cannot_honour(gateway_exe, home):
    write_profile(home, """\
        identity: {isa_qualifier: ZZ, isa_id: ACME}
        documents: {receives: [{set: "850"}]}
        routes:
          - {document: purchase_order, connector: folder, options: {path: erp, format: csv, csv_formula_guard: maybe}}
          - {document: purchase_order, connector: folder, options: {path: erp, csv_formula_guard: false}}
        """)
    p = gw(gateway_exe, home, "partner", "check", "acme")
    assert p.returncode == 1
    assert p.stdout.splitlines()[:2] == [
        f"{home}/partners/acme.yaml:4: connector 'folder': csv_formula_guard: 'maybe' is not of type 'boolean'",
        f"{home}/partners/acme.yaml:5: connector 'folder': csv_formula_guard: only used with format: csv (this route writes json)",
    ]


def test_env_secret_in_a_route_option_of_the_wrong_type_is_not_echoed(gateway_exe, home):
    write_profile(home, """\
        identity: {isa_qualifier: ZZ, isa_id: ACME}
        documents: {receives: [{set: "850"}]}
        routes:
          - {document: purchase_order, connector: http, options: {url: "http://127.0.0.1:9/orders", retries: "${ERP_RETRIES}"}}
        """)
    p = gw(gateway_exe, home, "partner", "check", "acme", env={"ERP_RETRIES": "TopSecretEnvPw"})
    assert p.returncode == 1 and leaked(p.stdout + p.stderr) == []
    assert f"{home}/partners/acme.yaml:4: connector 'http': retries: {MASK} is not of type 'integer'" in p.stdout.splitlines()


def test_env_secret_in_a_typed_field_of_gateway_yaml_is_not_echoed(gateway_exe, home):
    (home / "gateway.yaml").write_text('workers: {batch: "${GW_BATCH}"}\n', encoding="utf-8")
    p = gw(gateway_exe, home, "status", env={"GW_BATCH": "TopSecretEnvPw"})
    assert p.returncode != 0 and leaked(p.stdout + p.stderr) == []
    assert p.stderr == f"gateway: {home}/gateway.yaml:1: workers/batch: {MASK} is not of type 'integer'\n"


# -- store URLs -------------------------------------------------------------------------------------


def with_credentials(pg_url: str) -> str:
    """``pg_url`` with a user:password@ and a ?password= (trust authentication ignores both)."""
    user = os.environ.get("PGUSER") or _current_user(pg_url)
    scheme, rest = pg_url.split("://", 1)
    return f"{scheme}://{user}:TopSecretStorePw@{rest}&password=TopSecretQueryPw"


def _current_user(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("select current_user")).scalar()
    finally:
        engine.dispose()


def test_store_url_password_is_masked_by_status_and_the_serve_start_up_log(gateway_exe, tmp_path, pg_url):
    from serve_helpers import make_home as make_serve_home

    url = with_credentials(pg_url)
    home = make_serve_home(tmp_path / "home")
    text = gw(gateway_exe, home, "status", store_url=url)
    as_json = gw(gateway_exe, home, "status", "--json", store_url=url)
    assert text.returncode == as_json.returncode == 0, text.stderr
    shown = json.loads(as_json.stdout)["store"]
    assert "TopSecret" not in shown and shown.count(MASK) == 2 and shown.endswith(f"&password={MASK}")
    assert f"store: {shown}" in text.stdout and leaked(text.stdout + text.stderr + as_json.stderr) == []
    for fmt in ("text", "json"):
        server = Serve(gateway_exe, home, "--once", "--log-format", fmt, env=gateway_env(url), tag=f"serve-{fmt}")
        try:
            assert server.wait(120) == 0, server.stderr()
        finally:
            server.cleanup()
        log = server.stderr() + server.stdout()
        assert leaked(log) == [] and "serving " in log and shown in log.replace("\\u0026", "&")


def test_store_url_password_is_masked_in_connection_errors(gateway_exe, home):
    refused = "postgresql+psycopg://gw:TopSecretStorePw@127.0.0.1:1/gw?password=TopSecretQueryPw&connect_timeout=5"
    unparsable = "postgresql+psycopg://gw:TopSecretStorePw@127.0.0.1:notaport/gw?password=TopSecretQueryPw"
    for url in (refused, unparsable):
        p = gw(gateway_exe, home, "status", store_url=url)
        assert p.returncode != 0 and p.stderr.startswith("gateway: ") and leaked(p.stdout + p.stderr) == [], p.stderr
        assert f"gw:{MASK}@127.0.0.1" in p.stderr and f"password={MASK}" in p.stderr
