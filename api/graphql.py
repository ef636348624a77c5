"""The GraphQL endpoint: Strawberry's ASGI view with our context and authentication.

HTTP requests are authenticated before Strawberry sees them, and run under a deadline for MongoDB
(`OCOP_DB_TIMEOUT`). WebSocket connections (subscriptions, over graphql-transport-ws only) are authenticated
at `connection_init`, from its payload or from the upgrade request's `Authorization` header; a connection
without a valid key is closed (4403), and so is every open connection of a key when it is revoked.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import pymongo
from cross_web import HTTPException  # what Strawberry raises for a malformed request
from graphql import GraphQLError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from api import graphiql
from api.auth import AuthUnavailable, InvalidApiKey, key_from_connection_params, key_from_headers
from api.caching import apply_caching
from api.clients import client_of
from api.media import GRAPHQL_RESPONSE, is_request_error, locale_of, preferred
from api.persisted import PersistedQueryError, document_id_as_extension
from api.services import Services
from schema.context import Context
from schema.loaders import Loaders
from schema.observability import note_error_code

# Bounds on what one WebSocket connection may hold (CVE-2026-35526): operations at once, and how long an
# unauthenticated socket may stay open before it sends `connection_init`.
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)


# The WebSocket close code for "try again later" (RFC 6455 registry): the key could not be checked.
TRY_AGAIN_LATER = 1013


def error_response(message: str, code: str, status: int, *, retry_after: int | None = None) -> JSONResponse:
    """A transport-level failure as a GraphQL response body, so clients parse one shape."""
    note_error_code(code)
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


_REFUSAL_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class RateLimited(Exception):
    """A batch asked for more operations than its sender's rate allows now."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"retry in {wait:.1f} s")
        self.wait = wait


@dataclass
class RefusedOperation(GraphQLRequestData):
    """An operation of a batch refused before execution, answered in its place in the batch."""

    refusal: PersistedQueryError | None = None


def _well_formed(operation: dict[str, Any]) -> bool:
    """The types of a batched operation's members, which Strawberry checks for single operations only."""
    return (
        isinstance(operation.get("query"), str | None)
        and isinstance(operation.get("variables"), dict | None)
        and isinstance(operation.get("extensions"), dict | None)
        and isinstance(operation.get("operationName"), str | None)
    )


def refusal_of(exc: HTTPException) -> JSONResponse:
    """Strawberry's refusals of a malformed request (bad JSON, no query, a mutation over GET...), which it
    answers in plain text, as GraphQL JSON with a code."""
    response = error_response(exc.reason, _REFUSAL_CODES.get(exc.status_code, "BAD_REQUEST"), exc.status_code)
    if exc.status_code == 405:
        response.headers["Allow"] = "GET, POST"
    return response


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go out as text frames, which clients expect; `encode_json` gives bytes
    for HTTP responses."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except (WebSocketDisconnect, RuntimeError) as exc:  # RuntimeError: closed here, by a revocation
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state is not WebSocketState.DISCONNECTED:
            await self.ws.close(code=code, reason=reason)

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        """Messages as graphql-transport-ws defines them. Strawberry trusts a `subscribe` message's payload
        to be an object, and drops the connection without a close code when it is not; such a message is
        closed with 4400 here, as the protocol asks for an invalid message."""
        async for message in super().iter_json(ignore_parsing_errors=ignore_parsing_errors):
            if isinstance(message, dict) and message.get("type") in ("connection_init", "ping", "pong"):
                if "payload" in message and message["payload"] is None:  # the protocol allows a null payload
                    message = {k: v for k, v in message.items() if k != "payload"}
            elif isinstance(message, dict) and message.get("type") == "subscribe":
                payload = message.get("payload")
                if not isinstance(payload, dict) or not _well_formed(payload):
                    await self.close(4400, "Invalid message: subscribe needs a payload object")
                    return
                try:
                    message = {**message, "payload": await self._resolved(payload)}
                except PersistedQueryError as exc:
                    error = {"message": exc.message, "extensions": {"code": exc.code}}
                    await self.send_json({"id": message.get("id"), "type": "error", "payload": [error]})
                    continue
                if not isinstance(message["payload"].get("query"), str):
                    await self.close(4400, "Invalid message: subscribe needs a payload with a query string")
                    return
            yield message

    async def _resolved(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with its document's text, when it names a persisted or trusted document."""
        payload = document_id_as_extension(payload)
        view = self.view
        assert isinstance(view, GraphQLEndpoint)
        request = GraphQLRequestData(
            query=payload.get("query"),
            variables=payload.get("variables"),
            operation_name=payload.get("operationName"),
            extensions=payload.get("extensions"),
        )
        resolved = await view.services.persisted.resolve(request)
        return {**payload, "query": resolved.query}


class GraphQLEndpoint(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(
        self,
        schema: BaseSchema,
        services: Services,
        *,
        graphiql: bool,
        allowed_origins: Sequence[str] = (),
        single_path: bool = True,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            allowed_origins=allowed_origins,  # WebSocket upgrades from pages on other origins
            # File uploads (the GraphQL multipart request spec). Keys travel in a header, never in cookies, so
            # a cross-site form post carries no credentials.
            multipart_uploads_enabled=True,
        )
        self.services = services
        # One JSON operation posted takes `_run_single`; off (with OCOP_SHORT_PATH=false), Strawberry's `run`.
        self.single_path = single_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                viewer = await self.services.auth.principal(key_from_headers(request.headers))
            except InvalidApiKey as exc:
                refused = error_response(str(exc), "UNAUTHENTICATED", 401)
                refused.headers["WWW-Authenticate"] = 'Bearer realm="ocop-market"'
                await refused(scope, receive, send)
                return
            except AuthUnavailable as exc:
                await error_response(str(exc), "UNAVAILABLE", 503, retry_after=1)(scope, receive, send)
                return
            scope.setdefault("state", {})["viewer"] = viewer
            with pymongo.timeout(self.services.settings.db_timeout):
                try:
                    single = await self._single_operation(request) if self.single_path else None
                    response = await (self.run(request) if single is None else self._run_single(request, single))
                except HTTPException as exc:
                    response = refusal_of(exc)
                except StarletteHTTPException as exc:  # Starlette's refusal of a malformed multipart body
                    response = error_response(
                        exc.detail, _REFUSAL_CODES.get(exc.status_code, "BAD_REQUEST"), exc.status_code
                    )
                except PersistedQueryError as exc:
                    response = error_response(exc.message, exc.code, exc.status)
                except RateLimited as exc:
                    retry = max(1, math.ceil(exc.wait))
                    response = error_response(
                        f"too many requests; retry in {retry} s", "RATE_LIMITED", 429, retry_after=retry
                    )
                if isinstance(response, JSONResponse) and preferred(request.headers.get("accept")) == GRAPHQL_RESPONSE:
                    response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"  # a refusal, too
            response = apply_caching(request, response, self.services.settings.public_max_age)
            await response(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["viewer"] = None  # set by on_ws_connect
        try:
            await super().__call__(scope, receive, send)
        finally:
            if (socket := state.get("socket")) is not None:
                self.services.sockets.remove(socket[0], socket[1])
            if (context := state.get("context")) is not None:
                await context.close_feeds()

    async def _single_operation(self, request: Request) -> GraphQLRequestData | None:
        """The operation of a POST whose JSON body holds one, well formed; None for anything else (a GET,
        a batch, an upload, a streamed response, a malformed body), which Strawberry's `run` answers."""
        if request.method != "POST":
            return None
        content_type, _ = parse_content_type(request.headers.get("content-type") or "")
        if "application/json" not in content_type or self._get_stream_transport_from_headers(request.headers):
            return None
        try:
            data = self.parse_json(await request.body())  # the body is kept: `run` reads it again if need be
        except HTTPException:
            return None
        if not isinstance(data, dict):
            return None
        query, variables, extensions = data.get("query"), data.get("variables"), data.get("extensions")
        if not (
            isinstance(query, str | None) and isinstance(variables, dict | None) and isinstance(extensions, dict | None)
        ):
            return None
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
            protocol="http",
        )

    async def _run_single(self, request: Request, request_data: GraphQLRequestData) -> Response:
        """Strawberry's `run` for one operation posted as JSON, in the same steps, without those that decide
        nothing for it: the WebSocket and IDE checks, the method check, the parsing, the batch and stream
        branches. `get_root_value` is not asked: this view does not override it, and Strawberry's gives None."""
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        request_data = await self.services.persisted.resolve(request_data)
        result = await self.execute_single(
            request, self.request_adapter_class(request), sub_response, context, None, request_data
        )
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws `connection_init`: the key from its payload, else from the upgrade request."""
        try:
            key = key_from_connection_params(context.connection_params or {})
            if key is None and context.request is not None:
                key = key_from_headers(context.request.headers)
            viewer = await self.services.auth.principal(key)
        except InvalidApiKey as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        except AuthUnavailable as exc:
            if isinstance(context.request, WebSocket):
                await context.request.close(TRY_AGAIN_LATER, str(exc))
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        if viewer is None:
            raise ConnectionRejectionError({"message": "subscriptions need an API key in connection_init"})
        context.viewer = viewer
        if isinstance(context.request, WebSocket):
            state = context.request.scope.setdefault("state", {})
            state["viewer"] = viewer
            if viewer.key_id is not None:
                self.services.sockets.add(viewer.key_id, context.request)
                state["socket"] = (viewer.key_id, context.request)
        return UNSET

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """A request body: a JSON object (one operation) or an array of them (a batch), nothing else. An
        operation may name its document by id instead of sending it (api/persisted.py)."""
        parsed = super().parse_json(data)
        if isinstance(parsed, list):
            if not parsed:
                raise HTTPException(400, "a batch must hold at least one operation")
            if not all(isinstance(item, dict) and _well_formed(item) for item in parsed):
                raise HTTPException(400, "each operation of a batch must be a JSON object with `query`")
            return [document_id_as_extension(item) for item in parsed]
        if not isinstance(parsed, dict):
            raise HTTPException(400, "the request body must be a JSON object with `query`")
        return document_id_as_extension(parsed)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET that names a persisted document is an operation, not a visit to GraphiQL."""
        if request.method != "GET":
            return False  # and the query string of a POST is not parsed for nothing
        params = request.query_params
        named = any(params.get(name) is not None for name in ("extensions", "documentId", "doc_id"))
        return not named and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Strawberry's page loads GraphiQL from a CDN; ours from this API's own copy (api/graphiql.py)."""
        return graphiql.page(request, self.services.settings.home)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        return document_id_as_extension(super().parse_query_params(params))

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, list):
            return [await self._resolved_in_batch(item) for item in parsed]
        return await self.services.persisted.resolve(parsed)

    async def _resolved_in_batch(self, item: GraphQLRequestData) -> GraphQLRequestData:
        """In a batch an unknown persisted document fails its own operation only: Apollo's batch link
        expects one result per operation, and its persisted-query link retries the one that failed."""
        try:
            return await self.services.persisted.resolve(item)
        except PersistedQueryError as exc:
            return RefusedOperation(query=None, variables=None, operation_name=None, extensions=None, refusal=exc)

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Any,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        if isinstance(request_data, list):
            state = request.scope.setdefault("state", {})
            state["batch"] = True  # read by process_result
            charge = state.get("rate_charge")
            if charge is not None and len(request_data) > 1 and (wait := charge(len(request_data) - 1)):
                raise RateLimited(wait)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if isinstance(request_data, RefusedOperation):
            refusal = request_data.refusal
            assert refusal is not None
            return ExecutionResult(data=None, errors=[GraphQLError(refusal.message, extensions={"code": refusal.code})])
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)
        # If the database is out of reach the operation has still run: its text is stored the next time.
        with contextlib.suppress(PersistedQueryError):
            await self.services.persisted.register(request_data, is_request_error(result.data, result.errors))
        return result

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        sub_response: Response | None = request.scope.get("state", {}).get("sub_response")
        if sub_response is not None and preferred(request.headers.get("accept")) == GRAPHQL_RESPONSE:
            sub_response.media_type = GRAPHQL_RESPONSE
            # In a batch the others may have run (mutations included): only a lone refused request is a 400.
            if is_request_error(result.data, result.errors) and not request.scope.get("state", {}).get("batch"):
                sub_response.status_code = 400
                body.pop("data", None)
        return body

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state: dict[str, Any] = request.scope.setdefault("state", {})
        locale = locale_of(request.headers.get("accept-language"))
        if isinstance(response, Response):
            state["sub_response"] = response  # where process_result sets the media type and status
            response.headers["Content-Language"] = locale  # of the error messages and labels
        context = Context(
            store=self.services.store,
            search=self.services.search,
            viewer=state.get("viewer"),
            loaders=Loaders.create(self.services.store),
            board=self.services.board,
            rfq_invites=self.services.settings.rfq_invites,
            request=request,
            response=response,
            locale=locale,
            public_url=self.services.settings.public_url,
            client_address=client_of(request.scope),
        )
        if isinstance(request, WebSocket):
            state["context"] = context  # one for the connection: its streams are closed with it
        return context
