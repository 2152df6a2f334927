"""Shared fixtures: tiny BGLR-shaped RData files and a loopback HTTP server."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from rfixtures import fake_mice, fake_wheat, sha256, write_rdata

from gslib import datasets


@pytest.fixture
def fake_files(tmp_path, monkeypatch) -> Path:
    """A folder with small wheat.RData and mice.RData; gslib's registry points at their hashes."""
    folder = tmp_path / "datasets"
    folder.mkdir()
    write_rdata(folder / "wheat.RData", fake_wheat())
    write_rdata(folder / "mice.RData", fake_mice())
    monkeypatch.setattr(datasets, "REGISTRY", {
        "wheat.RData": sha256(folder / "wheat.RData"),
        "mice.RData": sha256(folder / "mice.RData"),
    })
    monkeypatch.delenv("GSLIB_DATA_URL", raising=False)
    monkeypatch.setenv("GSLIB_CACHE_DIR", str(tmp_path / "cache"))
    return folder


@pytest.fixture
def local_data(fake_files, monkeypatch) -> Path:
    """GSLIB_DATA_DIR set to the fake files."""
    monkeypatch.setenv("GSLIB_DATA_DIR", str(fake_files))
    return fake_files


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def http_server(tmp_path):
    """Serve a folder over HTTP on 127.0.0.1 (loopback only); yields (url, folder, requests)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder, server.requests
    finally:
        server.shutdown()
        server.server_close()
