"""The bulk path's files: the JSON Lines variables it reads and the CSV or NDJSON it writes.

- :func:`read_variables` reads a variables file, one JSON object per line; a bad line is
  refused naming file and line (:func:`read_variables_object` reads the single-run form).
- :func:`result_writer` writes one output row per input line, in input order, with the line
  number and any GraphQL errors, as lines are answered; the output appears only when complete.

The CSV columns are derived from the operation's selection set (:func:`layout`), not
from the answers, so every run of a document has the same header, even when every line
fails: ``line``, then one column per selected leaf field under its response name (alias
respected; the fields of an object, selected with a sub-selection, become dotted names such
as ``payrollCoverage.enterprise.id``; a list-typed field is one column holding JSON text,
unless it is exploded: one row per item, its item's fields as columns), then ``errors``, then
``truncated`` when the document selects a list that pages (a connection: ``true`` on a line
where a list was cut at its page size with items left, see
:class:`~graph_service.api.pagination.Paging`). A data column named ``line``, ``errors`` or
``truncated`` is refused (:func:`csv_header`). Cells are spelled as in JSON
(``true``/``false``), null as an empty cell, a text that a spreadsheet would run as a
formula after an apostrophe
(:func:`~graph_service.reports.output.spreadsheet_text`). Running the lines is
:mod:`graph_service.bulk.runner`'s.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

from graph_service.errors import InvalidInputError, Location
from graph_service.memory import bulk_allocation
from graph_service.reports.output import atomic_output, spreadsheet_text

OUTPUT_FORMATS = ("csv", "ndjson")
"""The output formats of a bulk run (``--format``)."""

Result = tuple[int, Any, list[dict[str, Any]], int]
"""One line's answer: its line number, its ``data``, its formatted GraphQL errors and the
number of lists it cut at their page size (:class:`~graph_service.api.pagination.Paging`)."""


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


def _variables(text: str, file: str, line: int | None = None) -> dict[str, Any]:
    """One JSON object of variables, parsed from ``text`` found in ``file`` (at ``line``).

    Raises
    ------
    InvalidInputError
        If ``text`` is not JSON or not an object (the JSON error's line added to a file's
        location), including JSON that Python's parser refuses: an integer of more digits
        than ``sys.get_int_max_str_digits()`` (4,300 by default) or nesting deeper than the
        interpreter's recursion limit (about 1,000 levels). Its location is built only
        then (a run reads a line per enterprise of the book).
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not valid JSON: {exc.msg}", Location(file, exc.lineno if line is None else line)
        ) from None
    except ValueError:  # int() refusing a literal over the digit limit
        raise InvalidInputError(
            f"an integer has more than {sys.get_int_max_str_digits():,} digits",
            Location(file, line),
        ) from None
    except RecursionError:
        raise InvalidInputError("the JSON is nested too deeply", Location(file, line)) from None
    if not isinstance(value, dict):
        raise InvalidInputError("the variables must be a JSON object", Location(file, line))
    return value


def read_variables_object(path: Path) -> dict[str, Any]:
    """Read a JSON file holding one object of variables (the single-run form).

    Raises
    ------
    InvalidInputError
        If the file cannot be read or is not a JSON object (file and line named).
    """
    return _variables(_read_text(path), str(path))


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
    text = _read_text(path)
    with bulk_allocation(freeze=False):  # a dict per line, all kept: no GC pass meanwhile
        rows = [
            (number, _variables(line, path.name, number))
            for number, line in enumerate(text.splitlines(), start=1)
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


PAGE_ARGUMENTS = frozenset({"first", "after"})
"""The arguments of a field that pages (a connection)."""


@dataclass(slots=True)
class Layout:
    """What a document's output rows hold, from its selection set alone.

    Attributes
    ----------
    columns : list of Column
        The CSV data columns (:func:`layout`).
    pages : bool
        Whether the document selects a field that pages (arguments ``first`` and
        ``after``), anywhere: its rows then say whether a list was cut (``truncated``).
    explode : Column or None
        The list field whose items are rows of their own (``--explode``).
    lists : list of Column
        The list-typed fields that could be exploded (selected outside any list).
    """

    columns: list[Column] = field(default_factory=list)
    pages: bool = False
    explode: Column | None = None
    lists: list[Column] = field(default_factory=list)


def _collect(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode,
    prefix: Column | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    spreading: frozenset[str],
    columns: dict[Column, None],
    found: Layout,
) -> None:
    """Add the columns of ``selection_set`` on ``parent`` to ``columns``, in document order.

    ``prefix`` is ``None`` inside a list that is not exploded: no columns there, only
    whether something pages.
    """
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            definition = _field_definition(schema, parent, selection.name.value)
            if definition is None:  # refused by validation: every line fails
                continue
            found.pages |= PAGE_ARGUMENTS <= definition.args.keys()
            key = None if prefix is None else prefix + ((selection.alias or selection.name).value,)
            nullable = get_nullable_type(definition.type)
            named = get_named_type(definition.type)
            listed = isinstance(nullable, GraphQLList)
            if key is not None and listed:
                found.lists.append(key)
            inner = key if not listed or key == found.explode else None
            if selection.selection_set is None or not is_composite_type(named):
                if key is not None:
                    columns[key] = None
                continue
            if key is not None and inner is None:
                columns[key] = None
            _collect(schema, named, selection.selection_set, inner, fragments, spreading,
                     columns, found)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = parent if condition is None else schema.get_type(condition.name.value)
            _collect(schema, target or parent, selection.selection_set, prefix, fragments,
                     spreading, columns, found)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in spreading:  # refused by validation
                continue
            target = schema.get_type(fragment.type_condition.name.value)
            _collect(schema, target or parent, fragment.selection_set, prefix, fragments,
                     spreading | {name}, columns, found)


def layout(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    explode: str | None = None,
) -> Layout:
    """The :class:`Layout` of a document's output, from its selection set alone.

    The columns are those of :func:`csv_columns`, except that the list field ``explode``
    (its dotted response names, e.g. ``uncoveredEmployees.edges``) contributes the columns
    of its sub-selection (or, for a list of scalars, its own column holding one item).

    Raises
    ------
    InvalidInputError
        If ``explode`` names no list field selected outside any other list (the list
        fields are named).
    """
    wanted = None if explode is None else tuple(explode.split("."))
    found = Layout(explode=wanted)
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    root = schema.get_root_type(operations[0].operation) if len(operations) == 1 else None
    if root is not None:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        columns: dict[Column, None] = {}
        _collect(schema, root, operations[0].selection_set, (), fragments, frozenset(),
                 columns, found)
        found.columns = list(columns)
    if wanted is not None and wanted not in found.lists:
        known = ", ".join(".".join(c) for c in found.lists) or "none"
        raise InvalidInputError(
            f"--explode {explode!r} names no list field of the document (list fields: {known})"
        )
    return found


def csv_columns(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None
) -> list[Column]:
    """The data columns of the CSV output of a document, from its selection set alone.

    Parameters
    ----------
    schema : GraphQLSchema
        The schema's types (:func:`graph_service.api.extensions.type_schema`).
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
    >>> from graph_service.api.extensions import type_schema
    >>> from graph_service.api.schema import schema
    >>> doc = parse("query($id: ID!) { c: payrollCoverage(enterpriseId: $id) {"
    ...             " rate enterprise { id } } }")
    >>> [".".join(c) for c in csv_columns(type_schema(schema), doc)]
    ['c.rate', 'c.enterprise.id']
    """
    return layout(schema, document, operation_name).columns


def column_value(data: Any, column: Column) -> Any:
    """The CSV cell of ``column`` in one answer's ``data``.

    Returns
    -------
    Any
        The value at the column's response keys; ``None`` (an empty cell) when ``data`` or
        an object on the way is null or lacks the key (an error, a skipped field); a list or
        object value (a list-typed field, a JSON scalar) as JSON text; a boolean as JSON's
        ``true`` or ``false`` (as inside a list cell); a text a spreadsheet would run as a
        formula after an apostrophe (:func:`~graph_service.reports.output.spreadsheet_text`).

    Examples
    --------
    >>> data = {"c": {"rate": 0.5, "enterprise": None, "tags": ["a"]}}
    >>> [column_value(data, c) for c in [("c", "rate"), ("c", "enterprise", "id"), ("c", "tags")]]
    [0.5, None, '["a"]']
    >>> column_value({"ok": False}, ("ok",))
    'false'
    >>> column_value({"note": "@SUM(1)"}, ("note",))
    "'@SUM(1)"
    """
    value = _at(data, column)
    kind = value.__class__
    if value is None or kind is int or kind is float:  # the common cells, at once
        return value
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False)
    return spreadsheet_text(value)


def document_layout(
    document: str, operation_name: str | None = None, explode: str | None = None
) -> Layout:
    """:func:`layout` of a document's text; empty when it does not parse.

    Parsed through the schema's parser cache, so executing the document afterwards does
    not parse it again.

    Raises
    ------
    InvalidInputError
        As :func:`layout`, for ``explode``.
    """
    from graph_service.api.extensions import parse_document, type_schema
    from graph_service.api.schema import schema

    try:
        parsed = parse_document(document)
    except GraphQLError:  # every line answers the syntax error
        return Layout()
    return layout(type_schema(schema), parsed, operation_name, explode)


RESERVED_COLUMNS = ("line", "errors", "truncated")
"""The CSV columns a bulk run writes around the data columns (``truncated`` only for a
document that selects a list that pages)."""


def csv_header(
    columns: Sequence[Column], location: Location | None = None, pages: bool = False
) -> list[str]:
    """The CSV header of a bulk run: ``line``, the data columns, ``errors`` (``truncated``).

    ``truncated`` ends it when ``pages``; the data columns are their dotted names.

    Raises
    ------
    InvalidInputError
        If a data column is itself named ``line``, ``errors`` or ``truncated`` (a top-level
        field aliased so): the header would name two columns alike. ``location`` names the
        document.
    """
    names = [".".join(column) for column in columns]
    clashes = [name for name in names if name in RESERVED_COLUMNS]
    if clashes:
        raise InvalidInputError(
            f"the CSV output would have two columns named {clashes[0]!r}; give the field "
            "another alias, or use --format ndjson",
            location,
        )
    line, errors, truncated = RESERVED_COLUMNS
    return [line, *names, errors, *([truncated] if pages else [])]


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


def check_format(fmt: str) -> None:
    """Refuse an output format other than those of :data:`OUTPUT_FORMATS`.

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not ``"csv"`` or ``"ndjson"``.
    """
    if fmt not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}"
        )


def _at(data: Any, column: Column) -> Any:
    """The value at ``column``'s response keys in ``data``; ``None`` where one is missing."""
    value = data
    try:
        for key in column:
            value = value[key]
    except (KeyError, TypeError):  # a missing key; null, a list or a scalar on the way
        return None
    return value


def _tail(result: Result, found: Layout) -> list[str]:
    """The last cells of a line's CSV rows: its errors, and whether a list was cut short."""
    _, _, errors, truncated = result
    text = error_text(errors) if errors else ""
    return [text, "true" if truncated else "false"] if found.pages else [text]


def _row(result: Result, found: Layout) -> list[Any]:
    """The one CSV row of a line's answer when no list is exploded (:func:`csv_rows`)."""
    number, data, _, _ = result
    return [number, *[column_value(data, c) for c in found.columns], *_tail(result, found)]


def csv_rows(result: Result, found: Layout) -> Iterator[list[Any]]:
    """The CSV rows of one line's answer: one, or one per item of the exploded list.

    A line whose exploded list is empty or null still has one row, its item cells empty.
    """
    explode = found.explode
    if explode is None:
        yield _row(result, found)
        return
    number, data, _, _ = result
    tail = _tail(result, found)
    items = _at(data, explode)
    depth = len(explode)
    for item in items if isinstance(items, list) and items else [None]:
        yield [
            number,
            *[column_value(item, c[depth:]) if c[:depth] == explode else column_value(data, c)
              for c in found.columns],
            *tail,
        ]


def _row_writer(stream: Any, fmt: str, found: Layout) -> Callable[[Sequence[Result]], None]:
    """Write the CSV header (CSV only); answer the function that writes the lines' rows."""
    if fmt == "ndjson":
        def write_ndjson(results: Sequence[Result]) -> None:
            for number, data, errors, truncated in results:
                record: dict[str, Any] = {"line": number, "data": data, "errors": errors or None}
                if found.pages:
                    record["truncated"] = bool(truncated)
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")

        return write_ndjson
    writer = csv.writer(stream)
    writer.writerow(csv_header(found.columns, pages=found.pages))

    def write_csv(results: Sequence[Result]) -> None:
        if found.explode is None:  # a row per line: the lines' rows at once
            writer.writerows([_row(result, found) for result in results])
            return
        for result in results:
            writer.writerows(csv_rows(result, found))

    return write_csv


@contextmanager
def result_writer(
    output: Path | None, fmt: str, found: Layout
) -> Iterator[Callable[[Sequence[Result]], None]]:
    """Yield a function writing lines' output rows as they come; publish them at the end.

    The rows are written as each batch of lines is answered, so a run holds one batch's
    answers at a time, yet appear only if the block completes: the output file is written
    beside it and renamed only once complete
    (:func:`~graph_service.reports.output.atomic_output`); standard output gets them from a
    temporary file at the end. On any error, nothing is published.

    Parameters
    ----------
    output : Path or None
        Output file; ``None`` for standard output.
    fmt : {"csv", "ndjson"}
        NDJSON: ``{"line": n, "data": ..., "errors": [...] or null}`` per line, with
        ``"truncated": true|false`` when the document pages. CSV: the header of
        :func:`csv_header`, then :func:`csv_rows` per line.
    found : Layout
        The document's layout (:func:`layout`).

    Yields
    ------
    callable
        Called with a sequence of ``(line number, data, formatted errors, lists cut)``,
        in input order.
    """
    if output is not None:
        with atomic_output(output) as stream:
            yield _row_writer(stream, fmt, found)
        return
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        yield _row_writer(spool, fmt, found)
        spool.seek(0)
        shutil.copyfileobj(spool, sys.stdout)
