"""The product's outer surface: the committed SDL, health endpoints, the account CLI and the demo data."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any

import httpx
import pytest
from bson import ObjectId

from api.settings import PROJECT_ROOT, Settings
from cli.export import SCHEMA_FILE
from market.catalog.importer import _validate, read_rows
from market.demo import DEMO_DIR
from market.store import Store
from schema import build_schema
from tests.conftest import Api, World
from tests.test_sync import new_product


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == build_schema().as_str() + "\n", (
        "schema.graphql is stale: run `ocop export-schema` and commit it"
    )


async def test_health_endpoints(api: Api, store: Store, world: World, sync: Any) -> None:
    await sync()  # a first run on a fresh index builds it whole; the next write arrives as an event
    await new_product(store, ObjectId(world.producer_id), "Sức khỏe")
    await sync()
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["mongodb"] == "ok" and body["meilisearch"] == "ok"
    assert body["searchSync"]["appliedEvents"] > 0 and body["searchSync"]["lagSeconds"] is not None
    metrics = (await api.client.get("/metrics")).text
    assert "ocop_search_sync_lag_seconds " in metrics


async def test_readiness_fails_when_a_service_is_unreachable(settings: Settings, store: object) -> None:
    from api.app import create_app

    broken = Settings(
        MONGODB_URL=settings.resolved_mongodb_url, MEILI_URL="http://127.0.0.1:9", OCOP_DB_NAME=settings.db_name
    )
    app = create_app(broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["meilisearch"] == "unreachable"
    await app.state.services.close()


def test_api_key_cli_prints_the_key_last(settings: Settings, api: Api) -> None:
    env = settings.child_environment()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "create-api-key",
            "--role",
            "coordinator",
            "--province",
            "ben tre",
            "--name",
            "Sở NN Bến Tre",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("ocop_")
    refused = subprocess.run(
        [sys.executable, "-m", "cli", "create-api-key", "--role", "producer", "--name", "x"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "needs --org" in refused.stderr


async def test_new_key_authenticates(settings: Settings, api: Api) -> None:
    env = settings.child_environment()
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cli", "create-api-key", "--role", "admin", "--name", "ops"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    key = done.stdout.strip().splitlines()[-1]
    response = await api.client.post(
        "/graphql", json={"query": "{ me { role } }"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.json() == {"data": {"me": {"role": "ADMIN"}}}


def test_demo_catalogue_is_valid_and_large_enough() -> None:
    rows = list(read_rows(DEMO_DIR / "products.jsonl"))
    parsed = [_validate(line, row) for line, row, problem in rows if row is not None and problem is None]
    assert len(parsed) == len(rows) >= 300
    assert len({r.producer_key for r in parsed}) >= 40
    assert len({r.product["provinceCode"] for r in parsed}) >= 12


async def test_production_without_a_public_url_says_so_at_start(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Without OCOP_PUBLIC_URL the links the API hands out take the request's Host header, which a client
    chooses: an operator is told at start-up."""
    from api.app import create_app

    for public_url, warned in ((None, True), ("https://ocop.example.vn", False)):
        app = create_app(settings.model_copy(update={"env": "production", "public_url": public_url}))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ocop.api"):
            async with app.router.lifespan_context(app):
                pass
        assert any("OCOP_PUBLIC_URL is not set" in r.getMessage() for r in caplog.records) is warned, public_url


def test_an_output_file_the_cli_cannot_write_is_refused_before_any_work(settings: Settings, tmp_path: Any) -> None:
    nowhere = tmp_path / "no such folder"
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"externalId": "x"}\n', encoding="utf-8")
    commands = [
        ["report", "--province", "86", "--year", "2025", "--xlsx", str(nowhere / "r.xlsx")],
        ["export-products", "--format", "xlsx", "--output", str(nowhere / "p.xlsx")],
        ["import-products", str(rows), "--report", str(nowhere / "errors.csv")],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "cli", *command],
            cwd=PROJECT_ROOT,
            env=settings.child_environment(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "cannot write" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_report_errors_name_the_options_typed(settings: Settings) -> None:
    """The domain checks the report's last year as `toYear` and its province as `province`; the command line
    took them as --year and --province, and its errors say so."""
    cases = [
        (["--province", "86", "--year", "1900"], "--year", "must be between 2018 and"),
        (["--province", "86", "--year", "3000"], "--year", "must be between 2018 and"),
        (["--province", "Narnia", "--year", "2025"], "--province", "unknown province"),
    ]
    for arguments, option, reason in cases:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "report", *arguments],
            cwd=PROJECT_ROOT,
            env=settings.child_environment(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, (arguments, done.stdout, done.stderr)
        assert f"error {option}: " in done.stderr and reason in done.stderr, done.stderr
        assert "toYear" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_demo_keys_of_another_database_go_to_a_file_of_its_own(settings: Settings) -> None:
    from cli.common import keys_file

    default = settings.model_copy(update={"db_name": Settings.model_fields["db_name"].default})
    assert keys_file(default).name == "demo-keys.json"
    assert keys_file(default.model_copy(update={"db_name": "probe"})).name == "demo-keys-probe.json"
