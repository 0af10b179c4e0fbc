"""The one rule for what is never printed: credential names, URL passwords, ${ENV} values in errors."""

from __future__ import annotations

import pytest

from gateway.config.settings import load_settings
from gateway.config.yamlio import parse_yaml, resolve_env
from gateway.connectors import default_registry
from gateway.errors import ConfigError
from gateway.home import Home
from gateway.masking import MASK, is_credential_name, mask_settings, mask_url, mask_urls


@pytest.mark.parametrize("name", ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "api-key", "apikey", "apiKey",
                                  "token", "access_token", "X-Auth-Token", "secret", "client_secret", "password", "passwd", "pwd",
                                  "signature", "X-Amz-Signature", "sig", "key", "Ocp-Apim-Subscription-Key", "sessionid", "jwt",
                                  "X-Amz-Credential", "auth"])
def test_header_or_parameter_named_like_a_credential_is_masked(name):
    assert is_credential_name(name)


@pytest.mark.parametrize("name", ["X-Tenant", "Accept", "Content-Type", "url", "path", "format", "monkey", "author", "keyboard",
                                  "timeout_seconds", "bearer_env"])
def test_ordinary_setting_name_is_shown(name):
    assert not is_credential_name(name)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:TopSecretPw@erp.example.com/api", f"https://user:{MASK}@erp.example.com/api"),
    ("postgresql+psycopg://gw:TopSecretPw@db:5432/gw?options=-csearch_path%3Dx&password=TopSecretPw2",
     f"postgresql+psycopg://gw:{MASK}@db:5432/gw?options=-csearch_path%3Dx&password={MASK}"),
    ("https://h/p?api_key=TopA&apiKey=TopB&sig=TopC&X-Amz-Signature=TopD&page=2#top",
     f"https://h/p?api_key={MASK}&apiKey={MASK}&sig={MASK}&X-Amz-Signature={MASK}&page=2#top"),
    ("postgresql://u:p@ss@h/db", f"postgresql://u:{MASK}@h/db"),
    ("sqlite:////srv/gw/store/gateway.db", "sqlite:////srv/gw/store/gateway.db"),
    ("postgresql://gateway@db/gateway", "postgresql://gateway@db/gateway"),
])
def test_url_password_and_credential_query_values_are_masked(url, shown):
    assert mask_url(url) == shown


def test_url_quoted_in_a_driver_error_is_masked():
    message = "Could not parse SQLAlchemy URL from string 'postgresql://u:TopSecretPw@h/db?password=TopSecretPw2'"
    assert mask_urls(message) == f"Could not parse SQLAlchemy URL from string 'postgresql://u:{MASK}@h/db?password={MASK}'"


def test_route_options_named_like_credentials_are_masked_but_env_variable_names_shown():
    options = {"endpoint": "https://u:TopPw@h/x?token=TopTok", "password": "TopPw", "tokens": ["a1", "b2"], "verify_signature": True,
               "auth": {"bearer_env": "ERP_TOKEN", "secret": 12345}, "retries": 3}
    assert mask_settings(options) == {"endpoint": f"https://u:{MASK}@h/x?token={MASK}", "password": MASK, "tokens": [MASK, MASK],
                                      "verify_signature": True, "auth": {"bearer_env": "ERP_TOKEN", "secret": MASK}, "retries": 3}


def test_http_route_headers_are_all_secret_as_the_connector_declares():
    shown = default_registry(plugins=False).shown("http", {
        "url": "https://erp.example.com/api?api_key=TopSecretQueryKey&tenant=east", "headers": {"X-Tenant": "east", "Authorization": "Bearer x"},
        "auth": {"header": "X-Api-Key", "value_env": "ERP_KEY"}, "retries": "not a number"})
    assert shown == {"url": f"https://erp.example.com/api?api_key={MASK}&tenant=east", "headers": {"X-Tenant": MASK, "Authorization": MASK},
                     "auth": {"header": "X-Api-Key", "value_env": "ERP_KEY"}, "retries": "not a number"}


# -- values from ${ENV} in errors ------------------------------------------------------------------


def test_env_secret_in_a_typed_settings_field_is_not_echoed_in_the_type_error(tmp_path):
    (tmp_path / "gateway.yaml").write_text('workers: {batch: "${GW_BATCH}"}\nlogging: {level: "${GW_LEVEL}"}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(Home(tmp_path, explicit=True, repo_root=None), environ={"GW_BATCH": "TopSecretEnvPw", "GW_LEVEL": "TopSecretLevel"})
    text = "\n".join(caught.value.problems)
    assert "TopSecret" not in text
    assert f"gateway.yaml:1: workers/batch: {MASK} is not of type 'integer'" in text
    assert f"gateway.yaml:2: logging/level: {MASK} is not one of ['debug', 'info', 'warning', 'error']" in text


def test_env_value_spliced_into_a_longer_string_is_not_echoed():
    source = parse_yaml('identity: {isa_qualifier: "Q-${PART}", isa_id: A}\n', "acme.yaml")
    assert resolve_env(source, {"PART": "TopSecretPart"}) == []
    from gateway.config.partner import PartnerProfile

    problems = PartnerProfile.problems(source.data, source)
    assert problems and not any("TopSecret" in p for p in problems), problems


def test_value_typed_in_the_file_is_still_quoted_in_the_error():
    source = parse_yaml('workers: {batch: "plain-text"}\n', "gateway.yaml")
    from gateway.config.settings import Settings

    assert Settings.problems(source.data, source) == ["gateway.yaml:1: workers/batch: 'plain-text' is not of type 'integer'"]
