"""GraphiQL served offline, and CORS as a real browser sees it.

The page and its files (api/graphiql.py) are checked over ASGI first. Then Debian's headless Chromium, driven
by Playwright, loads GraphiQL from the API on a real port with every request to anything but 127.0.0.1
refused (and host names unresolvable), types a query into the editor, runs it and reads the result pane; the
page must load nothing from elsewhere and break nothing of its Content-Security-Policy. Last, pages served
on other origins call the API with `fetch`: one from a dev origin gets the answer, one from an origin not
allowed is refused by the browser.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, Route, async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route as StarletteRoute

from api.app import create_app
from api.graphiql import ASSETS_PATH, OWN_FILES, PACKAGE_FILES
from api.settings import DEV_PORTS, Settings
from devservices.browser import BrowserError, ensure_chromium
from devservices.graphiql_assets import GraphiQLAssetsError, ensure_installed
from market.store import Store

LOOPBACK = "127.0.0.1"
QUERY = "{ provinces { code name } }"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def graphiql_files(settings: Settings) -> Path:
    try:
        return ensure_installed(settings)
    except GraphiQLAssetsError as exc:
        pytest.fail(f"GraphiQL's files could not be installed: {exc}")


@pytest.fixture(scope="module")
def chromium() -> Path:
    try:
        return ensure_chromium()
    except BrowserError as exc:
        pytest.fail(f"Chromium is needed for the browser tests: {exc}")


@pytest.fixture(scope="module")
async def client(settings: Settings, store: Store, graphiql_files: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as http:
        yield http


# ---------------------------------------------------------------------- the page and its files, over ASGI


async def test_the_page_names_only_its_own_files_under_a_strict_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script>" not in page and "<style" not in page and " style=" not in page, "nothing inline"
    assert "://" not in page, "no other host"
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    local = [ref for ref in references if ref != "data:,"]
    assert local and all(ref.startswith(ASSETS_PATH + "/") for ref in local), references
    for ref in local:
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "text/css"), ref
        assert asset.headers["x-content-type-options"] == "nosniff"

    policy = dict(
        directive.partition(" ")[::2] for directive in response.headers["content-security-policy"].split("; ")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    # GraphiQL's dialogs add a <style>: allowed by this response's nonce, which only the start-up script gets.
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{24})'", policy["style-src"])
    assert nonce is not None, policy["style-src"]
    assert re.findall(r'<script [^>]*nonce="([^"]*)"', page) == [nonce.group(1)]
    again = await client.get("/graphql", headers={"Accept": "text/html"})
    assert nonce.group(1) not in again.headers["content-security-policy"], "a nonce serves one response"
    assert policy["connect-src"] == "'self' ws://127.0.0.1:8000"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]


async def test_files_are_revalidated_and_only_the_listed_ones_are_served(client: httpx.AsyncClient) -> None:
    first = await client.get(f"{ASSETS_PATH}/graphiql.min.js")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = await client.get(f"{ASSETS_PATH}/graphiql.min.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert set(PACKAGE_FILES).isdisjoint(OWN_FILES)
    for name in ("package.json", "graphiql.min.js.map", "index.umd.js"):
        refused = await client.get(f"{ASSETS_PATH}/{name}")
        assert refused.status_code == 404, name
        assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await client.get(f"{ASSETS_PATH}/..%2F..%2Fpackage-lock.json")).status_code == 404


async def test_without_its_files_the_page_says_how_to_install_them(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    app = create_app(settings.model_copy(update={"home": tmp_path}), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
        assert response.status_code == 503
        assert "make install" in response.text and "<script" not in response.text
        assert "default-src 'self'" in response.headers["content-security-policy"]
        missing = await http.get(f"{ASSETS_PATH}/graphiql.min.js")
        assert missing.status_code == 404
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}


async def test_production_has_no_graphiql(settings: Settings, store: Store, graphiql_files: Path) -> None:
    app = create_app(settings.model_copy(update={"env": "production"}), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await http.get(f"{ASSETS_PATH}/graphiql.min.js")).status_code == 404


# ---------------------------------------------------------------------- in Chromium


def _free_port(candidates: Iterator[int]) -> socket.socket:
    """A listening socket on the first of `candidates` that is free on 127.0.0.1."""
    for port in candidates:
        sock = socket.socket()
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        return sock
    raise AssertionError("no free port among the candidates")


@asynccontextmanager
async def serving(app: Starlette, sockets: list[socket.socket]) -> AsyncIterator[None]:
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task
        for sock in sockets:
            sock.close()


@pytest.fixture(scope="module")
async def api_url(settings: Settings, graphiql_files: Path) -> AsyncIterator[str]:
    """The API on a real port, dev settings (GraphiQL on, the dev origins allowed), rate limits off."""
    assert settings.graphiql and not settings.rate_limit
    app = create_app(settings)
    sock = _free_port(iter([0]))
    try:
        async with serving(app, [sock]):
            yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    finally:
        await app.state.services.close()


# A page of another web app: it calls the API named in its address and shows what came back. JSON makes the
# call a non-simple request, so the browser asks with a preflight first.
PROBE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body><pre id="outcome">pending</pre>
<script>
  const api = new URLSearchParams(location.search).get("api");
  const show = (text) => { document.getElementById("outcome").textContent = text; };
  fetch(api, {method: "POST", headers: {"Content-Type": "application/json"},
              body: JSON.stringify({query: "{ __typename }"})})
    .then((response) => response.json())
    .then((body) => show("answer " + JSON.stringify(body)))
    .catch((error) => show("refused " + error.name + ": " + error.message));
</script></body></html>
"""


@pytest.fixture(scope="module")
async def origins() -> AsyncIterator[tuple[str, str]]:
    """The probe page on two origins: a dev origin the API allows, and a port it does not."""

    async def probe(request: Request) -> HTMLResponse:
        return HTMLResponse(PROBE_PAGE)

    allowed = _free_port(iter(DEV_PORTS))
    foreign = _free_port(iter([0]))
    app = Starlette(routes=[StarletteRoute("/", probe)])
    async with serving(app, [allowed, foreign]):
        yield (f"http://{LOOPBACK}:{allowed.getsockname()[1]}", f"http://{LOOPBACK}:{foreign.getsockname()[1]}")


@pytest.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            # No name resolves: a page that reached for a CDN by name would find nothing even if the route
            # guard below missed it.
            args=[f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}"],
        )
        try:
            yield launched
        finally:
            await launched.close()


class Watch:
    """What a page did: requests refused for leaving 127.0.0.1, script errors, console errors, and
    Content-Security-Policy violations."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.requests: list[str] = []

    async def guard(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == LOOPBACK:
            await route.continue_()
        else:
            self.outside.append(url)
            await route.abort("blockedbyclient")

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("request", lambda request: self.requests.append(request.url))


CSP_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__violations.push(event.violatedDirective + " " + event.blockedURI));
"""


async def _editor_value(page: Page, pane: str) -> str:
    value = await page.evaluate(
        "(pane) => document.querySelector(pane + ' .CodeMirror').CodeMirror.getValue()",
        pane,
    )
    assert isinstance(value, str)
    return value


async def test_graphiql_runs_a_query_in_chromium_with_nothing_from_outside(browser: Browser, api_url: str) -> None:
    context = await browser.new_context()
    watch = Watch()
    await context.route("**/*", watch.guard)
    await context.add_init_script(CSP_WATCH)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watch.attach(page)
    try:
        response = await page.goto(f"{api_url}/graphql")
        assert response is not None and response.status == 200
        assert "script-src 'self';" in (await response.all_headers())["content-security-policy"]

        editor = page.locator(".graphiql-query-editor .CodeMirror")
        await editor.wait_for(state="visible")
        await editor.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.press("Delete")
        await page.keyboard.type(QUERY)
        # The editor closes brackets as they are typed and types over them: the text must be the query.
        assert await _editor_value(page, ".graphiql-query-editor") == QUERY
        await page.locator(".graphiql-execute-button").click()

        await page.wait_for_function(
            "() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('provinces')"
        )
        result: dict[str, Any] = json.loads(await _editor_value(page, ".graphiql-response"))
        provinces = result["data"]["provinces"]
        assert len(provinces) >= 30 and "Hà Nội" in {p["name"] for p in provinces}, result
        # What a person sees in the result pane, not only the editor's model (it draws the lines in view).
        assert f'"name": "{provinces[0]["name"]}"' in (await page.locator(".graphiql-response").inner_text()).replace(
            "\xa0", " "
        )

        # The explorer plugin, and a dialog: it adds the one <style> the policy lets in by its nonce.
        await page.locator('button[aria-label="Show GraphiQL Explorer"]').click()
        await page.locator(".graphiql-explorer-root").wait_for(state="visible")
        await page.locator('button[aria-label="Open settings dialog"]').click()
        await page.get_by_role("dialog").wait_for(state="visible")
        assert await page.locator("head style[nonce]").count() >= 1
        await page.keyboard.press("Escape")
        await page.get_by_role("dialog").wait_for(state="detached")

        assert watch.outside == [], "the page reached beyond 127.0.0.1"
        assert all(url.startswith(api_url + "/") for url in watch.requests), watch.requests
        assert await page.evaluate("window.__violations") == []
        assert watch.errors == []
        assert [line for line in watch.console if line.startswith("error")] == []
    finally:
        await context.close()


async def test_a_dev_origin_reads_the_api_and_another_origin_is_refused(
    browser: Browser, api_url: str, origins: tuple[str, str], settings: Settings
) -> None:
    allowed, foreign = origins
    assert allowed in settings.allowed_origins and foreign not in settings.allowed_origins
    context = await browser.new_context()
    watch = Watch()
    await context.route("**/*", watch.guard)
    try:
        outcomes = {}
        for origin in (allowed, foreign):
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            watch.attach(page)
            await page.goto(f"{origin}/?api={api_url}/graphql")
            await page.wait_for_function("() => document.getElementById('outcome').textContent !== 'pending'")
            outcomes[origin] = await page.locator("#outcome").inner_text()
        assert outcomes[allowed] == 'answer {"data":{"__typename":"Query"}}'
        assert outcomes[foreign] == "refused TypeError: Failed to fetch"
        assert any("CORS policy" in line and foreign in line for line in watch.console), watch.console
        assert watch.outside == []
    finally:
        await context.close()
