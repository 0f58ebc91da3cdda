"""`moneytrail serve` runs the API under uvicorn; the package exports what it lists."""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import moneytrail.api
from moneytrail.workspace import Workspace


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_loopback_and_stops_on_interrupt(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    port = _free_port()
    exe = Path(sys.executable).parent / "moneytrail"
    env = {**os.environ, "MONEYTRAIL_CASES_URL": f"sqlite:///{tmp_path / 'cases.sqlite'}"}
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--workspace", str(ws.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        doc = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/auth/token" in doc["paths"]
        r = httpx.get(f"http://127.0.0.1:{port}/cases", timeout=5)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    finally:
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in out.decode() and "/docs" in out.decode()


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        n
        for n, v in vars(moneytrail.api).items()
        if not n.startswith("_") and not inspect.ismodule(v)
    }
    assert public == set(moneytrail.api.__all__)
