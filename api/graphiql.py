"""GraphiQL in development, served whole by the API so that it works without the internet.

The page at /graphql (a browser's GET) loads React, GraphiQL and its explorer plugin from /graphiql/assets/,
where this module serves a fixed list of files from the npm packages that `make install` puts under
OCOP_HOME/graphiql (devservices/graphiql_assets.py pins them by hash), plus the page's own start-up script
and styles from api/static/. The page carries no inline script or style, so its Content-Security-Policy
allows scripts and stylesheets from this origin only, and connections to this origin over HTTP and
WebSocket. GraphiQL's dialogs add a `<style>` element at run time (their scroll lock): that one is allowed
by a nonce made for each response, which the start-up script gives to the style elements the page creates.
Production serves neither the page nor the files (settings.graphiql is off).
"""

from __future__ import annotations

import html
import os
import re
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.settings import Settings

ASSETS_PATH = "/graphiql/assets"
STATIC = Path(__file__).resolve().parent / "static"

# Served name -> the file inside node_modules. Only these are served: the packages hold much more.
PACKAGE_FILES = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
    "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
}
OWN_FILES = {"ocop-graphiql.js": "graphiql.js", "ocop-graphiql.css": "graphiql.css"}

# In the order the page loads them: React first, GraphiQL's UMD bundles read it from `window`.
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "plugin-explorer.umd.js")
STYLES = ("graphiql.min.css", "plugin-explorer.css", "ocop-graphiql.css")
START_SCRIPT = "ocop-graphiql.js"

# A Host header that may be written into the policy as it is (a name or address, and a port).
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install_dir(home: Path) -> Path:
    """Where devservices/graphiql_assets.py installs the npm packages: OCOP_HOME/graphiql."""
    return home.expanduser() / "graphiql"


def modules_dir(home: Path) -> Path:
    return install_dir(home) / "node_modules"


def missing_files(modules: Path) -> list[str]:
    """The files of PACKAGE_FILES that `modules` (a node_modules directory) lacks."""
    return [path for path in PACKAGE_FILES.values() if not (modules / path).is_file()]


def content_security_policy(request: Request, style_nonce: str) -> str:
    """Everything from this origin only. Fonts and the empty favicon are data: URLs (GraphiQL's stylesheet
    embeds its fonts). WebSocket sources are named as well, for subscriptions: not every browser counts
    ws: of the same host as 'self'."""
    connect = ["'self'"]
    host = request.headers.get("host", "")
    if _HOST.fullmatch(host):
        connect.append(f"{'wss' if request.url.scheme == 'https' else 'ws'}://{host}")
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": f"'self' 'nonce-{style_nonce}'",
        "img-src": "'self' data:",
        "font-src": "'self' data:",
        "connect-src": " ".join(connect),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def page(request: Request, home: Path) -> HTMLResponse:
    """The GraphiQL page, or, while its files are not installed, a page that says how to install them."""
    nonce = secrets.token_urlsafe(18)
    headers = {**_SECURITY_HEADERS, "Cache-Control": "no-store"}
    headers["Content-Security-Policy"] = content_security_policy(request, nonce)
    missing = missing_files(modules_dir(home))
    if missing:
        return HTMLResponse(_not_installed(home, missing), status_code=503, headers=headers)
    base = request.scope.get("root_path", "") + ASSETS_PATH
    styles = "\n".join(f'    <link rel="stylesheet" href="{base}/{name}">' for name in STYLES)
    scripts = "\n".join(f'    <script defer src="{base}/{name}"></script>' for name in SCRIPTS)
    # The nonce rides on the start-up script's element, where browsers hide it from the page's markup.
    scripts += f'\n    <script defer src="{base}/{START_SCRIPT}" nonce="{nonce}"></script>'
    body = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>GraphiQL · ocop-market</title>
    <link rel="icon" href="data:,">
{styles}
{scripts}
  </head>
  <body>
    <div id="graphiql">Loading…</div>
  </body>
</html>
"""
    return HTMLResponse(body, headers=headers)


def _not_installed(home: Path, missing: list[str]) -> str:
    where = html.escape(str(install_dir(home)))
    files = "".join(f"<li><code>{html.escape(name)}</code></li>" for name in missing)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>GraphiQL is not installed · ocop-market</title>
    <link rel="icon" href="data:,">
  </head>
  <body>
    <h1>GraphiQL's files are not installed</h1>
    <p>This API serves GraphiQL from its own copy of the npm packages, under <code>{where}</code>. Install
    them from the project's directory, then reload this page:</p>
    <pre>make install</pre>
    <p>or, in an installed environment: <code>python -m devservices.graphiql_assets</code>.
    The API answers GraphQL requests (POST, or GET with a <code>query</code>) meanwhile.</p>
    <p>Missing:</p>
    <ul>{files}</ul>
  </body>
</html>
"""


def routes(settings: Settings) -> list[BaseRoute]:
    """The route of GraphiQL's files in dev; none in production, where those paths are not found."""
    if not settings.graphiql:
        return []
    modules = modules_dir(settings.home)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name in PACKAGE_FILES:
            path = modules / PACKAGE_FILES[name]
        elif name in OWN_FILES:
            path = STATIC / OWN_FILES[name]
        else:
            return _not_found(name)
        try:
            stat = os.stat(path)
        except OSError:
            return _not_found(name)
        # Revalidated on every load (a reinstall may change a file under the same name), answered 304 when
        # unchanged.
        headers = {**_SECURITY_HEADERS, "Cache-Control": "no-cache"}
        response = FileResponse(path, stat_result=stat, headers=headers)
        etag = response.headers["etag"]
        if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
            return Response(status_code=304, headers={**headers, "ETag": etag})
        return response

    return [Route(ASSETS_PATH + "/{name}", asset, methods=["GET", "HEAD"], name="graphiql-assets")]


def _not_found(name: str) -> JSONResponse:
    body = {"data": None, "errors": [{"message": f"no GraphiQL file {name!r}", "extensions": {"code": "NOT_FOUND"}}]}
    return JSONResponse(body, status_code=404)
