"""The JSON API exercised against its own OpenAPI schema with schemathesis: whatever the generated input
(paths, query strings, bodies), the API never answers with a server error. Runs on SQLite with a small
fictitious file and a coordinator's token, so most requests reach the services."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from raj_release.domain import Milestone, MilestoneKind

pytestmark = pytest.mark.slow


@pytest.fixture
def api_app(ctx):
    from raj_release.services.auth import create_token
    from raj_release.services.persons import register_person
    from raj_release.services.workers import register_worker
    from raj_release.web.app import create_app

    if ctx.db.engine.dialect.name != "sqlite":
        pytest.skip("schemathesis runs once, on SQLite")
    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role)
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=dt.date(2026, 11, 23), needs=["housing"],
                    milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15))])
    app = create_app(ctx, secret=b"schemathesis")
    app.state.token = create_token(ctx, "coord", "schemathesis")
    return app


def test_no_server_error_on_generated_input(api_app):
    # Driven programmatically: schemathesis' pytest plugin does not combine with this suite's parametrized
    # fixtures under pytest 9. One Hypothesis run per operation of the schema.
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api_app)
    headers = {"Authorization": f"Bearer {api_app.state.token}"}
    seen, statuses = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case):
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text}")

        no_server_error()
    assert {"GET /api/me", "GET /api/persons", "GET /api/persons/{ref}/plan", "GET /api/overdue",
            "PUT /api/persons/{ref}/demarches/{key}/status", "PUT /api/persons/{ref}/milestones/{kind}"} <= set(seen)
    assert len(statuses) >= 6 * 10 and 200 in statuses and 422 in statuses  # it really exercised the API
