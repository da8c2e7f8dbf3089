"""Property-based requests from the OpenAPI schema (schemathesis) against the real app: no
operation may answer 5xx, whatever the generated input. An editor token is sent so that
writes run for real (anonymous ones would stop at 401); admin-only operations get an admin token.

The operations are driven from one test with hypothesis directly: schemathesis' lazy pytest
fixture integration does not work with this pytest version, and the app only exists once the
module's database fixture has run.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_helpers import Api, make_api
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES = 4  # per operation; keeps the module well under a minute


@pytest.fixture(scope="module")
def fuzzed(module_db_url: str, tmp_path_factory: pytest.TempPathFactory):
    """Its own database: generated cases (odd text, control characters) stay out of the others' way."""
    yield from make_api(module_db_url, tmp_path_factory.mktemp("home-fuzz"))


def test_no_operation_answers_5xx(fuzzed: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    admin_paths = ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/rules/versions")
    for operation in operations:
        # editors for everything; admin-only operations again as admin so they run, not just 403
        headers = fuzzed.auth("admin" if operation.path.startswith(admin_paths) else "editor")
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case) -> None:  # run at once below, so `headers` is this loop's
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
