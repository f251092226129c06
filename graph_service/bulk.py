"""The analysts' bulk path: one GraphQL document run once per line of a JSON Lines file.

Each line of the variables file is a JSON object of variables. Lines are parsed and checked
before anything runs (a bad line stops the run, naming file and line), then executed
in-process in concurrent chunks that share one request context, so DataLoaders batch the
store calls of a whole chunk. The document is parsed and validated once per run (the schema's
parser and validation caches, :mod:`graph_service.api.extensions`). Once one line has run,
the lines of a chunk are executed by graphql-core's executor directly, one executor per line
sharing the collected fields (:mod:`graph_service.api.shared`), which spares each line
strawberry's fixed cost per execution and graphql-core's collection of fields; a line whose
answer there has an error, or that the node budget refuses, runs on its own instead, so
every line's answer and errors are those of its own execution (:class:`_BulkRunner`).
Results are written as CSV or NDJSON, one output row per input line, in input order, with
the line number and any GraphQL errors; the output file appears only when complete. A line answered
``STORE_UNAVAILABLE`` or ``STORE_TIMEOUT`` stops the run (the store would fail the lines
after it too): nothing is written.

The CSV columns are derived from the operation's selection set (:func:`csv_columns`), not
from the answers, so every run of a document has the same header, even when every line
fails: ``line``, then one column per selected leaf field under its response name (alias
respected; the fields of an object, selected with a sub-selection, become dotted names such
as ``payrollCoverage.enterprise.id``; a list-typed field is one column holding JSON text),
then ``errors`` (a data column named ``line`` or ``errors`` is refused, :func:`csv_header`).
Cells are spelled as in JSON (``true``/``false``), null as an empty cell.

Errors in the document itself (syntax, validation, which operation to run) would be every
line's errors: :func:`check_document` refuses them before a run (the CLI calls it before
opening the store).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    get_named_type,
    get_nullable_type,
    is_composite_type,
)

from graph_service.config import Settings
from graph_service.errors import (
    InvalidInputError,
    Location,
    StoreTimeoutError,
    StoreUnavailableError,
)
from graph_service.stores.base import GraphStore

OUTPUT_FORMATS = ("csv", "ndjson")
CHUNK_SIZE = 256
"""Lines executed concurrently with one shared context (and so one DataLoader batch)."""


@dataclass(frozen=True, slots=True)
class BulkSummary:
    """Outcome of a bulk run: lines run and lines whose result carries GraphQL errors."""

    lines: int
    failed: int


def _read_text(path: Path) -> str:
    """The text of a variables file (UTF-8, with or without BOM).

    Raises
    ------
    InvalidInputError
        If the file cannot be read or is not UTF-8 text.
    """
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read the variables file: {exc.strerror}", Location(str(path))
        ) from None
    except UnicodeDecodeError:
        raise InvalidInputError(
            "the variables file is not UTF-8 text", Location(str(path))
        ) from None


def _variables(text: str, location: Location) -> dict[str, Any]:
    """One JSON object of variables, parsed from ``text`` found at ``location``.

    Raises
    ------
    InvalidInputError
        If ``text`` is not JSON or not an object (the JSON error's line added to a file's
        location), including JSON that Python's parser refuses: an integer of more digits
        than ``sys.get_int_max_str_digits()`` (4,300 by default) or nesting deeper than the
        interpreter's recursion limit (about 1,000 levels).
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        line = location.line if location.line is not None else exc.lineno
        raise InvalidInputError(
            f"not valid JSON: {exc.msg}", Location(location.file, line)
        ) from None
    except ValueError:  # int() refusing a literal over the digit limit
        raise InvalidInputError(
            f"an integer has more than {sys.get_int_max_str_digits():,} digits", location
        ) from None
    except RecursionError:
        raise InvalidInputError("the JSON is nested too deeply", location) from None
    if not isinstance(value, dict):
        raise InvalidInputError("the variables must be a JSON object", location)
    return value


def read_variables_object(path: Path) -> dict[str, Any]:
    """Read a JSON file holding one object of variables (the single-run form).

    Raises
    ------
    InvalidInputError
        If the file cannot be read or is not a JSON object (file and line named).
    """
    return _variables(_read_text(path), Location(str(path)))


def read_variables(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Parse a JSON Lines variables file.

    Returns
    -------
    list of (int, dict)
        ``(line number, variables)`` per non-blank line, 1-based.

    Raises
    ------
    InvalidInputError
        If the file is missing or unreadable, or a line is not a JSON object (file and line
        named).
    """
    rows = [
        (number, _variables(line, Location(path.name, number)))
        for number, line in enumerate(_read_text(path).splitlines(), start=1)
        if line.strip()
    ]
    if not rows:
        raise InvalidInputError("the variables file has no lines", Location(path.name))
    return rows


Column = tuple[str, ...]
"""The response keys leading from ``data`` to a CSV column's value, e.g.
``("payrollCoverage", "enterprise", "id")`` for column ``payrollCoverage.enterprise.id``."""


def _field_definition(
    schema: GraphQLSchema, parent: GraphQLNamedType, name: str
) -> GraphQLField | None:
    """The definition of field ``name`` of ``parent``, meta fields included; ``None`` if none."""
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is schema.query_type and name == "__schema":
        return SchemaMetaFieldDef
    if parent is schema.query_type and name == "__type":
        return TypeMetaFieldDef
    fields = getattr(parent, "fields", None)
    return None if fields is None else fields.get(name)


def _collect(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode,
    prefix: Column,
    fragments: Mapping[str, FragmentDefinitionNode],
    spreading: frozenset[str],
    columns: dict[Column, None],
) -> None:
    """Add the columns of ``selection_set`` on ``parent`` to ``columns``, in document order."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            definition = _field_definition(schema, parent, selection.name.value)
            if definition is None:  # refused by validation: every line fails
                continue
            key = prefix + ((selection.alias or selection.name).value,)
            nullable = get_nullable_type(definition.type)
            named = get_named_type(definition.type)
            if (
                selection.selection_set is None
                or isinstance(nullable, GraphQLList)
                or not is_composite_type(named)
            ):
                columns[key] = None
            else:
                _collect(schema, named, selection.selection_set, key, fragments, spreading, columns)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = parent if condition is None else schema.get_type(condition.name.value)
            _collect(
                schema,
                target or parent,
                selection.selection_set,
                prefix,
                fragments,
                spreading,
                columns,
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in spreading:  # refused by validation
                continue
            target = schema.get_type(fragment.type_condition.name.value)
            _collect(
                schema,
                target or parent,
                fragment.selection_set,
                prefix,
                fragments,
                spreading | {name},
                columns,
            )


def csv_columns(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None
) -> list[Column]:
    """The data columns of the CSV output of a document, from its selection set alone.

    Parameters
    ----------
    schema : GraphQLSchema
        The executable schema (``strawberry.Schema._schema``), which types the fields.
    document : DocumentNode
        The parsed document.
    operation_name : str, optional
        The operation to run (GraphQL's ``operationName``); needed when the document holds
        several.

    Returns
    -------
    list of Column
        One column per selected leaf field, in document order, each once (a response key
        selected twice, or by two fragments, is one column): a field whose type is an object,
        interface or union and that has a sub-selection contributes the columns of its
        sub-selection, prefixed with its response name; a list-typed field is one column.
        Empty when the operation is not found: ``operation_name`` names none, or is not
        given and the document does not hold exactly one operation (every line then fails).

    Examples
    --------
    >>> from graphql import parse
    >>> from graph_service.api.schema import schema
    >>> doc = parse("query($id: ID!) { c: payrollCoverage(enterpriseId: $id) {"
    ...             " rate enterprise { id } } }")
    >>> [".".join(c) for c in csv_columns(schema._schema, doc)]
    ['c.rate', 'c.enterprise.id']
    """
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if len(operations) != 1:
        return []
    (operation,) = operations
    root = schema.get_root_type(operation.operation)
    if root is None:
        return []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    columns: dict[Column, None] = {}
    _collect(schema, root, operation.selection_set, (), fragments, frozenset(), columns)
    return list(columns)


def column_value(data: Any, column: Column) -> Any:
    """The CSV cell of ``column`` in one answer's ``data``.

    Returns
    -------
    Any
        The value at the column's response keys; ``None`` (an empty cell) when ``data`` or
        an object on the way is null or lacks the key (an error, a skipped field); a list or
        object value (a list-typed field, a JSON scalar) as JSON text; a boolean as JSON's
        ``true`` or ``false`` (as inside a list cell).

    Examples
    --------
    >>> data = {"c": {"rate": 0.5, "enterprise": None, "tags": ["a"]}}
    >>> [column_value(data, c) for c in [("c", "rate"), ("c", "enterprise", "id"), ("c", "tags")]]
    [0.5, None, '["a"]']
    >>> column_value({"ok": False}, ("ok",))
    'false'
    """
    value = data
    for key in column:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False)
    return value


@contextmanager
def _atomic_output(output: Path | None) -> Iterator[IO[str]]:
    """Yield a text stream; for a file, write beside it and rename only on success."""
    if output is None:
        yield sys.stdout
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def document_columns(document: str, operation_name: str | None = None) -> list[Column]:
    """:func:`csv_columns` of a document's text; none when it does not parse.

    Parsed through the schema's parser cache, so executing the document afterwards does
    not parse it again.
    """
    from graph_service.api.extensions import parse_document
    from graph_service.api.schema import schema

    try:
        parsed = parse_document(document)
    except GraphQLError:  # every line answers the syntax error
        return []
    return csv_columns(schema._schema, parsed, operation_name)


RESERVED_COLUMNS = ("line", "errors")
"""The CSV columns every bulk run writes, around the data columns."""


def csv_header(columns: Sequence[Column], location: Location | None = None) -> list[str]:
    """The CSV header of a bulk run: ``line``, the data columns' dotted names, ``errors``.

    Raises
    ------
    InvalidInputError
        If a data column is itself named ``line`` or ``errors`` (a top-level field aliased
        so): the header would name two columns alike. ``location`` names the document.
    """
    names = [".".join(column) for column in columns]
    clashes = [name for name in names if name in RESERVED_COLUMNS]
    if clashes:
        raise InvalidInputError(
            f"the CSV output would have two columns named {clashes[0]!r}; give the field "
            "another alias, or use --format ndjson",
            location,
        )
    return [RESERVED_COLUMNS[0], *names, RESERVED_COLUMNS[1]]


def check_document(
    document: str,
    source: str,
    settings: Settings,
    operation_name: str | None = None,
    fmt: str = "ndjson",
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

    Raises
    ------
    InvalidInputError
        Naming ``source``: on a syntax error (with its line and column), the first
        validation error (graphql-core's specified rules with the service's depth and alias
        limits, :mod:`graph_service.api.extensions`), an ``operation_name`` that names no
        operation, several operations and no ``operation_name``, or a CSV header clash.
        Every line would answer the same error.
    """
    from graphql import GraphQLSyntaxError, specified_rules, validate

    from graph_service.api.extensions import parse_document, service_rules
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
    errors = validate(
        schema._schema, parsed, (*specified_rules, *service_rules(settings.max_query_depth))
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
    if fmt == "csv":
        csv_header(csv_columns(schema._schema, parsed, operation_name), location)


async def _execute_each(
    context: Any,
    document: str,
    variables: Sequence[Mapping[str, Any]],
    operation_name: str | None = None,
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Execute ``document`` once per variables set through the schema, concurrently."""
    from graph_service.api.schema import schema

    results = await asyncio.gather(
        *(schema.execute(document, variable_values=dict(v), context_value=context,
                         operation_name=operation_name)
          for v in variables)
    )
    return [(r.data, [dict(e.formatted) for e in r.errors or ()]) for r in results]


async def execute_many(
    store: GraphStore,
    settings: Settings,
    document: str,
    variables: list[dict[str, Any]],
    operation_name: str | None = None,
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Execute ``document`` once per variables dict, concurrently, sharing one context.

    ``operation_name`` is GraphQL's ``operationName``: the operation of the document to run.

    Returns
    -------
    list of (data, errors)
        Aligned with ``variables``; ``errors`` holds the formatted GraphQL errors (with
        ``extensions.code``), empty when the execution succeeded.

    """
    from graph_service.api.context import make_context

    return await _execute_each(
        make_context(store, settings), document, variables, operation_name
    )


class _ReadVariables(Mapping[str, Any]):
    """A read-only view of a variables dict that notes which names were looked up."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._given = values
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return self._given[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._given)

    def __len__(self) -> int:
        return len(self._given)


class _NodeBudget:
    """The node-budget check of one document for many variables sets.

    The check of :class:`~graph_service.api.extensions.CostLimit`, computed once per
    distinct value of the variables it reads.
    :func:`~graph_service.api.cost.estimate_nodes` walks the whole document whatever the
    values, so the variables it reads are the same for every set; the estimate is a function
    of their presence and values.
    """

    def __init__(self, document: DocumentNode, settings: Settings) -> None:
        self.document = document
        self.settings = settings
        self.names: tuple[str, ...] | None = None
        self.refused: dict[str, bool] = {}

    def refuses(self, variables: Mapping[str, Any]) -> bool:
        """Whether the operation, with ``variables``, is estimated above the budget."""
        from graph_service.api.cost import estimate_nodes
        from graph_service.api.schema import schema

        if self.names is None:
            seen = _ReadVariables(variables)
            estimate = estimate_nodes(schema._schema, self.document, self.settings, seen)
            self.names = tuple(sorted(seen.read))
            self.refused[self._key(variables)] = estimate > self.settings.max_query_nodes
        key = self._key(variables)
        if key not in self.refused:
            estimate = estimate_nodes(schema._schema, self.document, self.settings, variables)
            self.refused[key] = estimate > self.settings.max_query_nodes
        return self.refused[key]

    def _key(self, variables: Mapping[str, Any]) -> str:
        from graph_service.api.shared import variables_key

        assert self.names is not None
        return variables_key(self.names, variables)


class _BulkRunner:
    """Runs the lines of a bulk run chunk by chunk, sharing what the lines' executions share.

    Every line is answered as if the document ran for it alone with the chunk's shared
    context (the reference, :func:`execute_many`). Once one line of the run has executed
    (so the document parses, is valid and names its operation), the lines of a chunk are
    executed by :class:`~graph_service.api.shared.SharedOperation`; a line is executed on
    its own instead when the node budget refuses it, when its shared execution has an
    error, or when the document cannot be shared (not exactly one query operation, a
    schema extension with a resolver hook).
    """

    def __init__(
        self,
        store: GraphStore,
        settings: Settings,
        document: str,
        operation_name: str | None = None,
    ) -> None:
        from graph_service.api.extensions import parse_document
        from graph_service.api.schema import schema
        from graph_service.api.shared import SharedOperation

        self.store = store
        self.settings = settings
        self.document = document
        self.operation_name = operation_name
        self.candidate: SharedOperation | None = None
        self.shared: SharedOperation | None = None
        self.budget: _NodeBudget | None = None
        if any(e._implements_resolve() for e in schema.get_extensions()):
            return
        try:
            parsed = parse_document(document)
        except GraphQLError:
            return
        self.candidate = SharedOperation.prepare(schema._schema, parsed)
        self.budget = _NodeBudget(parsed, settings)

    async def run(self, variables: list[dict[str, Any]]) -> list[tuple[Any, list[dict[str, Any]]]]:
        """Answer one chunk of lines (one shared context); ``(data, errors)`` per line."""
        from graph_service.api.context import make_context

        context = make_context(self.store, self.settings)
        answers: list[tuple[Any, list[dict[str, Any]]] | None] = [None] * len(variables)
        if self.shared is None and self.candidate is not None and variables:
            first = answers[0] = (await _execute_each(
                context, self.document, variables[:1], self.operation_name
            ))[0]
            if first[0] is not None:  # it executed: the document is valid
                self.shared = self.candidate
        if self.shared is not None and self.budget is not None:
            lines = [i for i, v in enumerate(variables)
                     if answers[i] is None and not self.budget.refuses(v)]
            shared = await self.shared.execute([variables[i] for i in lines], context)
            for i, data in zip(lines, shared, strict=True):
                if data is not None:
                    answers[i] = (data, [])
        alone = [i for i, answer in enumerate(answers) if answer is None]
        # A context of their own: which errors a failing line reports can depend on what its
        # loaders already hold (a null in a non-null root field stops the other root fields).
        context = make_context(self.store, self.settings)
        for i, answer in zip(
            alone, await _execute_each(
                context, self.document, [variables[i] for i in alone], self.operation_name
            ),
            strict=True,
        ):
            answers[i] = answer
        return [answer for answer in answers if answer is not None]


def error_text(errors: list[dict[str, Any]]) -> str:
    """The ``errors`` cell of a CSV row: ``CODE: message`` per error, ``; ``-separated.

    Examples
    --------
    >>> error_text([{"message": "Enterprise 'x' not found", "extensions": {"code": "NOT_FOUND"}}])
    "NOT_FOUND: Enterprise 'x' not found"
    """
    return "; ".join(
        f"{(e.get('extensions') or {}).get('code', 'ERROR')}: {e.get('message', '')}"
        for e in errors
    )


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
) -> BulkSummary:
    """Run every variables row and write one output row per input line.

    Parameters
    ----------
    store : GraphStore
    settings : Settings
    document : str
        The GraphQL operation to run for every line.
    rows : list of (int, dict)
        From :func:`read_variables`.
    output : Path or None
        Output file (written atomically), or ``None`` for standard output.
    fmt : {"csv", "ndjson"}
    progress : callable, optional
        Called with the number of lines just finished.
    operation_name : str, optional
        The operation of the document to run (GraphQL's ``operationName``).

    Returns
    -------
    BulkSummary

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not an output format, or a CSV header would name two columns alike
        (:func:`csv_header`). Errors in the document itself are every line's errors here;
        :func:`check_document` refuses them before a run.
    StoreUnavailableError, StoreTimeoutError
        At the first line answered ``STORE_UNAVAILABLE`` or ``STORE_TIMEOUT``; no output is
        written.

    Notes
    -----
    The CSV header is ``line``, the columns of :func:`csv_columns`, ``errors``; it depends
    on the document only.

    """
    if fmt not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}"
        )
    columns = document_columns(document, operation_name) if fmt == "csv" else []
    header = csv_header(columns)
    runner = _BulkRunner(store, settings, document, operation_name)
    results: list[tuple[int, Any, list[dict[str, Any]]]] = []
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        answers = await runner.run([v for _, v in chunk])
        for (number, _), (_, errors) in zip(chunk, answers, strict=True):
            _stop_on_store_failure(number, errors)
        results.extend(
            (number, data, errors)
            for (number, _), (data, errors) in zip(chunk, answers, strict=True)
        )
        if progress is not None:
            progress(len(chunk))
    failed = sum(1 for _, _, errors in results if errors)
    with _atomic_output(output) as stream:
        if fmt == "ndjson":
            for number, data, errors in results:
                record = {"line": number, "data": data, "errors": errors or None}
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows(
                [number, *[column_value(data, c) for c in columns], error_text(errors)]
                for number, data, errors in results
            )
    return BulkSummary(len(results), failed)
