"""`autoscore models pull-bank`: a permissive bank by name in one command, fetched over real HTTPS (a local
server with a certificate made for the test, trusted through SSL_CERT_FILE as a user's CA bundle would be),
then played first. Where the network can be reached, the name fetches MuseScore General itself."""
from __future__ import annotations

import http.server
import os
import shutil
import ssl
import subprocess
import threading

import pytest

from autoscore_video.generation.symbolic import banks
from autoscore_video.generation.symbolic.pull import NAMED_BANKS
from tests.conftest import run_cli


def test_the_named_bank_is_musescore_general_under_mit():
    url, what, licence = NAMED_BANKS["musescore-general"]
    assert url.startswith("https://") and url.endswith("/MuseScore_General.sf3") and licence == "MIT"
    assert "musescore-general" in banks.NO_BANK_NOTE and "GPL-2.0" in banks.NO_BANK_NOTE  # the fallback named


@pytest.fixture()
def https_server(tmp_path):
    """(base URL, the served folder, the certificate file) of an HTTPS server on 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (it makes the test's certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    served = tmp_path / "served"
    served.mkdir()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(served))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", served, cert
    server.shutdown()


def test_a_bank_pulled_over_https_is_cached_and_played_first(https_server, tmp_path):
    base, served, cert = https_server
    shutil.copyfile(banks.pretty_midi_bank(), served / "Pulled_GM.sf2")
    (served / "not-a-bank.sf2").write_bytes(b"<html>a login page</html>")
    env = {**os.environ, "SSL_CERT_FILE": str(cert), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("HF_HUB_OFFLINE", None)
    pulled = run_cli("models", "pull-bank", f"{base}/Pulled_GM.sf2", env=env)
    assert pulled.returncode == 0, pulled.stderr
    cached = tmp_path / "cache" / "autoscore" / "banks" / "Pulled_GM.sf2"
    assert pulled.stdout.strip() == str(cached) and cached.read_bytes() == (served / "Pulled_GM.sf2").read_bytes()
    listed = run_cli("models", "--json", env=env)
    assert '"pulled"' in listed.stdout and "Pulled_GM.sf2" in listed.stdout
    refused = run_cli("models", "pull-bank", f"{base}/not-a-bank.sf2", env=env)
    assert refused.returncode == 1 and "not a SoundFont" in refused.stderr
    assert sorted(p.name for p in cached.parent.iterdir()) == ["Pulled_GM.sf2"]  # nothing half-written left
    untrusted = run_cli("models", "pull-bank", f"{base}/Pulled_GM.sf2", env={**env, "SSL_CERT_FILE": os.devnull})
    assert untrusted.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
