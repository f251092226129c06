"""The peers: one adapter per store answering the benchmark's questions on the same bank.

Every adapter has the same shape (:class:`Peer`): ``setup`` loads the bank and reports the
load (and start-up) figures, ``modes`` gives one answering function per way of asking
(``in-process`` and, for our service, ``http``), ``bulk`` answers payroll coverage for
every enterprise. Answers are normalized (:mod:`questions`) so the guard compares them.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import psutil
import pyarrow.parquet as pq
from bank import read_rows
from measure import GRAPH_SERVICE, first_answer, run_measured, served, throughput, timed
from questions import (
    ACTIVE,
    ANALYTICS,
    CIRCLE_LENGTH,
    DEPTH,
    DOCUMENTS,
    EXECUTIVE_ROLE,
    LEAD_HOPS,
    LEAD_KINDS,
    LEAD_TYPES,
    MAX_HOPS,
    MAX_NETWORK_NODES,
    NETWORK_TYPES,
    PAGE,
    PAGERANK,
    PAYROLL_PRODUCTS,
    PRIVATE_BANKING_PRODUCTS,
    PRIVATE_SEGMENT,
    circles_page,
    groups_page,
    influence_page,
    lead_page,
    network,
    normalize,
    page,
    rollup,
    search_page,
    variables,
)

from graph_service.api.execution import decode_in_background
from graph_service.api.fast_path import prepared_schema, schema_for
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.config import Settings
from graph_service.errors import StoreUnavailableError
from graph_service.memory import frozen_heap
from graph_service.search_text import words
from graph_service.stores import open_store
from graph_service.stores.falkordb_server import free_port, running_falkordb

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BULK_DOCUMENT = REPO / "queries" / "examples" / "payroll-coverage.graphql"
BULK_TIMES = re.compile(
    r"(?P<lines>\d+) lines run in (?P<seconds>[\d.]+) s \(store opened in (?P<opened>[\d.]+) s\)"
)
"""The line ``graph-service query`` ends a bulk run with (see ``query --help``)."""

Answer = Callable[[str, Any], Any]
"""Answer one question (name, workload item) with its normalized answer."""

Coverages = dict[str, list[int]]
"""Payroll coverage by enterprise id: ``[employees, covered]``."""

PARAMETERS = {
    "first": PAGE,
    "max_hops": MAX_HOPS,
    "max_nodes": MAX_NETWORK_NODES,
    "payroll": PAYROLL_PRODUCTS,
    "private_banking": PRIVATE_BANKING_PRODUCTS,
    "executive": EXECUTIVE_ROLE,
    "private_segment": PRIVATE_SEGMENT,
    "active": ACTIVE,
}
"""Parameters every Cypher text may use besides its workload item."""

NAMED = ["Enterprise", "Person", "Manager"]
"""The labels with a name (``search`` finds them by it; any node by its id)."""


class UnavailableError(RuntimeError):
    """A peer cannot run here (missing backend, package or binary); the run goes on."""


class UnansweredError(RuntimeError):
    """A peer has no way to answer a question (e.g. no full-text facility); recorded as such."""


class Peer:
    """A store answering the benchmark's questions; subclasses fill in the three steps."""

    name = ""
    description = ""

    def setup(self, bank: Path, workdir: Path, stack: ExitStack) -> dict[str, float | None]:
        """Load ``bank``; return ``load_s``, ``load_peak_rss_mb`` and ``startup_s``.

        Resources to release at the end go on ``stack``.
        """
        raise NotImplementedError

    def modes(self) -> dict[str, Answer]:
        """The answering function of each mode (``in-process``, ``http``)."""
        raise NotImplementedError

    def bulk(self, enterprises: list[str]) -> tuple[dict[str, float], Coverages]:
        """Payroll coverage of every enterprise; return (figures, answers).

        The figures hold ``bulk_coverage_s``, the whole run's seconds, and may hold parts
        of it (ours: ``bulk_coverage_execution_s``).
        """
        raise NotImplementedError

    def throughput(self, item: str, clients: int, seconds: float, generator: str) -> float | None:
        """Requests per second over HTTP for uncoveredEmployees on ``item``; ``None`` if no HTTP.

        ``generator`` is the load generator, ``wrk`` or ``httpx`` (see
        :func:`measure.load_generator`).
        """
        return None


def _cypher(engine: str, name: str) -> str:
    """The text of ``benchmarks/cypher/<engine>/<name>.cypher``."""
    return (HERE / "cypher" / engine / f"{name}.cypher").read_text(encoding="utf-8")


def _params(question: str, item: Any) -> dict[str, Any]:
    """The Cypher parameters of one workload item (``e``, ``a`` and ``b``, ``m`` or ``t``).

    A search text comes with its search words (``words``, :func:`graph_service.search_text.
    words`), the full-text query requiring each as a prefix (``query``) and the named labels.
    """
    params = {**PARAMETERS, **variables(question, item)}
    if question == "search":
        terms = words(item)
        params.update(words=terms, query=" ".join(f"{w}*" for w in terms), labels=NAMED)
    return params


def _cypher_answer(question: str, item: Any, rows: list[list[Any]]) -> Any:
    """The normalized answer of a direct Cypher peer from its result rows."""
    if question in ("uncovered_employees", "executives_without_private_banking"):
        [[total, ids]] = rows
        return page(total, ids)
    if question == "payroll_coverage":
        [[employees, covered]] = rows
        return [employees, covered]
    if question == "linkage_paths":
        return rows[0][0] if rows else None
    if question == "coverage_rollup":
        return rollup(rows)
    if question == "manager_leads":
        [[total, first]] = rows
        return lead_page(total, first)
    if question == "search":
        [[total, first]] = rows
        return search_page(total, first)
    return _network_answer(item, rows)


def _network_answer(enterprise: str, rows: list[list[Any]]) -> Any:
    """The normalized clientNetwork answer of ``cypher/<engine>/client_network.cypher``.

    Rows ``[reached, label, id, type, end label, end id]``: ``reached`` the number of nodes
    within reach, then a node of the answer and a relationship of the types it starts to
    another node of the answer (``type`` null in a row giving the node alone). No row: the
    enterprise alone (with no relationship of the types, LadybugDB's walks reach no node, not
    even the start).
    """
    if not rows:
        return network({("Enterprise", enterprise)}, [], 1)
    nodes = {(label, id_) for _, label, id_, *_ in rows}
    relationships = ([kind, label, id_, *end] for _, label, id_, kind, *end in rows if kind)
    return network(nodes, relationships, rows[0][0])


def groups(links: Iterable[tuple[str, str]],
           coverage: Callable[[list[str]], Coverages]) -> dict[str, Any]:  # fmt: skip
    """The normalized enterpriseGroups answer by networkx, from the links between enterprises.

    Parameters
    ----------
    links : iterable of (enterprise id, enterprise id)
        Every ``SHAREHOLDER_OF`` and ``GUARANTEES`` from an enterprise to an enterprise.
    coverage : callable
        The payroll coverage (``[employees, covered]``) of each enterprise of a list of ids.
    """
    graph = nx.Graph(links)
    found = [list(c) for c in nx.connected_components(graph) if len(c) >= 2]
    staff = coverage([i for members in found for i in members])
    return groups_page((members, sum(staff[i][0] for i in members),
                        sum(staff[i][1] for i in members)) for members in found)  # fmt: skip


def circles(guarantees: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The normalized guaranteeCircles answer by :func:`networkx.simple_cycles`.

    ``guarantees`` gives every guarantee between enterprises: guarantor id, guaranteed id.
    """
    graph = nx.DiGraph(guarantees)
    return circles_page(nx.simple_cycles(graph, length_bound=CIRCLE_LENGTH))


def influence(holdings: Iterable[tuple[str, str, str, float | None]]) -> dict[str, Any]:
    """The normalized influence answer by :func:`networkx.pagerank` (:data:`questions.PAGERANK`).

    ``holdings`` gives every ``SHAREHOLDER_OF``: holder label, holder id, held enterprise
    id, ratio (null counts 0). The graph is built in the service's order (holder key, then
    held key: ``graph_service.linkage.analytics.digraph``), so that the scores are summed
    alike.
    """
    graph = nx.DiGraph()
    for label, holder, held, ratio in sorted(holdings, key=lambda h: h[:3]):
        graph.add_edge((label, holder), ("Enterprise", held), weight=float(ratio or 0.0))
    ranks = nx.pagerank(graph, weight="weight", **PAGERANK) if len(graph) else {}
    return influence_page((label, id_, value) for (label, id_), value in ranks.items())


def _circle_rows(rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """The normalized guaranteeCircles answer of ``cypher/<engine>/guarantee_circles.cypher``.

    Rows ``[a, ids]``: ``ids`` the path from the enterprise ``a`` guarantees back to ``a``.
    """
    return circles_page([a, *ids[:-1]] for a, ids in rows)


class Service(Peer):
    """Our service (``graph-service``) on one backend: in-process GraphQL, HTTP, bulk CLI.

    In-process answers run ``schema.execute`` with a fresh ``make_context`` per question
    (what the bulk path does, without HTTP) on a store opened as ``serve`` opens it, the
    snapshot's deferred parts decoded; ``http`` posts to ``graph-service serve`` with an
    application's token, an analyst's for the analytics questions (:data:`questions.
    ANALYTICS`), which an application may not ask.
    """

    def __init__(self, name: str, backend: str, description: str) -> None:
        self.name = name
        self.backend = backend
        self.description = description
        self.env: dict[str, str] = {}

    def _backend_env(self, workdir: Path, stack: ExitStack) -> dict[str, str]:
        """The environment selecting the backend (starting its server if it has one)."""
        if self.backend == "embedded":
            return {"GRAPH_SERVICE_BACKEND": "embedded"}
        url = stack.enter_context(running_falkordb(workdir / "falkordb"))
        env = {"GRAPH_SERVICE_BACKEND": "falkordb", "FALKORDB_URL": url,
               "FALKORDB_GRAPH": "bench"}  # fmt: skip
        settings = Settings(backend="falkordb", falkordb_url=url, falkordb_graph="bench",
                            data_dir=workdir / "no-store")  # fmt: skip
        try:
            store = open_store(settings)
        except StoreUnavailableError as exc:
            raise UnavailableError(
                f"no {self.backend} store in this checkout (open_store: {exc})"
            ) from None
        kind = type(store).__name__
        asyncio.run(store.close())
        if kind == "EmbeddedStore":
            raise UnavailableError(f"no {self.backend} store here (open_store ignores it)")
        return env

    def setup(self, bank: Path, workdir: Path, stack: ExitStack) -> dict[str, float | None]:
        """Load with ``graph-service load``, then start ``graph-service serve`` (start-up)."""
        self.env = self._backend_env(workdir, stack)
        self.data_dir = workdir / "data"
        load = run_measured(
            [GRAPH_SERVICE, "load", str(bank), "--data-dir", str(self.data_dir),
             "--rejects", str(workdir / "rejects.csv")],  # a server backend's default is ./
            self.env,
        )  # fmt: skip
        self.port = free_port()
        # Served with authentication on: an app's token of the data dir's local issuer.
        issuer = LocalIssuer(self.data_dir)
        token = issuer.issue("benchmark", Role.APP, ttl_s=24 * 3600)
        self.headers = {"Authorization": f"Bearer {token}"}
        analyst = issuer.issue("benchmark-analyst", Role.ANALYST, ttl_s=24 * 3600)
        self.analyst_headers = {"Authorization": f"Bearer {analyst}"}  # (ANALYTICS)
        self.server = stack.enter_context(served(self.data_dir, self.port, self.env))
        answered = first_answer(self.server, self.port, self.headers, _first_enterprise(bank))
        self.http = stack.enter_context(httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", timeout=120, headers=self.headers
        ))
        self.settings = Settings(data_dir=self.data_dir, **_settings_from(self.env))
        self.store = open_store(self.settings)
        decoding = decode_in_background(self.store)  # what `serve` does once started
        if decoding is not None:
            decoding.join()  # every sample of a started server, none of its first seconds
        self.loop = asyncio.new_event_loop()
        stack.callback(self.loop.close)
        stack.callback(lambda: self.loop.run_until_complete(self.store.close()))
        prepared_schema(self.settings)  # built, then frozen with the store, as `serve` does
        stack.enter_context(frozen_heap())  # (graph_service.api.app)
        return {"load_s": load["seconds"], "load_peak_rss_mb": self._load_rss(load),
                "startup_s": round(self.server.startup_s, 3),
                "first_answer_s": answered}  # fmt: skip

    def _load_rss(self, load: dict[str, float]) -> float:
        """Peak RSS of the load: the CLI's, or the database server's resident size."""
        if self.backend == "embedded":
            return load["peak_rss_mb"]
        return server_rss_mb()

    def _in_process(self, question: str, item: Any) -> Any:
        from graph_service.api.context import make_context

        schema = schema_for(self.settings)
        result = self.loop.run_until_complete(
            schema.execute(DOCUMENTS[question], variable_values=variables(question, item),
                           context_value=make_context(self.store, self.settings))
        )  # fmt: skip
        if result.errors:
            raise RuntimeError(f"{question} {item}: {result.errors}")
        return normalize(question, result.data or {})

    def _over_http(self, question: str, item: Any) -> Any:
        body = self.http.post(
            "/graphql", json={"query": DOCUMENTS[question], "variables": variables(question, item)},
            headers=self.analyst_headers if question in ANALYTICS else None,
        ).json()
        if body.get("errors"):
            raise RuntimeError(f"{question} {item}: {body['errors']}")
        return normalize(question, body["data"])

    def modes(self) -> dict[str, Answer]:
        """In-process GraphQL and GraphQL over HTTP."""
        return {"in-process": self._in_process, "http": self._over_http}

    def throughput(self, item: str, clients: int, seconds: float, generator: str) -> float | None:
        """Requests per second of ``clients`` concurrent HTTP clients asking uncoveredEmployees."""
        body = {"query": DOCUMENTS["uncovered_employees"],
                "variables": variables("uncovered_employees", item)}  # fmt: skip
        url = f"http://127.0.0.1:{self.port}/graphql"
        return throughput(url, body, clients, seconds, generator, self.headers)

    def bulk(self, enterprises: list[str]) -> tuple[dict[str, float], Coverages]:
        """``graph-service query`` with one JSON Lines row per enterprise, then ``report``.

        The query is timed as a whole (``bulk_coverage_s``, start-up included) and, from
        the line the command ends with (``N lines run in X s (store opened in Y s)``), the
        execution after the store is open (``bulk_coverage_execution_s``) and the store's
        opening (``bulk_coverage_open_s``). Then
        ``graph-service report payrollCoverage`` writes every enterprise's coverage as
        Parquet, timed as a whole (``report_coverage_s``); its answers must be the query's.
        Last, the served process's resident memory (``serve_rss_mb``), after every other
        measure of the run.
        """
        lines = self.data_dir.parent / "enterprises.jsonl"
        output = self.data_dir.parent / "coverage.csv"
        lines.write_text("".join(json.dumps({"enterpriseId": e}) + "\n" for e in enterprises))
        command = [GRAPH_SERVICE, "query", str(BULK_DOCUMENT), "--variables", str(lines),
                   "--output", str(output), "--data-dir", str(self.data_dir)]  # fmt: skip
        run = run_measured(command, self.env)
        with output.open(encoding="utf-8", newline="") as rows:
            answers = {
                row["payrollCoverage.enterprise.id"]: [
                    int(row["payrollCoverage.employees"]),
                    int(row["payrollCoverage.covered"]),
                ]
                for row in csv.DictReader(rows)
            }
        ran = BULK_TIMES.search(run["stderr"])
        if ran is None:
            raise RuntimeError(f"graph-service query printed no run time: {run['stderr']!r}")
        parquet = self.data_dir.parent / "coverage.parquet"
        report = run_measured(
            [GRAPH_SERVICE, "report", "payrollCoverage", "--output", str(parquet),
             "--data-dir", str(self.data_dir)], self.env,
        )  # fmt: skip
        reported = {row["enterpriseId"]: [row["employees"], row["covered"]]
                    for row in pq.read_table(parquet).to_pylist()}  # fmt: skip
        if reported != {e: answers[e] for e in reported} or len(reported) != len(answers):
            raise RuntimeError("graph-service report payrollCoverage differs from the query")
        return {"bulk_coverage_s": run["seconds"],
                "bulk_coverage_execution_s": float(ran["seconds"]),
                "bulk_coverage_open_s": float(ran["opened"]),
                "report_coverage_s": report["seconds"],
                "serve_rss_mb": self.server.rss_mb()}, answers  # fmt: skip


def _first_enterprise(bank: Path) -> str:
    """The id of the first enterprise of ``bank``'s ``enterprises.csv``."""
    with (bank / "enterprises.csv").open(encoding="utf-8", newline="") as rows:
        return next(csv.DictReader(rows))["id"]


def _settings_from(env: dict[str, str]) -> dict[str, Any]:
    """Settings keyword arguments of a backend environment (see :meth:`Service._backend_env`)."""
    names = {"GRAPH_SERVICE_BACKEND": "backend", "FALKORDB_URL": "falkordb_url",
             "FALKORDB_GRAPH": "falkordb_graph"}  # fmt: skip
    return {names[key]: value for key, value in env.items()}


def server_rss_mb() -> float:
    """Resident size of the FalkorDB servers this process started (``redis-server``)."""
    servers = [p for p in psutil.Process().children() if p.name().startswith("redis-server")]
    return round(sum(p.memory_info().rss for p in servers) / 2**20, 1)


# -- FalkorDB queried directly -----------------------------------------------------------------

NODE_FILES = {"Enterprise": "enterprises.csv", "Person": "persons.csv",
              "Account": "accounts.csv", "Manager": "managers.csv"}  # fmt: skip
"""Node label -> canonical file."""

REL_FILES = {
    # type: (file, start label column or label, start id, end label column or label, end id)
    "EMPLOYED_BY": ("employed_by.csv", "Person", "person_id", "Enterprise", "enterprise_id"),
    "SHAREHOLDER_OF": ("shareholder_of.csv", "holder_label", "holder_id", "Enterprise",
                       "enterprise_id"),
    "OWNS": ("owns.csv", "owner_label", "owner_id", "Account", "account_id"),
    "MANAGES": ("manages.csv", "Manager", "manager_id", "client_label", "client_id"),
    "GUARANTEES": ("guarantees.csv", "label", "from_id", "label", "to_id"),
    "TRANSFERRED_TO": ("transferred_to.csv", "Account", "from_id", "Account", "to_id"),
}  # fmt: skip
"""Relationship type -> how its canonical file names its two ends."""

TYPES: dict[str, Callable[[str], Any]] = {
    "blocked": lambda v: v.lower() in ("true", "1", "yes", "y", "t"),
    "balance": float, "ratio": float, "total_amount": float, "count": int,
}  # fmt: skip
"""Column conversions of the direct load (other columns stay text)."""

BATCH = 5_000
"""Rows per ``UNWIND`` batch of the direct load."""

QUERY_TIMEOUT_MS = 30_000
"""FalkorDB's own timeout of one direct question (a timed-out question is reported)."""


def _props(row: dict[str, str], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: TYPES.get(k, str)(v) for k, v in row.items() if v != "" and k not in skip}


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


class FalkorDirect(Peer):
    """FalkorDB queried with its Python client and plain Cypher, no service in between.

    Loads the canonical CSVs itself with ``UNWIND`` batches (ids indexed per label) into
    a FalkorDB started by ``running_falkordb``; the Cypher texts are in
    ``benchmarks/cypher/falkordb/``.
    """

    name = "falkordb-direct"
    description = "FalkorDB, Cypher over its Python client (no service)"

    def setup(self, bank: Path, workdir: Path, stack: ExitStack) -> dict[str, float | None]:
        """Start FalkorDB, load the CSVs; start-up is not measured (in-memory server)."""
        from falkordb import FalkorDB

        url = stack.enter_context(running_falkordb(workdir / "falkordb-direct"))
        client = FalkorDB.from_url(url, socket_timeout=QUERY_TIMEOUT_MS / 1000 + 5)
        self.graph = client.select_graph("direct")
        seconds, _ = timed(lambda: self._load(bank))
        return {"load_s": round(seconds, 3), "load_peak_rss_mb": server_rss_mb(),
                "startup_s": None}  # fmt: skip

    def _load(self, bank: Path) -> None:
        for label, file in NODE_FILES.items():
            self.graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.id)")
            if label in NAMED:  # the full-text index of search, without stop words
                self.graph.query("CALL db.idx.fulltext.createNodeIndex($options, 'name')",
                                 {"options": {"label": label, "stopwords": []}})  # fmt: skip
            for rows in _batches([_props(r) for r in read_rows(bank, file)]):
                self.graph.query(f"UNWIND $rows AS row CREATE (n:{label}) SET n = row",
                                 {"rows": rows})  # fmt: skip
        for rel_type, (file, start, start_id, end, end_id) in REL_FILES.items():
            groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
            ends = (start, start_id, end, end_id)
            for row in read_rows(bank, file):
                key = (row.get(start, start), row.get(end, end))
                groups[key].append({"s": row[start_id], "e": row[end_id],
                                    "p": _props(row, ends)})  # fmt: skip
            for (a, b), rows in groups.items():
                text = (f"UNWIND $rows AS row MATCH (s:{a} {{id: row.s}}), (e:{b} {{id: row.e}}) "
                        f"CREATE (s)-[r:{rel_type}]->(e) SET r = row.p")  # fmt: skip
                for batch in _batches(rows):
                    self.graph.query(text, {"rows": batch})

    def _rows(self, name: str, params: dict[str, Any]) -> list[list[Any]]:
        """The rows of ``cypher/falkordb/<name>.cypher``."""
        return self.graph.ro_query(_cypher("falkordb", name), params,
                                   timeout=QUERY_TIMEOUT_MS).result_set  # fmt: skip

    def _direct(self, question: str, item: Any) -> Any:
        if question == "enterprise_groups":  # algo.WCC, the coverage summed in the query
            return groups_page(row[1:] for row in self._rows(question, PARAMETERS))
        if question == "guarantee_circles":
            return _circle_rows(self._rows(question, {}))
        if question == "influence":  # algo.pageRank takes no weight: networkx's
            return influence(self._rows("shareholdings", {}))
        return _cypher_answer(question, item, self._rows(question, _params(question, item)))

    def modes(self) -> dict[str, Answer]:
        """Cypher over the client, in the benchmark's process."""
        return {"in-process": self._direct}

    def bulk(self, enterprises: list[str]) -> tuple[dict[str, float], Coverages]:
        """One Cypher query over every enterprise."""
        seconds, rows = timed(
            lambda: self.graph.ro_query(_cypher("falkordb", "all_payroll_coverage"), PARAMETERS)
        )
        return {"bulk_coverage_s": seconds}, {e: [n, c] for e, n, c in rows.result_set}


# -- LadybugDB ---------------------------------------------------------------------------------


class Ladybug(Peer):
    """LadybugDB (the embedded Cypher database continuing Kuzu): node/rel tables, COPY FROM.

    The load and the start-up run as subprocesses of ``ladybug_db.py`` (so their time and
    peak RSS are the database's own); questions then run in this process, Cypher texts in
    ``benchmarks/cypher/ladybug/``.
    """

    name = "ladybug"
    description = "LadybugDB (embedded, Kuzu's successor), Cypher in-process"

    def setup(self, bank: Path, workdir: Path, stack: ExitStack) -> dict[str, float | None]:
        """COPY the CSVs into a new database; start-up: a fresh process opening it."""
        try:
            import ladybug
        except ImportError:
            raise UnavailableError("pip install ladybug") from None
        path = workdir / "ladybug"
        script = [sys.executable, str(HERE / "ladybug_db.py")]
        load = run_measured([*script, "load", str(bank), str(path)])
        startup = run_measured([*script, "open", str(path)])
        self.db = ladybug.Database(str(path))
        self.conn = ladybug.Connection(self.db)
        stack.callback(self.db.close)
        stack.callback(self.conn.close)
        return {"load_s": load["seconds"], "load_peak_rss_mb": load["peak_rss_mb"],
                "startup_s": startup["seconds"]}  # fmt: skip

    def _rows(self, text: str, params: dict[str, Any]) -> list[list[Any]]:
        result = self.conn.execute(text, {k: v for k, v in params.items() if f"${k}" in text})
        assert not isinstance(result, list), "one statement, one result"
        rows: list[list[Any]] = []
        while result.has_next():
            rows.append(list(result.get_next()))
        return rows

    def _direct(self, question: str, item: Any) -> Any:
        if question == "search":
            raise UnansweredError(
                "no full-text index here: LadybugDB's is its fts extension, which INSTALL fts "
                "downloads from extension.ladybugdb.com (no network on this machine)"
            )
        if question == "enterprise_groups":  # no algo extension offline: networkx's
            return groups(self._rows(_cypher("ladybug", "enterprise_links"), {}),
                          self._coverage)  # fmt: skip
        if question == "guarantee_circles":
            return _circle_rows(self._rows(_cypher("ladybug", question), {}))
        if question == "influence":
            return influence(self._rows(_cypher("ladybug", "shareholdings"), {}))
        rows = self._rows(_cypher("ladybug", question), _params(question, item))
        if question == "manager_leads":  # every lead, in order: id, hop, kinds, signal
            return lead_page(len(rows), (row[:3] for row in rows[:PAGE]))
        return _cypher_answer(question, item, rows)

    def _coverage(self, enterprises: list[str]) -> Coverages:
        """The payroll coverage of ``enterprises``, one query."""
        text = _cypher("ladybug", "members_coverage")
        return {e: [n, c] for e, n, c in self._rows(text, {**PARAMETERS, "ids": enterprises})}

    def modes(self) -> dict[str, Answer]:
        """Cypher through the embedded connection."""
        return {"in-process": self._direct}

    def bulk(self, enterprises: list[str]) -> tuple[dict[str, float], Coverages]:
        """One Cypher query over every enterprise."""
        text = _cypher("ladybug", "all_payroll_coverage")
        seconds, rows = timed(lambda: self._rows(text, PARAMETERS))
        return {"bulk_coverage_s": seconds}, {e: [n, c] for e, n, c in rows}


# -- the floor: plain networkx -----------------------------------------------------------------


class NetworkxFloor(Peer):
    """The floor: a networkx ``MultiDiGraph`` built from the CSVs, questions as Python loops.

    Load time is the build; its memory is the growth of this process's RSS during the
    build (the floor has no process of its own), and there is no start-up from disk.
    """

    name = "networkx"
    description = "bare networkx loops over the CSVs (the floor)"

    def setup(self, bank: Path, workdir: Path, stack: ExitStack) -> dict[str, float | None]:
        """Build the graph from the CSVs."""
        before = psutil.Process().memory_info().rss
        seconds, self.graph = timed(lambda: self._build(bank))
        self.undirected = self.graph.to_undirected(as_view=True)
        grown = (psutil.Process().memory_info().rss - before) / 2**20
        return {"load_s": round(seconds, 3), "load_peak_rss_mb": round(grown, 1),
                "startup_s": None}  # fmt: skip

    def _build(self, bank: Path) -> nx.MultiDiGraph:
        """The graph, and the search words of every name (``self.names``)."""
        graph = nx.MultiDiGraph()
        for label, file in NODE_FILES.items():
            graph.add_nodes_from(((label, r["id"]), r) for r in read_rows(bank, file))
        for rel_type, (file, start, start_id, end, end_id) in REL_FILES.items():
            graph.add_edges_from(
                ((row.get(start, start), row[start_id]), (row.get(end, end), row[end_id]),
                 rel_type, row)
                for row in read_rows(bank, file)
            )  # fmt: skip
        self.names = {n: words(d.get("name", "")) for n, d in graph.nodes(data=True)
                      if n[0] in NAMED}  # fmt: skip
        return graph

    def _employees(self, enterprise: str) -> list[tuple[tuple[str, str], dict[str, str]]]:
        pred = self.graph.pred[("Enterprise", enterprise)]
        return [(p, keyed["EMPLOYED_BY"]) for p, keyed in pred.items() if "EMPLOYED_BY" in keyed]

    def _holds(self, person: tuple[str, str], products: list[str]) -> bool:
        nodes = self.graph.nodes
        return any(
            "OWNS" in keyed and nodes[a]["status"] == "active" and nodes[a]["type"] in products
            for a, keyed in self.graph.succ[person].items()
        )

    def _direct(self, question: str, item: Any) -> Any:
        if question == "uncovered_employees":
            ids = [p[1] for p, _ in self._employees(item) if not self._holds(p, PAYROLL_PRODUCTS)]
            return page(len(ids), ids)
        if question == "executives_without_private_banking":
            ids = [
                p[1] for p, rel in self._employees(item)
                if rel["role"] == "executive" and self.graph.nodes[p]["segment"] != "private"
                and not self._holds(p, PRIVATE_BANKING_PRODUCTS)
            ]  # fmt: skip
            return page(len(ids), ids)
        if question == "payroll_coverage":
            staff = self._employees(item)
            return [len(staff), sum(self._holds(p, PAYROLL_PRODUCTS) for p, _ in staff)]
        if question == "linkage_paths":
            a, b = ("Person", item[0]), ("Person", item[1])
            try:
                hops = len(nx.bidirectional_shortest_path(self.undirected, a, b)) - 1
            except nx.NetworkXNoPath:
                return None
            return hops if hops <= MAX_HOPS else None
        if question == "coverage_rollup":
            return self._rollup_by_branch()
        if question == "manager_leads":
            return self._leads(item)
        if question == "search":
            return self._search(item)
        if question == "enterprise_groups":
            return groups(self._between(["SHAREHOLDER_OF", "GUARANTEES"]),
                          lambda ids: {e: self._direct("payroll_coverage", e) for e in ids})
        if question == "guarantee_circles":
            return circles(self._between(["GUARANTEES"]))
        if question == "influence":
            holdings = self._typed("SHAREHOLDER_OF", {"Enterprise", "Person"})
            return influence((a[0], a[1], b[1], float(keyed["SHAREHOLDER_OF"]["ratio"] or 0))
                             for a, b, keyed in holdings)  # fmt: skip
        return self._network(item)

    def _typed(self, rel_type: str, starts: set[str]
               ) -> Iterator[tuple[Any, Any, dict[str, Any]]]:  # fmt: skip
        """Each ``(start, end, {type: properties})`` of ``rel_type`` from a ``starts`` label."""
        for start, ends in self.graph.succ.items():
            if start[0] in starts:
                for end, keyed in ends.items():
                    if rel_type in keyed:
                        yield start, end, keyed

    def _between(self, types: list[str]) -> list[tuple[str, str]]:
        """The (start id, end id) of the ``types`` relationships from an enterprise to one."""
        return [(a[1], b[1]) for rel_type in types
                for a, b, _ in self._typed(rel_type, {"Enterprise"})
                if b[0] == "Enterprise"]  # fmt: skip

    def _within(self, starts: list[Any], types: list[str], hops: int) -> dict[Any, int]:
        """The hop of every node within ``hops`` of ``starts`` (hop 0) over ``types``.

        A breadth-first search ignoring direction; the nodes come level by level.
        """
        succ, pred, allowed = self.graph.succ, self.graph.pred, set(types)
        reached = dict.fromkeys(starts, 0)
        frontier = starts
        for level in range(1, hops + 1):
            fresh = []
            for node in frontier:
                for adjacency in (succ[node], pred[node]):
                    for other, keyed in adjacency.items():
                        if other not in reached and not allowed.isdisjoint(keyed):
                            reached[other] = level
                            fresh.append(other)
            frontier = fresh
        return reached

    def _network(self, enterprise: str) -> dict[str, Any]:
        """The clientNetwork answer of ``enterprise`` by a breadth-first search.

        The nodes within :data:`DEPTH` hops over :data:`NETWORK_TYPES` (the first
        :data:`MAX_NETWORK_NODES` in breadth-first order when more), then every relationship
        of those types among them.
        """
        reached = self._within([("Enterprise", enterprise)], NETWORK_TYPES, DEPTH)
        nodes = set(list(reached)[:MAX_NETWORK_NODES])
        relationships = [
            [kind, *a, *b]
            for a in nodes for b, keyed in self.graph.succ[a].items() if b in nodes
            for kind in keyed if kind in NETWORK_TYPES
        ]  # fmt: skip
        return network(nodes, relationships, len(reached))

    def _rollup_by_branch(self) -> list[list[Any]]:
        """The coverageRollup answer by branch, from each enterprise's payroll coverage.

        Each enterprise counts in each branch of its managers (``None``: no manager with a
        branch).
        """
        nodes, pred = self.graph.nodes, self.graph.pred
        sums: dict[str | None, list[int]] = {}
        for node in nodes:
            if node[0] != "Enterprise":
                continue
            employees, covered = self._direct("payroll_coverage", node[1])
            managers = [m for m, keyed in pred[node].items() if "MANAGES" in keyed]
            branches = {nodes[m].get("branch") or None for m in managers} - {None}
            for branch in branches or {None}:
                total = sums.setdefault(branch, [0, 0, 0])
                total[0] += 1
                total[1] += employees
                total[2] += covered
        return rollup([key, *total] for key, total in sums.items())

    def _leads(self, manager: str) -> dict[str, Any]:
        """The managerLeads answer: a breadth-first search from the clients, then each profile."""
        succ = self.graph.succ
        clients = [c for c, keyed in succ[("Manager", manager)].items() if "MANAGES" in keyed]
        hops = self._within(clients, LEAD_TYPES, LEAD_HOPS)
        ranked = []
        for person, hop in hops.items():
            if person[0] == "Person":
                kinds, signal = self._profile(person)
                if kinds:
                    ranked.append(((hop, *signal, person[1]), kinds))
        ranked.sort()
        return lead_page(len(ranked), ([key[-1], key[0], kinds] for key, kinds in ranked[:PAGE]))

    def _profile(self, person: tuple[str, str]) -> tuple[list[str], tuple[int, float, float]]:
        """A person's lead kinds and the sort key of their signal (strongest first)."""
        nodes, succ, pred = self.graph.nodes, self.graph.succ, self.graph.pred
        jobs = [keyed["EMPLOYED_BY"] for keyed in succ[person].values() if "EMPLOYED_BY" in keyed]
        shares = [float(keyed["SHAREHOLDER_OF"]["ratio"] or 0)
                  for keyed in succ[person].values() if "SHAREHOLDER_OF" in keyed]  # fmt: skip
        accounts = [a for a, keyed in succ[person].items() if "OWNS" in keyed]
        active = {nodes[a]["type"] for a in accounts if nodes[a]["status"] == ACTIVE}
        moved: dict[tuple[Any, Any], str] = {}
        for a in accounts:
            for b, keyed in succ[a].items():
                if "TRANSFERRED_TO" in keyed:
                    moved[(a, b)] = keyed["TRANSFERRED_TO"]["total_amount"]
            for b, keyed in pred[a].items():
                if "TRANSFERRED_TO" in keyed:
                    moved[(b, a)] = keyed["TRANSFERRED_TO"]["total_amount"]
        executive = any(job["role"] == EXECUTIVE_ROLE for job in jobs)
        private = nodes[person]["segment"] == PRIVATE_SEGMENT or bool(
            active.intersection(PRIVATE_BANKING_PRODUCTS))
        facts = [bool(jobs) and not active.intersection(PAYROLL_PRODUCTS),
                 executive and not private, bool(shares) and not private]  # fmt: skip
        amount = math.fsum(float(v or 0) for v in moved.values())
        kinds = [kind for kind, holds in zip(LEAD_KINDS, facts, strict=True) if holds]
        return kinds, (-int(executive), -max(shares, default=0.0), -amount)

    def _search(self, text: str) -> dict[str, Any]:
        """The search answer: every name's words checked against the text's, ids compared."""
        query = words(text)
        hits = []
        for node, name in self.names.items():
            if node[1] == text or (query and name == query):
                hits.append((0, *node))
            elif query and all(any(w.startswith(q) for w in name) for q in query):
                hits.append((1, *node))
        if ("Account", text) in self.graph:
            hits.append((0, "Account", text))
        hits.sort()
        return search_page(len(hits), ([label, id_] for _, label, id_ in hits[:PAGE]))

    def modes(self) -> dict[str, Answer]:
        """Python loops in this process."""
        return {"in-process": self._direct}

    def bulk(self, enterprises: list[str]) -> tuple[dict[str, float], Coverages]:
        """The coverage loop over every enterprise."""
        seconds, answers = timed(
            lambda: {e: self._direct("payroll_coverage", e) for e in enterprises}
        )
        return {"bulk_coverage_s": seconds}, answers


def all_peers() -> Iterator[Peer]:
    """Every peer, ours first (the reference of ratios and of the guard), one at a time.

    Each is made when the previous one is done with, so that one peer's graph (gigabytes at
    1M people) is freed before the next loads.
    """
    yield Service("embedded", "embedded", "our service, embedded store (compact graph + SQLite)")
    yield Service("falkordb-service", "falkordb", "our service, FalkorDB backend")
    yield FalkorDirect()
    yield Ladybug()
    yield NetworkxFloor()


__all__ = ["Peer", "UnansweredError", "UnavailableError", "all_peers"]
