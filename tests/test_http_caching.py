"""Public GET answers are cacheable with a strong ETag and 304; anything sent with a key is never stored."""

from __future__ import annotations

from tests.conftest import Api, World

PROVINCES = "{ provinces { code name } }"


async def test_a_public_get_is_cacheable_and_revalidates_to_304(api: Api) -> None:
    first = await api.client.get("/graphql", params={"query": PROVINCES}, headers={"Accept": "application/json"})
    assert first.status_code == 200
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await api.client.get(
        "/graphql", params={"query": PROVINCES}, headers={"Accept": "application/json", "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = await api.client.get(
        "/graphql", params={"query": "{ provinces { code } }"}, headers={"If-None-Match": etag}
    )
    assert other.status_code == 200 and other.headers["etag"] != etag


async def test_keyed_requests_posts_and_errors_are_not_stored(api: Api, world: World) -> None:
    keyed = await api.client.get(
        "/graphql", params={"query": PROVINCES}, headers={"Authorization": f"Bearer {api.keys['buyer']}"}
    )
    assert keyed.status_code == 200 and keyed.headers["cache-control"] == "private, no-store"
    assert "etag" not in keyed.headers
    posted = await api.client.post("/graphql", json={"query": PROVINCES})
    assert posted.headers["cache-control"] == "no-store"
    failed = await api.client.get("/graphql", params={"query": "{ products(first: 500) { totalCount } }"})
    assert failed.headers["cache-control"] == "no-store"


async def test_representations_have_their_own_tags_and_keys_vary(api: Api) -> None:
    english = await api.client.get("/graphql", params={"query": PROVINCES}, headers={"Accept-Language": "en"})
    vietnamese = await api.client.get("/graphql", params={"query": PROVINCES}, headers={"Accept-Language": "vi"})
    strict = await api.client.get(
        "/graphql", params={"query": PROVINCES}, headers={"Accept": "application/graphql-response+json"}
    )
    assert len({english.headers["etag"], vietnamese.headers["etag"], strict.headers["etag"]}) == 3
    vary = {v.strip().lower() for v in english.headers["vary"].split(",")}
    assert {"accept", "accept-language", "authorization", "x-api-key"} <= vary
