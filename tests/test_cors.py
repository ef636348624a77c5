"""Browser apps on other origins: preflights, the headers on answers, and WebSocket upgrades."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from market.store import Store

APP_ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
async def client(settings: Settings, store: Store) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        yield http


async def test_a_preflight_from_a_dev_origin_is_204_with_the_allowed_headers(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, apollographql-client-name",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "apollographql-client-name", "apollo-require-preflight"} <= allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_answers_carry_the_origin_and_foreign_origins_get_nothing(client: httpx.AsyncClient) -> None:
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": APP_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == APP_ORIGIN
    foreign = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in foreign.headers
    refused = await client.options(
        "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert refused.status_code == 400


def test_origins_default_to_local_in_dev_and_none_in_production() -> None:
    assert APP_ORIGIN in Settings(_env_file=None).allowed_origins
    assert Settings(_env_file=None, OCOP_ENV="production").allowed_origins == []
    chosen = Settings(
        _env_file=None, OCOP_ENV="production", OCOP_CORS_ORIGINS="https://shop.example, https://b.example/"
    )
    assert chosen.allowed_origins == ["https://shop.example", "https://b.example"]
