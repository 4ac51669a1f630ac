"""`GET /api/openapi.json`: the API described from the same pydantic models that validate its input (the report
filters, the offline batch, the broadcast request), so the document cannot drift from what is accepted.
`tests/test_openapi.py` runs schemathesis against it in `make test`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel

from gateway.web.batch import MAX_ITEMS, BatchItem
from gateway.web.broadcasts import BroadcastRequest
from reports.filters import ReportFilter

bp = Blueprint("openapi", __name__, url_prefix="/api")
REF = "#/components/schemas/{model}"
ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """`model`'s JSON schema with its nested definitions moved to the components."""
    schema = model.model_json_schema(ref_template=REF)
    components.update(schema.pop("$defs", {}))
    return schema


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "a bad value, named", 401: "no valid token", 403: "the token lacks the scope",
             404: "not found (or another centre's)", 413: "too large", 422: "not acceptable as asked",
             429: "too many refused requests from this address"}
    return {str(c): {"description": words[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _query_parameters(components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _schema(ReportFilter, components)
    return [{"name": name, "in": "query", "required": False, "schema": prop}
            for name, prop in schema["properties"].items()]


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api."""
    components: dict[str, Any] = {}
    item = _schema(BatchItem, components)
    components["BatchItem"] = item
    batch = {"type": "object", "additionalProperties": False, "required": ["reports"], "properties": {
        "device_id": {"type": "string", "maxLength": 64},
        "reports": {"type": "array", "maxItems": MAX_ITEMS, "items": {"$ref": REF.format(model="BatchItem")}}}}
    broadcast = _schema(BroadcastRequest, components)
    json_object = {"type": "object"}
    ok = {"content": {"application/json": {"schema": json_object}}}
    ticket = {"name": "ticket", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 16}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "NTS-Mekong Watch gateway API", "version": "1",
                 "description": "Scoped bearer tokens (`ntswatch tokens create`); a token sees its centres only."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/reports": {
                "get": {"summary": "Reports of the token's centres, newest first", "operationId": "listReports",
                        "parameters": _query_parameters(components),
                        "responses": {"200": {"description": "a page of reports and the true total", **ok},
                                      **_errors(400, 401, 403, 429)}},
                "post": {"summary": "Upload reports collected offline (idempotent per client_id)",
                         "operationId": "uploadReports",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": batch}}},
                         "responses": {"200": {"description": "one result per item", **ok},
                                       **_errors(400, 401, 403, 413, 429)}}},
            "/api/reports/{ticket}": {
                "get": {"summary": "One report with its deliveries", "operationId": "getReport",
                        "parameters": [ticket],
                        "responses": {"200": {"description": "the report", **ok}, **_errors(401, 403, 404, 429)}}},
            "/api/broadcasts": {
                "post": {"summary": "Queue an awareness broadcast", "operationId": "createBroadcast",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": broadcast}}},
                         "responses": {"202": {"description": "queued: its id and counts", **ok},
                                       **_errors(400, 401, 403, 404, 422, 429)}}},
            "/api/broadcasts/{broadcast_id}": {
                "get": {"summary": "How far a broadcast has gone", "operationId": "broadcastStatus",
                        "parameters": [{"name": "broadcast_id", "in": "path", "required": True,
                                        "schema": {"type": "string", "maxLength": 12}}],
                        "responses": {"200": {"description": "counts by state", **ok},
                                      **_errors(401, 403, 404, 429)}}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    """The API's description (public: it holds no data)."""
    return jsonify(document())
