"""The bulk path's files: the JSON Lines variables it reads and the CSV or NDJSON it writes.

- :func:`read_variables` reads a variables file, one JSON object per line; a bad line is
  refused naming file and line (:func:`read_variables_object` reads the single-run form).
- :func:`write_results` writes one output row per input line, in input order, with the line
  number and any GraphQL errors; a file appears only when complete.

The CSV columns are derived from the operation's selection set (:func:`csv_columns`), not
from the answers, so every run of a document has the same header, even when every line
fails: ``line``, then one column per selected leaf field under its response name (alias
respected; the fields of an object, selected with a sub-selection, become dotted names such
as ``payrollCoverage.enterprise.id``; a list-typed field is one column holding JSON text),
then ``errors`` (a data column named ``line`` or ``errors`` is refused, :func:`csv_header`).
Cells are spelled as in JSON (``true``/``false``), null as an empty cell. Running the lines
is :mod:`graph_service.bulk.runner`'s.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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

from graph_service.errors import InvalidInputError, Location

OUTPUT_FORMATS = ("csv", "ndjson")
"""The output formats of a bulk run (``--format``)."""

Result = tuple[int, Any, list[dict[str, Any]]]
"""One line's answer: its line number, its ``data`` and its formatted GraphQL errors."""


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
    from graph_service.api.extensions import parse_document, type_schema
    from graph_service.api.schema import schema

    try:
        parsed = parse_document(document)
    except GraphQLError:  # every line answers the syntax error
        return []
    return csv_columns(type_schema(schema), parsed, operation_name)


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


def write_results(
    results: Sequence[Result], output: Path | None, fmt: str, columns: Sequence[Column]
) -> None:
    """Write one output row per line, in the order of ``results``.

    Parameters
    ----------
    results : sequence of (int, data, errors)
        Each line's number, ``data`` and formatted errors (empty when none).
    output : Path or None
        Output file, written beside it and renamed only once complete; ``None`` for
        standard output.
    fmt : {"csv", "ndjson"}
        NDJSON: ``{"line": n, "data": ..., "errors": [...] or null}`` per line. CSV: the
        header of :func:`csv_header`, then ``line``, the cells of ``columns``
        (:func:`column_value`) and :func:`error_text` per line.
    columns : sequence of Column
        The data columns (CSV only; :func:`csv_columns`).
    """
    with _atomic_output(output) as stream:
        if fmt == "ndjson":
            for number, data, errors in results:
                record = {"line": number, "data": data, "errors": errors or None}
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(stream)
            writer.writerow(csv_header(columns))
            writer.writerows(
                [number, *[column_value(data, c) for c in columns], error_text(errors)]
                for number, data, errors in results
            )
