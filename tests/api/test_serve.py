"""Working while `moneytrail serve` holds the warehouse: a real server on loopback.

The API opens the warehouse read-only; read-only commands run beside it, a
command that writes says in words that the API holds it, and the API answers a
writer's hold with the one error shape and a message, not a bare 503.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import PASSWORD
from tests.api.shape import assert_error
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.errors import MoneytrailError
from moneytrail.workspace import Workspace

READ_ONLY = ("status", "alerts", "entities", "employers", "typologies", "quarantine")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(
    world_workspace: Workspace, sqlite_template: Path, tmp_path: Path
) -> Iterator[tuple[Path, str]]:
    """A copy of the world's workspace, served by `moneytrail serve` in a subprocess."""
    root = tmp_path / "ws"
    shutil.copytree(world_workspace.root, root, ignore=shutil.ignore_patterns("cases.sqlite*"))
    shutil.copyfile(sqlite_template, root / "cases.sqlite")
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONEYTRAIL_")}
    cmd = [sys.executable, "-c", "from moneytrail.cli import main; main()", "serve", "--port"]
    server = subprocess.Popen(
        [*cmd, str(port), "--workspace", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=1).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"the server did not start: {server.stdout}")
        yield root, url
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    # An error left to `moneytrail.cli.main` is printed there as "error: MESSAGE".
    raised = f"error: {result.exception}" if isinstance(result.exception, MoneytrailError) else ""
    return result.exit_code, result.stdout + result.stderr + raised


def test_read_only_commands_work_while_the_api_serves(served: tuple[Path, str]) -> None:
    root, url = served
    token = httpx.post(
        f"{url}/auth/token", data={"username": "alice", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    # A writer holds the warehouse: the API says so in its error shape, with a retry hint.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(root / "warehouse.duckdb")],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        busy = httpx.get(f"{url}/alerts?limit=5", headers=headers)
        error = assert_error(busy, 503)  # type: ignore[arg-type]
        assert "being written by another process" in error["message"]
        assert busy.headers["retry-after"] == "30"
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert httpx.get(f"{url}/alerts?limit=5", headers=headers).is_success  # now it holds it
    assert (root / "serving.json").is_file()
    for command in READ_ONLY:
        code, output = _run(command, "--json", "--workspace", str(root))
        assert code == 0, f"{command}: {output}"
    code, output = _run("detect", "--workspace", str(root))
    assert code == 1
    assert f"is open in the API (`moneytrail serve` on {url}" in output
    assert "stop the API (Ctrl-C where it runs), run this command" in output
    assert "IO Error" not in output and "Conflicting lock" not in output
    # the API kept serving through all of it
    assert httpx.get(f"{url}/alerts?limit=5", headers=headers).is_success
