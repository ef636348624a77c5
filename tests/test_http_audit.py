"""The GraphQL over HTTP conformance audit of the `graphql-http` package, run against the real server:
every MUST and every SHOULD passes. The package is pinned in tests/http_audit/ (installed with `npm ci`
from its lockfile, hash-checked, the first time)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from api.settings import Settings
from market.store import Store

AUDIT = Path(__file__).resolve().parent / "http_audit"


def install_audit() -> None:
    if (AUDIT / "node_modules" / "graphql-http").is_dir():
        return
    npm = shutil.which("npm")
    assert npm is not None, "the HTTP audit needs Node.js and npm"
    subprocess.run([npm, "ci", "--ignore-scripts"], cwd=AUDIT, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
async def url(settings: Settings, store: Store) -> AsyncIterator[str]:
    await asyncio.to_thread(install_audit)
    app = create_app(settings, store=store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(served.serve())
    while not served.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}/graphql"
    served.should_exit = True
    await task


async def test_every_must_and_should_of_graphql_over_http_passes(url: str) -> None:
    node = shutil.which("node")
    assert node is not None
    done = await asyncio.create_subprocess_exec(
        node, str(AUDIT / "audit.mjs"), url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(done.communicate(), 120)
    assert done.returncode == 0, err.decode()
    results: list[dict[str, Any]] = json.loads(out)
    assert len(results) > 50  # the audit ran in full
    failed = [r for r in results if r["status"] != "ok" and r["name"].split(" ")[0] in ("MUST", "SHOULD")]
    assert not failed, json.dumps(failed, ensure_ascii=False, indent=1)
