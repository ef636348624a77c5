"""The GraphQL endpoint: Strawberry's ASGI view with our context and authentication."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema

from api.auth import InvalidApiKey, key_from_headers
from api.services import Services
from schema.context import Context
from schema.loaders import Loaders


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, services: Services, *, graphiql: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if graphiql else None, allow_queries_via_get=True)
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                viewer = await self.services.auth.principal(key_from_headers(request.headers))
            except InvalidApiKey as exc:
                body = {
                    "data": None,
                    "errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}],
                }
                await JSONResponse(body, status_code=401)(scope, receive, send)
                return
            scope.setdefault("state", {})["viewer"] = viewer
        await super().__call__(scope, receive, send)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state: dict[str, Any] = request.scope.get("state", {})
        return Context(
            store=self.services.store,
            search=self.services.search,
            viewer=state.get("viewer"),
            loaders=Loaders.create(self.services.store),
            board=self.services.board,
            request=request,
            response=response,
        )
