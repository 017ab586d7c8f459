"""The README's reverse proxy, deploy/nginx-news-search.conf, in Debian's nginx on loopback.

nginx runs in the foreground with its own prefix, pid, logs and temporary folders in a
temporary directory, in front of a real `news-search serve`; the site file is used as it
ships, with only its two ports and its log path changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, SEED, index_from_records
from tests.live import Server, free_port
from tests.test_slow_clients import CLIENTS, SEARCH, slow
from tests.test_web import ARTICLES

SITE = ROOT / "deploy" / "nginx-news-search.conf"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
)
HEADER_TIMEOUT = 10  # client_header_timeout in the site file

pytestmark = pytest.mark.skipif(
    NGINX is None,
    reason="nginx is not installed (apt-get install nginx; `make test` installs it as root)",
)


@dataclass
class Nginx:
    port: int
    access_log: Path
    error_log: Path
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def site_for(app_port: int, port: int, access_log: Path) -> str:
    """The shipped site file with its ports and log path changed, each exactly once."""
    text = SITE.read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("/var/log/nginx/news-search.access.log", str(access_log)),
    ]:
        assert text.count(old) == 1, f"{SITE.name} no longer has {old!r} once"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = index_from_records(
        tmp_path_factory.mktemp("nginx-index"), ARTICLES, {SEED.name: SEED.read_bytes()}
    )
    srv = Server(index, tmp_path_factory.mktemp("logs") / "server.log", workers=2)
    yield srv
    assert srv.stop() == 0, srv.log.read_text()
    assert "Traceback" not in srv.log.read_text()


@pytest.fixture(scope="module")
def nginx(app_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    assert NGINX is not None
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (prefix / "news-search.conf").write_text(site_for(app_server.port, port, prefix / "access.log"))
    temps = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers write our temp folders
    (prefix / "nginx.conf").write_text(
        f"daemon off;\n{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n{temps}\n    include {prefix / 'news-search.conf'};\n}}\n"
    )
    test = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                           "-e", str(prefix / "error.log")], capture_output=True, text=True)  # fmt: skip
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(prefix / "error.log"),
        ]
    )
    server = Nginx(port, prefix / "access.log", prefix / "error.log", proc)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, (prefix / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not listen within 10 s"
            time.sleep(0.1)
    yield server
    proc.terminate()  # fast shutdown (SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "[emerg]" not in server.error_log.read_text()


def app_log(app_server: Server) -> list[dict[str, object]]:
    return [json.loads(x) for x in app_server.log.read_text().splitlines() if x.startswith("{")]


def test_a_search_through_nginx_carries_its_request_id(nginx: Nginx, app_server: Server) -> None:
    r = requests.get(nginx.url + "/api/search", params={"q": "taliban"}, timeout=10)
    assert r.status_code == 200 and r.json()["results"][0]["id"] == SEED.stem
    rid = r.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid  # nginx's $request_id, not the app's own
    deadline = time.monotonic() + 5
    while not any(d.get("request_id") == rid for d in app_log(app_server)):
        assert time.monotonic() < deadline, "the app did not log nginx's request id"
        time.sleep(0.1)
    while f"rid={rid}" not in nginx.access_log.read_text():
        assert time.monotonic() < deadline, "nginx did not log its request id"
        time.sleep(0.1)
    page = requests.get(nginx.url + "/", params={"q": "taliban"}, timeout=10)
    assert page.status_code == 200 and "<mark>Taliban</mark>" in page.text


def test_nginx_refuses_a_body_and_takes_a_long_query(nginx: Nginx) -> None:
    r = requests.post(nginx.url + "/api/search", data=b"x" * 100_000, timeout=10)
    assert r.status_code == 413
    question = ("what's the taliban's view, on coffee prices? " * 100)[:4000]
    r = requests.get(nginx.url + "/api/search", params={"q": question, "match": "any"},
                     headers={"Referer": nginx.url + "/?q=" + question}, timeout=10)  # fmt: skip
    assert r.status_code == 200, r.text[:200]


def test_slow_and_idle_clients_against_nginx_do_not_block_others(
    nginx: Nginx, app_server: Server
) -> None:
    idle = slow.open_idle(nginx.port, CLIENTS)
    loris = slow.Slowloris(nginx.port, CLIENTS, interval=0.5).start()
    try:
        time.sleep(1.0)
        for _ in range(3):
            took = slow.probe(nginx.port, SEARCH, timeout=1.0)
            assert took is not None, "a search through nginx was not answered within 1 s"
        deadline = time.monotonic() + HEADER_TIMEOUT + 5
        while time.monotonic() < deadline and None in loris.dropped:
            time.sleep(0.2)
    finally:
        loris.stop()
        for s in idle:
            s.close()
    assert None not in loris.dropped, f"{loris.dropped.count(None)} still connected to nginx"
    assert all(d <= HEADER_TIMEOUT + 3 for d in loris.dropped), loris.dropped
    # None of them reached the app: nginx held them all.
    assert not [d for d in app_log(app_server) if d.get("event") == "refused"]
