"""``GET /reports/{question}`` beside other requests, and its limits, over real HTTP."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_service.audit import read_records
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.cli.load import load_input
from graph_service.config import Settings
from graph_service.ingest.generator import generate
from graph_service.reports import run as report_run
from tests.api.conftest import running

UNLIMITED = {"rate_limit_subject": "100000/second", "rate_limit_address": "100000/second"}
"""Rate limits no test reaches: the tests below send requests as fast as they can."""
COVERAGE = '{ payrollCoverage(enterpriseId: "E1") { employees covered } }'
REFER = """mutation($in: CreateReferralInput!) { createReferral(input: $in) { id } }"""


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bank of 20,000 people, loaded into a data directory (module-wide).

    A download of ``uncoveredEmployees`` then takes long enough (tens of chunks of
    encoding, thousands of rows) to overlap the GraphQL requests sent meanwhile.
    """
    base = tmp_path_factory.mktemp("downloads")
    generate(20_000, 3, base / "input")
    load_input(Settings(data_dir=base / "data"), "canonical", base / "input")
    return base / "data"


def in_threads(*work: Callable[[], None]) -> None:
    """Run each function in a thread of its own; re-raise the first failure."""
    failures: list[BaseException] = []

    def guarded(function: Callable[[], None]) -> None:
        try:
            function()
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_downloads_and_graphql_run_side_by_side(generated_dir: Path) -> None:
    """Downloads beside queries and mutations: every answer whole and right.

    The download used to read the embedded store on the server's loop while GraphQL ran on
    the execution thread: the same SQLite connection and in-memory graph from two threads
    answered 503 ``cannot start a transaction within a transaction``, HTTP 500 and reset
    connections, to downloads and GraphQL alike."""
    with running(generated_dir, **UNLIMITED) as client:
        http: httpx.Client = client.http
        expected = {fmt: http.get("/reports/uncoveredEmployees", params={"format": fmt})
                    for fmt in ("csv", "parquet")}  # fmt: skip
        assert all(r.status_code == 200 for r in expected.values())
        assert expected["csv"].text.count("\n") > 1_000
        coverage = client.data(COVERAGE)

        def downloads(fmt: str) -> Callable[[], None]:
            def run() -> None:
                with httpx.Client(base_url=http.base_url, headers=http.headers,
                                  timeout=60) as own:  # fmt: skip
                    for _ in range(5):
                        got = own.get("/reports/uncoveredEmployees", params={"format": fmt})
                        assert got.status_code == 200, got.text[:300]
                        assert got.content == expected[fmt].content

            return run

        def graphql(worker: int) -> Callable[[], None]:
            def run() -> None:
                with httpx.Client(base_url=http.base_url, headers=http.headers,
                                  timeout=60) as own:  # fmt: skip
                    for n in range(40):
                        asked = own.post("/graphql", json={"query": COVERAGE}).json()
                        assert asked == {"data": coverage}, asked
                        referral: dict[str, Any] = {"in": {
                            "party": {"label": "PERSON", "id": "P1"}, "toManagerId": "M1",
                            "idempotencyKey": f"side-by-side-{worker}-{n}"}}
                        made = own.post("/graphql", json={"query": REFER,
                                                          "variables": referral}).json()
                        assert "errors" not in made, made

            return run

        in_threads(downloads("csv"), downloads("csv"), downloads("parquet"),
                   graphql(1), graphql(2), graphql(3))


def refusal(response: httpx.Response, status: int, code: str = "BAD_USER_INPUT") -> str:
    """The message of a GraphQL-shaped refusal of ``status`` and ``code``."""
    assert response.status_code == status, response.text[:300]
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code, error
    return str(error["message"])


def test_where_is_capped_and_long_values_are_not_echoed(small_bank_dir: Path) -> None:
    """2,900 ``where=blocked=false`` held the server's loop 7 s on a 20,000-person bank;
    a 60 KB ``by``, ``where`` or ``format`` came back whole in the 400 message."""
    long = "x" * 60_000
    with running(small_bank_dir) as client:
        http: httpx.Client = client.http
        many = http.get("/reports/payrollCoverage", params={"where": ["blocked=false"] * 2_900})
        assert refusal(many, 400) == "where is given 2,900 times; a report takes at most 20"
        for params in ({"by": long}, {"where": long}, {"format": long}, {"arg": long}):
            refused = http.get("/reports/payrollCoverage", params=params)
            assert "x\u2026" in refusal(refused, 400) and len(refused.content) < 1_000, params
        unknown = http.get(f"/reports/{'x' * 20_000}")
        assert "x\u2026" in refusal(unknown, 404, "NOT_FOUND") and len(unknown.content) < 1_000


def record_of(data_dir: Path, request_id: str) -> dict[str, Any]:
    """The one audit record of the request ``request_id``."""
    (record,) = [r for r in read_records(data_dir / "audit") if r["request_id"] == request_id]
    return record


def test_a_report_past_its_time_limit_is_refused_or_cut(
    generated_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GRAPH_SERVICE_REPORT_TIMEOUT_S: refused with 503 QUERY_TIMEOUT before the first byte;
    after it, the download ends without its last chunk, as when the store fails, and the
    audit record says QUERY_TIMEOUT (a download had no time limit at all)."""
    with running(generated_dir, report_timeout_s=1e-6) as client:
        refused = client.http.get("/reports/crossSellGaps")
        assert "(GRAPH_SERVICE_REPORT_TIMEOUT_S)" in refusal(refused, 503, "QUERY_TIMEOUT")
    # 20,000 people 5 at a time: a second's work, past half a second; the subjects (every
    # person's id) take milliseconds.
    monkeypatch.setattr(report_run, "CHUNK_SIZE", 5)
    rid = uuid.uuid4().hex
    with running(generated_dir, report_timeout_s=0.5) as client:
        with client.http.stream("GET", "/reports/crossSellGaps",
                                headers={"X-Request-ID": rid}) as cut:  # fmt: skip
            assert cut.status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):
                cut.read()
        whole = client.http.get("/reports/payrollCoverage")  # the service answers on
        assert whole.status_code == 200 and whole.text.count("\n") > 100
    record = record_of(generated_dir, rid)
    assert (record["operation"], record["outcome"], record["error_codes"]) == (
        "crossSellGaps", "error", ["QUERY_TIMEOUT"])


def test_refused_and_abandoned_downloads_are_audited_as_such(
    generated_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused report was recorded with ``operation: null`` (``graph-service audit``
    could not tell which report), and a download the client abandoned with ``outcome:
    ok``."""
    issuer = LocalIssuer(generated_dir)
    manager = {"Authorization": f"Bearer {issuer.issue('mo', Role.MANAGER, 'M1')}"}
    long = "y" * 5_000
    monkeypatch.setattr(report_run, "CHUNK_SIZE", 5)  # a second's work: abandoned before
    with running(generated_dir) as client:
        http: httpx.Client = client.http
        refused = {}
        for path, params, headers, status in [
            ("/reports/payrollCoverage", {}, manager, 403),
            (f"/reports/{long}", {}, {}, 404),
            ("/reports/payrollCoverage", {"by": "nosuch"}, {}, 400),
        ]:
            rid = uuid.uuid4().hex
            answer = http.get(path, params=params, headers={**headers, "X-Request-ID": rid})
            assert answer.status_code == status, answer.text[:300]
            refused[status] = rid
        abandoned = uuid.uuid4().hex
        with http.stream("GET", "/reports/crossSellGaps",
                         headers={"X-Request-ID": abandoned}) as download:  # fmt: skip
            assert download.status_code == 200
            next(download.iter_bytes())  # a first chunk, then the client hangs up
        deadline = time.monotonic() + 10
        while not [r for r in read_records(generated_dir / "audit")
                   if r["request_id"] == abandoned] and time.monotonic() < deadline:
            time.sleep(0.05)
    shown = [(r["subject"], r["operation"], r["operation_type"], r["root_fields"],
              r["outcome"], r["error_codes"])
             for r in (record_of(generated_dir, refused[s]) for s in (403, 404, 400))]
    assert shown == [
        ("mo", "payrollCoverage", "report", ["payrollCoverage"], "error", ["FORBIDDEN"]),
        ("test-admin", "y" * 100 + "\u2026", "report", [], "error", ["NOT_FOUND"]),
        ("test-admin", "payrollCoverage", "report", ["payrollCoverage"], "error",
         ["BAD_USER_INPUT"]),
    ]
    record = record_of(generated_dir, abandoned)
    assert (record["operation"], record["outcome"], record["error_codes"]) == (
        "crossSellGaps", "error", ["CLIENT_DISCONNECTED"])


def test_unknown_and_repeated_parameters_are_refused(small_bank_dir: Path) -> None:
    """``?foo=bar`` and a misspelt ``args=`` were ignored, a second ``format`` or ``by``
    silently won: each answered another report than the one asked for."""
    known = "a report takes format, by, where, arg"
    with running(small_bank_dir) as client:
        http: httpx.Client = client.http
        for params, message in [
            ({"foo": "bar"}, f"unknown query parameter 'foo'; {known}"),
            ({"args": 'productTypes=["x"]'}, f"unknown query parameter 'args'; {known}"),
            ({"format": ["csv", "parquet"]}, "format is given 2 times; it takes one value"),
            ({"by": ["enterprise", "enterprise"]}, "by is given 2 times; it takes one value"),
            ({"z" * 5_000: "1"}, f"unknown query parameter '{'z' * 99}\u2026'; {known}"),
        ]:
            refused = http.get("/reports/uncoveredEmployees", params=params)
            assert refusal(refused, 400) == message
        two = http.get("/reports/payrollCoverage", params={"where": ["blocked=false", "id=E2"]})
        assert two.status_code == 200 and two.text.splitlines()[1].startswith("E2,")
        assert http.get("/graphql", params={"query": "{ __typename }", "foo": "1"}).json() == {
            "data": {"__typename": "Query"}}  # /graphql's parameters are its own
