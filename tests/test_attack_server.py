"""The real server against a web page elsewhere: a websocket handshake whose Host and Origin name another
site (DNS rebinding) gets no 101, while the same handshake from a localhost browser does; the settings that
bound uploads are the ones the docs state."""
import base64
import os
import random
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

import pytest

from studies.spec.limits import MAX_CSV_BYTES
from tests.conftest import ROOT


def handshake(port: int, host: str) -> str:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: http://{host}:{port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    line = s.recv(200).split(b"\r\n")[0].decode(errors="replace")
    s.close()
    return line


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = random.randint(20000, 40000)
    env = {**os.environ, "BATCHSCOPE_STORE": str(tmp_path_factory.mktemp("srv"))}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                             "--server.port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_a_rebound_host_gets_no_websocket_but_localhost_does(server):
    assert " 101" not in handshake(server, "rebind.attacker.test")
    assert " 101" in handshake(server, "localhost")
    assert " 101" in handshake(server, "127.0.0.1")


def test_upload_bounds_are_streamlits_own_settings():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert cfg["maxUploadSize"] << 20 == MAX_CSV_BYTES                  # one limit, stated once per file
    assert cfg["disconnectedSessionTTL"] <= 60 and cfg["enableXsrfProtection"] is True
    assert set(cfg["allowedHosts"]) == {"localhost", "127.0.0.1", "::1"} and cfg["address"] == "127.0.0.1"
