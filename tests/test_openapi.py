"""`/api/openapi.json` and the API against it: schemathesis generates requests from the document (valid and
not) and checks every answer — no server error, a status and a body the document allows. An unknown filter or a
value outside its enum is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from gateway.app import create_app
from reports.context import Context
from tests.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def test_the_api_answers_as_its_document_says(ctx: Context) -> None:
    # One hypothesis run per operation, in this test (schemathesis' lazy pytest loader does not work on pytest 9).
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", create_app(context=ctx))
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]  # Err: a bug
    assert len(operations) == 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_as_documented(case: Any) -> None:
            # schemathesis also tries wrong tokens; forget them, or the guard's 429 (30 refusals) would answer
            for key in ctx.redis.scan_iter("nts:refused:*"):
                ctx.redis.delete(key)
            case.call_and_validate(headers=AUTH)

        answers_as_documented()


def test_document_describes_every_api_route(ctx: Context) -> None:
    app = create_app(context=ctx)
    document = app.test_client().get("/api/openapi.json").get_json()
    documented = {p.replace("{", "<").replace("}", ">") for p in document["paths"]}
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/") and r.rule != "/api/openapi.json"}
    assert routes == documented
    assert {"category", "status", "q", "limit"} <= {p["name"] for p in document["paths"]["/api/reports"]["get"]
                                                   ["parameters"]}


@pytest.mark.parametrize(("query", "named"), [("colour=red", "colour"), ("status=lost", "status"),
                                              ("category=weapons", "category"), ("limit=0", "limit")])
def test_unknown_filters_and_bad_enums_are_400(ctx: Context, query: str, named: str) -> None:
    client: FlaskClient = create_app(context=ctx).test_client()
    resp = client.get(f"/api/reports?{query}", headers=AUTH)
    assert resp.status_code == 400 and named in resp.get_json()["error"]
