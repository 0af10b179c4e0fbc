"""The HTTP connector against a real HTTP server on 127.0.0.1 that fails on purpose and records what it receives.

The receiver deduplicates by Idempotency-Key as the contract asks of ERP endpoints. Paths choose the
behaviour: ``/orders`` stores, ``/flaky`` answers 503 to the first two attempts of a key, ``/status/N``
always answers N, ``/slow`` answers after the client gave up, ``/limited/S`` answers 429 with
``Retry-After: S`` to the first attempt of a key, ``/moved`` redirects, ``/echo`` quotes the request's
Authorization header back in a 401.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway import __version__
from gateway.connectors import ConnectorContext, default_registry
from gateway.connectors.http import HttpConnector
from gateway.errors import DeliveryError
from gateway.home import Home
from gateway.testing.connectors import SAMPLE_PURCHASE_ORDER, ConnectorContract, Harness, make_item

TOKEN = "tok-s3cret-123"
PASSWORD = "pw-s3cret-456"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int

    @property
    def key(self) -> str:
        return self.headers.get("Idempotency-Key", "")


class Receiver:
    """What the ERP endpoint saw: every request, and the documents it kept (one per Idempotency-Key)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.stored: dict[str, dict] = {}
        self.attempts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def for_key(self, key: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.key == key]

    def delivered(self, key: str) -> list[dict]:
        with self.lock:
            return [self.stored[key]] if key in self.stored else []

    def answer(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(request)
            self.attempts[(request.path, request.key)] += 1
            attempt = self.attempts[(request.path, request.key)]
        path = request.path
        if path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
            return status, {}, json.dumps({"error": f"failing with {status} on purpose"}).encode()
        if path == "/flaky" and attempt <= 2:
            return 503, {}, b"warming up"
        if path.startswith("/limited/") and attempt == 1:
            return 429, {"Retry-After": path.rsplit("/", 1)[1]}, b"slow down"
        if path == "/slow":
            time.sleep(1.0)
        if path == "/moved":
            return 302, {"Location": "http://elsewhere.example/orders?token=abc"}, b""
        if path == "/echo":
            return 401, {}, f"bad credentials: {request.headers.get('Authorization')}".encode()
        return self.store(request)

    def store(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        document = json.loads(request.body)
        with self.lock:
            if request.key in self.stored:  # deduplicate as the contract asks of the receiver
                return 200, {}, b'{"status": "duplicate"}'
            self.stored[request.key] = document
        return 201, {}, b'{"status": "created"}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is exercised

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = Request(self.command, self.path, dict(self.headers.items()), body, self.client_address[1])
        status, headers, payload = self.server.receiver.answer(request)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (the slow path)

    do_PUT = do_POST

    def log_message(self, format, *args) -> None:
        pass


def serve(idle_timeout: float | None = None):
    handler = type("IdleHandler", (Handler,), {"timeout": idle_timeout}) if idle_timeout else Handler
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.receiver = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def server():
    server, thread = serve()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def receiver(server) -> Receiver:
    return server.receiver


@pytest.fixture
def base_url(server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@pytest.fixture
def context(tmp_path) -> ConnectorContext:
    return ConnectorContext(Home(tmp_path, explicit=True, repo_root=None),
                            {"ERP_TOKEN": TOKEN, "ERP_USER": "gateway", "ERP_PASSWORD": PASSWORD, "ERP_KEY": "key-s3cret-789"})


@pytest.fixture
def connect(base_url, context):
    """``connect("/orders", retries=1)``: an http connector built through the registry, with quick defaults; closed afterwards."""
    made = []

    def _connect(path: str, **options) -> HttpConnector:
        options = {"url": base_url + path, "timeout_seconds": 2, "backoff_seconds": 0.01, **options}
        connector = default_registry(plugins=False).create("http", options, context)
        made.append(connector)
        return connector

    yield _connect
    for connector in made:
        connector.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestHttpContract(ConnectorContract):
    @pytest.fixture
    def harness(self, connect, receiver):
        failing = HttpConnector(f"http://127.0.0.1:{closed_port()}/orders", retries=0, timeout_seconds=1)
        yield Harness(connect("/orders", auth={"bearer_env": "ERP_TOKEN"}), receiver.delivered, failing, secrets=(TOKEN,))
        failing.close()


# -- success ---------------------------------------------------------------------------------------


def test_delivery_sends_the_canonical_json_with_its_headers(connect, receiver, base_url):
    item = make_item("route1-msg1", correlation_id="corr-42")
    assert connect("/orders", headers={"X-Tenant": "east"}).deliver(item) == f"POST {base_url}/orders -> 201"
    (request,) = receiver.for_key("route1-msg1")
    assert request.method == "POST" and json.loads(request.body) == SAMPLE_PURCHASE_ORDER
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "route1-msg1"
    assert request.headers["X-Correlation-Id"] == "corr-42"
    assert request.headers["User-Agent"] == f"edi-gateway/{__version__}"
    assert request.headers["X-Tenant"] == "east"
    assert "Authorization" not in request.headers


def test_put_and_query_string(connect, receiver, base_url):
    connector = connect("/orders?tenant=east", method="PUT")
    assert connector.deliver(make_item("k1")) == f"PUT {base_url}/orders -> 201"
    (request,) = receiver.for_key("k1")
    assert (request.method, request.path) == ("PUT", "/orders?tenant=east")


def test_the_receiver_keeps_each_key_once(connect, receiver):
    connector = connect("/orders")
    for _ in range(3):
        connector.deliver(make_item("k1"))
    connector.deliver(make_item("k2"))
    assert len(receiver.for_key("k1")) == 3
    assert sorted(receiver.stored) == ["k1", "k2"]


def test_connections_are_kept_alive_and_reused(connect, receiver):
    connector = connect("/orders")
    for i in range(3):
        connector.deliver(make_item(f"k{i}"))
    assert len({r.client_port for r in receiver.requests}) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_using_a_retry():
    server, thread = serve(idle_timeout=0.1)
    try:
        host, port = server.server_address[:2]
        connector = HttpConnector(f"http://{host}:{port}/orders", retries=0, timeout_seconds=2)
        connector.deliver(make_item("k1"))
        time.sleep(0.4)  # the server drops the kept-alive connection
        connector.deliver(make_item("k2"))
        assert sorted(server.receiver.stored) == ["k1", "k2"]
        connector.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- auth from the environment ---------------------------------------------------------------------


def test_bearer_token_from_the_environment_arrives(connect, receiver):
    connect("/orders", auth={"bearer_env": "ERP_TOKEN"}).deliver(make_item("k1"))
    assert receiver.for_key("k1")[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_basic_auth_from_the_environment_arrives(connect, receiver):
    connect("/orders", auth={"basic_user_env": "ERP_USER", "basic_password_env": "ERP_PASSWORD"}).deliver(make_item("k1"))
    scheme, _, encoded = receiver.for_key("k1")[0].headers["Authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(encoded).decode() == f"gateway:{PASSWORD}"


def test_api_key_header_from_the_environment_arrives(connect, receiver):
    connect("/orders", auth={"header": "X-Api-Key", "value_env": "ERP_KEY"}).deliver(make_item("k1"))
    assert receiver.for_key("k1")[0].headers["X-Api-Key"] == "key-s3cret-789"


def test_secrets_echoed_by_the_server_are_masked_in_the_error(connect):
    for auth in ({"bearer_env": "ERP_TOKEN"}, {"basic_user_env": "ERP_USER", "basic_password_env": "ERP_PASSWORD"}):
        with pytest.raises(DeliveryError) as caught:
            connect("/echo", auth=auth).deliver(make_item())
        message = str(caught.value)
        assert "-> 401" in message and "bad credentials" in message and "********" in message
        assert TOKEN not in message and PASSWORD not in message
        assert base64.b64encode(f"gateway:{PASSWORD}".encode()).decode() not in message


# -- retries and failures --------------------------------------------------------------------------


def test_503s_are_retried_in_the_call_with_the_same_idempotency_key(connect, receiver):
    item = make_item("k1", correlation_id="corr-7")
    assert connect("/flaky", retries=2).deliver(item).endswith("-> 201")
    attempts = receiver.for_key("k1")
    assert len(attempts) == 3
    assert {r.headers["Idempotency-Key"] for r in attempts} == {"k1"}
    assert {r.headers["X-Correlation-Id"] for r in attempts} == {"corr-7"}
    assert len({r.body for r in attempts}) == 1
    assert receiver.delivered("k1") == [SAMPLE_PURCHASE_ORDER]


def test_backoff_doubles_between_quick_retries(connect, receiver):
    started = time.monotonic()
    connect("/flaky", retries=2, backoff_seconds=0.1).deliver(make_item("k1"))
    assert time.monotonic() - started >= 0.1 + 0.2
    assert len(receiver.for_key("k1")) == 3


def test_retries_exhausted_is_a_retryable_error_with_status_and_body(connect, receiver, base_url):
    with pytest.raises(DeliveryError) as caught:
        connect("/status/500", retries=2).deliver(make_item("k1"))
    error = caught.value
    assert error.retryable is True and error.code == "delivery.failed"
    assert str(error).startswith(f"POST {base_url}/status/500 -> 500 after 3 attempts: Internal Server Error:")
    assert "failing with 500 on purpose" in str(error)
    assert error.target == f"{base_url}/status/500"
    assert len(receiver.for_key("k1")) == 3


def test_too_few_retries_to_outlast_the_503s_is_retryable(connect, receiver):
    with pytest.raises(DeliveryError) as caught:
        connect("/flaky", retries=1).deliver(make_item("k1"))
    assert caught.value.retryable is True and "-> 503 after 2 attempts" in str(caught.value)
    assert receiver.delivered("k1") == []


@pytest.mark.parametrize(("status", "retryable"), [
    (408, True), (429, True), (500, True), (502, True), (503, True), (504, True),
    (400, False), (401, False), (403, False), (404, False), (409, False), (422, False),
])
def test_status_codes_are_retryable_or_terminal(connect, receiver, status, retryable):
    with pytest.raises(DeliveryError) as caught:
        connect(f"/status/{status}", retries=1).deliver(make_item("k1"))
    assert caught.value.retryable is retryable
    assert f"-> {status}" in str(caught.value)
    assert len(receiver.for_key("k1")) == (2 if retryable else 1)


def test_a_4xx_is_terminal_at_once_with_the_body(connect, receiver):
    with pytest.raises(DeliveryError) as caught:
        connect("/status/400", retries=3).deliver(make_item("k1"))
    assert caught.value.retryable is False
    assert "-> 400: Bad Request:" in str(caught.value) and "after" not in str(caught.value)
    assert "failing with 400 on purpose" in str(caught.value)
    assert len(receiver.for_key("k1")) == 1


def test_a_redirect_is_not_followed(connect, receiver):
    with pytest.raises(DeliveryError) as caught:
        connect("/moved", retries=2).deliver(make_item("k1"))
    message = str(caught.value)
    assert caught.value.retryable is False
    assert "-> 302" in message and "redirects are not followed" in message and "http://elsewhere.example/orders" in message
    assert "token=abc" not in message
    assert len(receiver.requests) == 1


def test_a_slow_answer_times_out_and_is_retryable(connect, receiver):
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        connect("/slow", retries=1, timeout_seconds=0.2).deliver(make_item("k1"))
    assert time.monotonic() - started < 0.9
    assert caught.value.retryable is True
    assert "failed after 2 attempts: timed out after 0.2s" in str(caught.value)
    assert len(receiver.for_key("k1")) == 2


def test_a_refused_connection_is_retryable(context):
    connector = default_registry(plugins=False).create(
        "http", {"url": f"http://127.0.0.1:{closed_port()}/orders", "retries": 1, "backoff_seconds": 0.01}, context)
    with pytest.raises(DeliveryError) as caught:
        connector.deliver(make_item("k1"))
    assert caught.value.retryable is True and "connection refused" in str(caught.value)


def test_retry_after_is_waited_on_429(connect, receiver):
    started = time.monotonic()
    assert connect("/limited/0.3", retries=1, backoff_seconds=0.01).deliver(make_item("k1")).endswith("-> 201")
    assert time.monotonic() - started >= 0.3
    assert len(receiver.for_key("k1")) == 2


def test_a_retry_after_longer_than_the_cap_ends_the_call_retryable(connect, receiver):
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        connect("/limited/120", retries=3, retry_after_max_seconds=1).deliver(make_item("k1"))
    assert time.monotonic() - started < 0.5
    assert caught.value.retryable is True and "-> 429 (Retry-After 120s)" in str(caught.value)
    assert len(receiver.for_key("k1")) == 1


def test_connector_is_safe_to_share_between_threads(connect, receiver):
    connector = connect("/orders")
    errors = []

    def send(i):
        try:
            connector.deliver(make_item(f"t{i}"))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(receiver.stored) == 16


# -- https -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 made with the openssl tool (skipped without it)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl tool is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "erp.pem", folder / "erp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_url(certificate):
    cert, key = certificate
    server, thread = serve()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    yield f"https://127.0.0.1:{server.server_address[1]}/orders", server.receiver
    server.shutdown()
    server.server_close()
    thread.join()


def test_https_with_the_servers_ca_file_delivers(tls_url, certificate, context):
    url, receiver = tls_url
    context = dataclasses.replace(context, allowed_roots=(str(certificate[0].parent),))  # the CA file is outside the home
    connector = default_registry(plugins=False).create("http", {"url": url, "ca_file": str(certificate[0]), "timeout_seconds": 2}, context)
    assert connector.deliver(make_item("k1")) == f"POST {url} -> 201"
    assert receiver.delivered("k1") == [SAMPLE_PURCHASE_ORDER]
    connector.close()


def test_an_unverifiable_certificate_is_terminal(tls_url, context):
    url, receiver = tls_url
    connector = default_registry(plugins=False).create("http", {"url": url, "retries": 2, "timeout_seconds": 2}, context)
    with pytest.raises(DeliveryError) as caught:
        connector.deliver(make_item("k1"))
    assert caught.value.retryable is False and "TLS certificate not accepted" in str(caught.value)
    assert receiver.requests == []
    connector.close()


def test_a_header_value_echoed_by_the_server_is_masked_in_errors():
    import http.server
    import threading

    from gateway.connectors import ConnectorContext, DeliveryItem, default_registry
    from gateway.errors import DeliveryError
    from gateway.home import Home

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            body = f"bad key {self.headers.get('X-Api-Key')}".encode()
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/orders"
        conn = default_registry(plugins=False).create("http", {"url": url, "headers": {"X-Api-Key": "s3cr3t-key-value"}, "retries": 0},
                                                      ConnectorContext(Home(__import__("pathlib").Path("."), True, None), {}))
        try:
            conn.deliver(DeliveryItem("k1", {"po_number": "1"}, "purchase_order", "acme", "c1"))
        except DeliveryError as exc:
            assert "s3cr3t-key-value" not in str(exc) and "bad key" in str(exc)
        else:
            raise AssertionError("a 400 must fail")
    finally:
        server.shutdown()
