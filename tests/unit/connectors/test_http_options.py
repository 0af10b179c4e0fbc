"""The HTTP connector's options, checked when it is built: auth from the environment, headers, URL; secrets masked."""

from __future__ import annotations

import pytest

from gateway.connectors import ConnectorContext, default_registry
from gateway.connectors.http import _retry_after
from gateway.errors import ConfigError

TOKEN = "tok-s3cret-123"
PASSWORD = "pw-s3cret-456"


def build(context, **options):
    return default_registry(plugins=False).create("http", {"url": "https://erp.example.com/api/orders?tenant=1", **options}, context,
                                                  where="acme.yaml routes/0")


def problems(context, **options) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build(context, **options)
    return caught.value.problems


def test_repr_shows_method_and_url_without_query_or_secrets(context):
    connector = build(context, auth={"bearer_env": "ERP_TOKEN"}, method="PUT")
    assert repr(connector) == "HttpConnector(method='PUT', url='https://erp.example.com/api/orders')"
    assert TOKEN not in repr(connector) and TOKEN not in str(vars(connector).get("url"))


def test_each_missing_environment_variable_is_named(context):
    found = problems(context, auth={"basic_user_env": "NO_USER", "basic_password_env": "NO_PASSWORD"})
    assert found == [
        "acme.yaml routes/0: auth.basic_user_env: environment variable NO_USER is not set",
        "acme.yaml routes/0: auth.basic_password_env: environment variable NO_PASSWORD is not set",
    ]


def test_an_empty_or_multi_line_secret_is_refused_without_quoting_it(home):
    context = ConnectorContext(home, {"EMPTY": "", "TWO_LINES": "abc\r\nX-Injected: 1"})
    assert problems(context, auth={"bearer_env": "EMPTY"}) == ["acme.yaml routes/0: auth.bearer_env: environment variable EMPTY is empty"]
    (found,) = problems(context, auth={"header": "X-Api-Key", "value_env": "TWO_LINES"})
    assert "TWO_LINES cannot be sent in a header" in found and "X-Injected" not in found


def test_the_three_auth_forms_build(context):
    build(context, auth={"bearer_env": "ERP_TOKEN"})
    build(context, auth={"basic_user_env": "ERP_USER", "basic_password_env": "ERP_PASSWORD"})
    build(context, auth={"header": "X-Api-Key", "value_env": "ERP_TOKEN"})


def test_mixed_auth_forms_are_refused(context):
    assert problems(context, auth={"bearer_env": "ERP_TOKEN", "header": "X-Api-Key"}) == [
        "acme.yaml routes/0: auth/header: unknown key 'header' (allowed: bearer_env)"
    ]


def test_headers_the_connector_sets_cannot_be_configured(context):
    found = problems(context, headers={"Idempotency-Key": "x", "Host": "y", "Authorization": "Bearer z", "X-Ok": "1"},
                     auth={"bearer_env": "ERP_TOKEN"})
    assert found == [
        "acme.yaml routes/0: headers.Host: set by the connector, cannot be configured",
        "acme.yaml routes/0: headers.Idempotency-Key: set by the connector, cannot be configured",
        "acme.yaml routes/0: headers.Authorization: also set by auth; keep one",
    ]


def test_header_values_with_line_breaks_are_refused_and_masked(context):
    (found,) = problems(context, headers={"X-Api-Key": "k-s3cret\nX-Evil: 1"})
    assert found.startswith("acme.yaml routes/0: headers/X-Api-Key: ******** does not match")
    assert "s3cret" not in found


def test_credentials_in_the_url_are_refused_and_not_echoed(context):
    found = problems(context, url=f"https://gateway:{PASSWORD}@erp.example.com/orders")
    assert found == ["acme.yaml routes/0: url: must not carry user:password@ (use auth)"]


def test_bad_port_and_missing_ca_file(context):
    assert problems(context, url="http://erp.example.com:99999/orders") == [
        "acme.yaml routes/0: url: not an http(s) URL with a host and a valid port: 'http://erp.example.com/orders'"
    ]
    (found,) = problems(context, ca_file="certs/missing.pem")
    assert found.startswith("acme.yaml routes/0: ca_file: cannot load ") and "missing.pem" in found


def test_defaults(context):
    connector = build(context)
    assert (connector.method, connector.timeout, connector.retries, connector.backoff, connector.retry_after_max) == ("POST", 30.0, 2, 0.2, 5.0)


@pytest.mark.parametrize(("header", "seconds"), [
    ("3", 3.0), (" 0 ", 0.0), ("1.5", 1.5), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), ("", None), (None, None), ("-1", None),
])
def test_retry_after_values(header, seconds):
    assert _retry_after(header) == seconds
