"""The bulk path's running: one GraphQL document executed once per line of variables.

Lines are executed in-process, in chunks of :data:`CHUNK_SIZE` sharing one request context,
so DataLoaders batch the store calls of a whole chunk. A query's chunk runs as one
operation (:mod:`graph_service.bulk.merge`: one audit record per such chunk), or, for a
document of linkage questions the set-oriented plan covers, is answered with one batch per
root field (:mod:`graph_service.bulk.plan`: the same answers and record); lines refused
by the checks each operation gets, and every line of a mutation or of a document that does
not validate, run through ``schema.execute`` one by one. Every line's answer and errors are
those of its own execution (each line checked: validation, the node budget, variable
coercion). The document is parsed once per run (the schema's parser cache,
:mod:`graph_service.api.extensions`), and validated once for the merged chunks and once by
the schema for the lines run alone. A line answered ``STORE_UNAVAILABLE`` or
``STORE_TIMEOUT`` stops the run (the store would fail the lines after it too): nothing is
written.

Errors in the document itself (syntax, validation, which operation to run) would be every
line's errors: :func:`check_document` refuses them before a run (the CLI calls it before
opening the store). Reading the variables and writing the output are
:mod:`graph_service.bulk.files`'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode

from graph_service.audit import AuditTrail
from graph_service.auth.caller import Caller
from graph_service.bulk.files import (
    Result,
    check_format,
    csv_header,
    document_layout,
    layout,
    result_writer,
)
from graph_service.bulk.merge import Answer, Merger, run_merged
from graph_service.bulk.plan import BulkPlan
from graph_service.config import Settings
from graph_service.errors import (
    InvalidInputError,
    Location,
    StoreTimeoutError,
    StoreUnavailableError,
)
from graph_service.memory import bulk_allocation
from graph_service.stores.base import GraphStore

CHUNK_SIZE = 256
"""Lines executed concurrently with one shared context (and so one DataLoader batch)."""


@dataclass(frozen=True, slots=True)
class BulkSummary:
    """Outcome of a bulk run.

    Attributes
    ----------
    lines : int
        Lines run.
    failed : int
        Lines whose result carries GraphQL errors.
    truncated : int
        Lines holding a list cut at its page size with items left (``hasNextPage``); none
        with ``all_pages``.
    """

    lines: int
    failed: int
    truncated: int = 0


def check_document(
    document: str,
    source: str,
    settings: Settings,
    operation_name: str | None = None,
    fmt: str = "ndjson",
    explode: str | None = None,
) -> None:
    """Check, before any line runs, that ``document`` can run.

    It must parse, be valid and name the operation to run.

    Parameters
    ----------
    document : str
        The GraphQL document.
    source : str
        Where it comes from (the document file), for the error's location.
    settings : Settings
        Gives the depth limit (``max_query_depth``).
    operation_name : str, optional
        The operation to run (GraphQL's ``operationName``).
    fmt : {"csv", "ndjson"}
        The output format; CSV output also needs a header without duplicate names
        (:func:`csv_header`).
    explode : str, optional
        A list field whose items are CSV rows of their own
        (:func:`~graph_service.bulk.files.layout`); CSV only.

    Raises
    ------
    InvalidInputError
        Naming ``source``: on a syntax error (with its line and column), the first
        validation error (graphql-core's specified rules with the service's depth and alias
        limits, :mod:`graph_service.api.extensions`), an ``operation_name`` that names no
        operation, several operations and no ``operation_name``, a CSV header clash, or an
        ``explode`` that names no list field or comes with NDJSON. Every line would answer
        the same error.
    """
    from graphql import GraphQLSyntaxError, specified_rules, validate

    from graph_service.api.extensions import (
        parse_document,
        service_rules,
        spread_errors,
        type_schema,
    )
    from graph_service.api.schema import schema

    location = Location(source)
    try:
        parsed = parse_document(document)
    except GraphQLSyntaxError as exc:
        where = exc.locations[0] if exc.locations else None
        raise InvalidInputError(
            exc.message + (f" (column {where.column})" if where else ""),
            Location(source, where.line if where else None),
        ) from None
    except GraphQLError as exc:  # too many tokens
        raise InvalidInputError(exc.message, location) from None
    types = type_schema(schema)
    errors = spread_errors(types, parsed) or validate(
        types, parsed, (*specified_rules, *service_rules(settings.max_query_depth))
    )
    if errors:
        first = errors[0]
        where = first.locations[0] if first.locations else None
        raise InvalidInputError(
            first.message, Location(source, where.line if where else None)
        ) from None
    names = [
        d.name.value if d.name else None
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    if operation_name is not None and operation_name not in names:
        known = ", ".join(name for name in names if name) or "none"
        raise InvalidInputError(
            f"the document has no operation named {operation_name!r} (named operations: {known})",
            location,
        )
    if operation_name is None and len(names) > 1:
        raise InvalidInputError(
            f"the document holds {len(names)} operations; choose one with --operation-name",
            location,
        )
    if explode is not None and fmt != "csv":
        raise InvalidInputError("--explode writes CSV rows: it needs --format csv")
    if fmt == "csv":
        found = layout(types, parsed, operation_name, explode)
        csv_header(found.columns, location, found.pages)


async def _execute_each(
    context: Any,
    document: str,
    variables: Sequence[Mapping[str, Any]],
    operation_name: str | None = None,
    all_pages: bool = False,
    merger: Merger | None = None,
    plan: BulkPlan | None = None,
) -> list[Answer]:
    """Execute ``document`` for each variables set through the schema, concurrently.

    With ``merger``, the lines that pass the checks each operation gets
    (:func:`~graph_service.api.extensions.operation_errors`), two or more, run as one
    operation (:func:`~graph_service.bulk.merge.run_merged`), or with ``plan`` (the
    merger's, :class:`~graph_service.bulk.plan.BulkPlan`) are answered set-wise when the
    caller may read the graph (:meth:`~graph_service.bulk.plan.BulkPlan.answer`); the
    others, and those whose
    answer the merged run cannot tell, run alone, as every line does without ``merger``
    (those last with a fresh context, its loaders empty as when the chunk began). Each line's
    answer is that of its own execution, its :class:`~graph_service.api.pagination.Paging`
    counting the lists it cuts short (or, with ``all_pages``, giving them whole).
    """
    from graph_service.api.fast_path import schema_for
    from graph_service.api.pagination import PAGING, Paging

    schema = schema_for(context.settings)

    async def run(values: Mapping[str, Any], on: Any = context) -> Answer:
        paging = Paging(all_pages=all_pages)
        PAGING.set(paging)  # this line's task, and the tasks it starts
        r = await schema.execute(document, variable_values=dict(values), context_value=on,
                                 operation_name=operation_name)
        return r.data, [dict(e.formatted) for e in r.errors or ()], paging.truncated

    if merger is None:
        return list(await asyncio.gather(*(run(v) for v in variables)))
    from graph_service.api.extensions import operation_errors, type_schema

    if plan is not None and not plan.serves(context):
        plan = None
    coerced: list[dict[str, Any] | None] = []
    if plan is not None:
        coerced = [plan.checked(context.settings, values, operation_name) for values in variables]
        alone = [i for i, values in enumerate(coerced) if values is None]
    else:
        types = type_schema(schema)
        alone = [i for i, values in enumerate(variables) if operation_errors(
            types, merger.document, context.settings, values, operation_name)]
    together = sorted(set(range(len(variables))).difference(alone))
    if len(together) == 1:  # nothing to share: the line runs (and is audited) as its own
        alone, together = list(range(len(variables))), []
    answers: list[Answer | None] = [None] * len(variables)
    single = asyncio.gather(*(run(variables[i]) for i in alone))
    if together:
        lines = [variables[i] for i in together]
        chunk = (plan.answer(context, lines, [coerced[i] or {} for i in together])
                 if plan is not None else run_merged(context, merger, lines, all_pages))
        merged, ones = await asyncio.gather(chunk, single)
        for i, answer in zip(together, merged, strict=True):
            answers[i] = answer
    else:
        ones = await single
    for i, answer in zip(alone, ones, strict=True):
        answers[i] = answer
    again = [i for i, answer in enumerate(answers) if answer is None]
    if again:
        from graph_service.api.context import make_context

        fresh = make_context(context.store, context.settings, context.caller,
                             context.request_id, context.audit, context.audit_wait)
    for i, answer in zip(again, await asyncio.gather(*(run(variables[i], fresh)
                                                       for i in again)), strict=True):
        answers[i] = answer
    return [answer for answer in answers if answer is not None]


async def execute_many(
    store: GraphStore,
    settings: Settings,
    document: str,
    variables: Sequence[Mapping[str, Any]],
    operation_name: str | None = None,
    caller: Caller | None = None,
    audit: AuditTrail | None = None,
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Execute ``document`` once per variables dict, concurrently, sharing one context.

    ``operation_name`` is GraphQL's ``operationName``: the operation of the document to run.
    With ``audit``, each execution appends its record to that trail as ``caller`` (the
    CLI's :func:`~graph_service.auth.cli_caller`), without waiting for each to be on disk:
    the caller closes the trail, which waits for them all.

    Returns
    -------
    list of (data, errors)
        Aligned with ``variables``; ``errors`` holds the formatted GraphQL errors (with
        ``extensions.code``), empty when the execution succeeded.
    """
    from graph_service.api.context import make_context

    merger = Merger.of(document, operation_name, settings)
    answers = await _execute_each(
        make_context(store, settings, caller=caller, audit=audit), document, variables,
        operation_name, merger=merger, plan=BulkPlan.of(merger, settings),
    )
    return [(data, errors) for data, errors, _ in answers]


_STORE_FAILURES: dict[Any, type[StoreUnavailableError | StoreTimeoutError]] = {
    error.code: error for error in (StoreUnavailableError, StoreTimeoutError)
}
"""The error codes of a line that stop a bulk run, and the error they stop it with."""


def _stop_on_store_failure(number: int, errors: list[dict[str, Any]]) -> None:
    """Raise when line ``number``'s ``errors`` say the store is down or timing out.

    Raises
    ------
    StoreUnavailableError, StoreTimeoutError
        Of the first such error, naming the line and the error's message.
    """
    for error in errors:
        failure = _STORE_FAILURES.get((error.get("extensions") or {}).get("code"))
        if failure is not None:
            raise failure(
                f"line {number}: {error.get('message', '')}; the bulk run stopped, "
                "no output written"
            )


async def run_bulk(
    store: GraphStore,
    settings: Settings,
    document: str,
    rows: list[tuple[int, dict[str, Any]]],
    output: Path | None,
    fmt: str,
    progress: Callable[[int], None] | None = None,
    operation_name: str | None = None,
    caller: Caller | None = None,
    audit: AuditTrail | None = None,
    all_pages: bool = False,
    explode: str | None = None,
) -> BulkSummary:
    """Run every variables row and write one output row per input line (or list item).

    Parameters
    ----------
    store : GraphStore
    settings : Settings
    document : str
        The GraphQL operation to run for every line.
    rows : list of (int, dict)
        From :func:`~graph_service.bulk.files.read_variables`.
    output : Path or None
        Output file (written atomically), or ``None`` for standard output.
    fmt : {"csv", "ndjson"}
    progress : callable, optional
        Called with the number of lines just finished.
    operation_name : str, optional
        The operation of the document to run (GraphQL's ``operationName``).
    caller, audit : optional
        Who runs it and the audit trail each line's record goes to (:func:`execute_many`).
    all_pages : bool
        Answer every list (connection) whole from its ``after`` cursor on, whatever its
        ``first`` (above 0); otherwise a line whose list was cut at its page size with items
        left is flagged (``truncated``) and counted in the summary.
    explode : str, optional
        CSV only: the list field (dotted response names, ``uncoveredEmployees.edges``)
        whose items each get a row (:func:`~graph_service.bulk.files.csv_rows`).

    Returns
    -------
    BulkSummary

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not an output format, a CSV header would name two columns alike
        (:func:`~graph_service.bulk.files.csv_header`), or ``explode`` names no list field.
        Errors in the document itself are every line's errors here;
        :func:`check_document` refuses them before a run.
    StoreUnavailableError, StoreTimeoutError
        At the first line answered ``STORE_UNAVAILABLE`` or ``STORE_TIMEOUT``; no output is
        written.

    Notes
    -----
    The CSV header is ``line``, the columns of
    :func:`~graph_service.bulk.files.layout`, ``errors`` (then ``truncated`` when the
    document selects a list that pages); it depends on the document only.
    """
    from graph_service.api.context import make_context

    check_format(fmt)
    found = document_layout(document, operation_name, explode)
    csv_header(found.columns, pages=found.pages)
    lines = failed = truncated = 0
    merger = Merger.of(document, operation_name, settings)
    plan = BulkPlan.of(merger, settings)
    with result_writer(output, fmt, found) as write:
        for start in range(0, len(rows), CHUNK_SIZE):
            chunk = rows[start : start + CHUNK_SIZE]
            context = make_context(store, settings, caller=caller, audit=audit)  # one per chunk
            # A chunk's answers are many small objects that die with it: no cyclic GC pass
            # over the heap while it runs, one after (graph_service.memory).
            with bulk_allocation(freeze=False):
                answers = await _execute_each(
                    context, document, [v for _, v in chunk], operation_name, all_pages,
                    merger, plan,
                )
                results: list[Result] = []
                for (number, _), (data, errors, cut) in zip(chunk, answers, strict=True):
                    if errors:
                        _stop_on_store_failure(number, errors)
                    results.append((number, data, errors, cut))
                    failed += bool(errors)
                    truncated += bool(cut)
                write(results)
            lines += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return BulkSummary(lines, failed, truncated)
