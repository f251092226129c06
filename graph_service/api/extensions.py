"""Cross-cutting concerns of the GraphQL schema, as strawberry schema extensions.

- :class:`ErrorCodes`: maps every error once to an ``extensions.code``. Domain errors
  (:class:`~graph_service.errors.GraphServiceError`) keep their message and carry their
  ``code`` (``NOT_FOUND``, ``BAD_USER_INPUT``, ``STORE_UNAVAILABLE``,
  ``STORE_TIMEOUT``); errors in the
  document are ``GRAPHQL_PARSE_FAILED`` or ``GRAPHQL_VALIDATION_FAILED`` (every error of
  validation, told by its origin), variable values that do not coerce ``BAD_USER_INPUT``;
  anything else is masked as ``INTERNAL_SERVER_ERROR`` with a generic
  message and logged server-side (by :func:`log_unexpected`).
- :class:`~graph_service.api.trail.Audit`: appends the operation's record to the audit trail
  of the request's context (first in :data:`EXTENSIONS`, so it sees the coded errors).
- :class:`ExecutionChecks`: refuses, before execution, a document of several operations
  without an ``operationName`` (code ``BAD_REQUEST``), which strawberry would answer by
  running the first one; an operation that can return more nodes than
  ``Settings.max_query_nodes`` (code ``QUERY_TOO_COMPLEX``; the rule is in
  :mod:`graph_service.api.cost`); variable values that do not coerce to their types (code
  ``BAD_USER_INPUT``), which graphql-core would report without a code.
- :class:`DocumentCache` (strawberry's :class:`~strawberry.extensions.ParserCache`) and
  :class:`DocumentValidation` (strawberry's :class:`~strawberry.extensions.ValidationCache`,
  coding its errors ``GRAPHQL_VALIDATION_FAILED``, with the service's rules: fragment spreads
  bounded first, :func:`spread_errors`; then depth and aliases, :func:`service_rules`, with
  strawberry's token limiter in :data:`EXTENSIONS`): a document sent again (by
  any request, or by every line of a bulk run) is neither parsed nor validated again. Each
  is an LRU of :data:`CACHE_SIZE` documents shared by the process. Validation results are
  keyed by the document *and* its rule classes, so the depth and alias rules are built
  once per limit (:func:`depth_rule`, :data:`ALIAS_RULE`), not once per request.

The schema registers :data:`EXTENSIONS`, each one of strawberry's
:class:`~strawberry.extensions.SchemaExtension` built fresh for every operation. They read
the schema's types through :func:`type_schema` (graphql-core's schema built from the SDL),
as strawberry gives no public access to the executable schema it builds.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    get_operation_ast,
    get_variable_values,
    specified_rules,
)
from graphql.validation import (
    ASTValidationRule,
    KnownFragmentNamesRule,
    NoSchemaIntrospectionCustomRule,
)
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import (
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as create_alias_validator
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema.schema import validate_document

from graph_service.api.context import Context
from graph_service.api.cost import estimate_nodes
from graph_service.api.trail import Audit
from graph_service.config import Settings
from graph_service.errors import GraphServiceError, InvalidInputError

logger = logging.getLogger("graph_service.api")

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
"""Code of an error of document validation (:class:`DocumentValidation`)."""
BAD_USER_INPUT = InvalidInputError.code
"""Code of a variable value that does not coerce to its type (and of domain input errors)."""
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
"""Code of an operation refused by :class:`CostLimit`."""
BAD_REQUEST = "BAD_REQUEST"
"""Code of a request that is not a runnable GraphQL request (answered with HTTP 400)."""
MULTIPLE_OPERATIONS = "Must provide operation name if query contains multiple operations."
"""graphql-core's message for a document of several operations without ``operationName``."""
INTERNAL_MESSAGE = "Internal server error"
MAX_ALIASES = 50
"""Most aliases one document may use (strawberry's ``MaxAliasesLimiter``)."""
MAX_TOKENS = 5000
"""Most lexical tokens one document may hold (strawberry's ``MaxTokensLimiter``)."""
CACHE_SIZE = 128
"""Documents kept by the parser cache and by the validation cache (each an LRU)."""
MAX_VARIABLE_VALUES = 5_000
"""Most values the variables of one request may hold, nested ones counted (each list item,
object member and the containers themselves): as many as :data:`MAX_TOKENS` lets a document
write out. Coercing them is work before any budget applies: 120,000 values (an ``OR`` of
40,000 filters, 900 KB) took graphql-core and strawberry 5 to 7 s to convert."""
MAX_COERCION_ERRORS = 50
"""Most errors reported for the variable values of one request (graphql-core's
``execute`` default, so that :class:`VariableValues` reports what execution would)."""

MAX_EXPANDED_FIELDS = 20_000
"""Most field selections one operation may hold once its fragment spreads are expanded
(:func:`expanded_fields`). A document within :data:`MAX_TOKENS` holds fewer than 5,000
fields written out; spreads multiply them (30 fragments each spreading the next twice make
2**30), and graphql-core's and strawberry's validation rules walk every spread, so the
expansion is bounded before any of them runs."""
MAX_SAME_NAME_PAIRS = 2_000
"""Most pairs of fields sharing a response name that one operation's merged selections may
hold (:func:`same_name_pairs`). graphql-core's ``OverlappingFieldsCanBeMergedRule``
compares every such pair (with their arguments and sub-selections), so its time grows with
their square: 400 ``search(text: "a") { totalCount }`` written side by side (3,200 tokens)
took 1.9 s to validate, and 900 ``__typename`` ended in a ``RecursionError`` ("Validation
aborted."), each new document validated again. A document repeating no field has none;
fragments sharing ``id`` and the like, a few dozen (benchmarks/README.md, "Validation of
repeated fields")."""

ALIAS_RULE: type[ASTValidationRule] = create_alias_validator(MAX_ALIASES)
"""The validation rule of :data:`MAX_ALIASES` (strawberry's ``MaxAliasesLimiter`` rule), built
once so that the validation cache recognises it."""


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` of an error.

    Parameters
    ----------
    error : GraphQLError
        An error as graphql-core reports it.

    Returns
    -------
    str
        The domain error's ``code``; the code an extension of this module gave the error
        (e.g. ``QUERY_TOO_COMPLEX``, ``GRAPHQL_VALIDATION_FAILED`` by
        :class:`DocumentValidation`, ``BAD_USER_INPUT`` for variable values that do not
        coerce, by :class:`VariableValues`);
        ``BAD_USER_INPUT`` for a value a strawberry scalar refused (``DateTime``);
        ``GRAPHQL_PARSE_FAILED`` for a syntax error; ``GRAPHQL_VALIDATION_FAILED`` for
        another error without path or original error (refused before execution);
        ``INTERNAL_SERVER_ERROR`` for anything else.
    """
    original = error.original_error
    if isinstance(original, GraphServiceError):
        return original.code
    given = (error.extensions or {}).get("code")
    if isinstance(given, str) and original is None:
        return given
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.path is None and original is None:
        return GRAPHQL_VALIDATION_FAILED
    if isinstance(original, StrawberryInputCoercionError):
        return BAD_USER_INPUT  # a value a scalar refused (DateTime), not a fault of ours
    return INTERNAL_SERVER_ERROR


def with_code(error: GraphQLError, code: str, message: str | None = None,
              original: Exception | None = None) -> GraphQLError:
    """A copy of ``error`` (same locations and path) with ``extensions.code`` set.

    Parameters
    ----------
    error : GraphQLError
        The error to copy.
    code : str
        Its ``extensions.code``.
    message : str, optional
        The copy's message; ``error.message`` when omitted.
    original : Exception, optional
        The copy's ``original_error``: none unless given, so that :func:`error_code` reads
        ``code``.

    Returns
    -------
    GraphQLError
        The copy; ``error`` is left as it was (a validation cache may hold it).
    """
    return GraphQLError(
        message=error.message if message is None else message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions={**(error.extensions or {}), "code": code},
    )


def request_error_of(error: GraphQLError, code: str) -> GraphQLError:
    """``error``, a fault of the request found before execution, coded ``code``.

    Its ``original_error`` (e.g. the :class:`ValueError` of an integer literal of 5,000
    digits, which graphql-core's validation reports as an invalid value) is dropped, the
    message saying what it said, so that the error is not taken for a fault of the
    service; a domain error (:class:`~graph_service.errors.GraphServiceError`, e.g. raised
    by a scalar) is kept, its own code and message prevailing.

    Parameters
    ----------
    error : GraphQLError
        An error of document validation or of variable coercion.
    code : str
        ``GRAPHQL_VALIDATION_FAILED`` or ``BAD_USER_INPUT``.

    Returns
    -------
    GraphQLError
        A coded copy (see :func:`with_code`).
    """
    original = error.original_error
    return with_code(error, code, original=original if isinstance(original, GraphServiceError)
                     else None)


def is_unexpected(error: GraphQLError) -> bool:
    """Whether an error is a fault of the service (masked and logged), not of the request."""
    return error_code(error) == INTERNAL_SERVER_ERROR


def log_unexpected(errors: Sequence[GraphQLError]) -> None:
    """Log the unexpected errors among ``errors`` with their traceback.

    Domain and request errors are the client's business and are not logged.
    """
    for error in errors:
        if is_unexpected(error):
            original = error.original_error or error
            logger.error(
                "unexpected error at %s: %s",
                ".".join(map(str, error.path or [])) or "<operation>",
                original,
                exc_info=(type(original), original, original.__traceback__),
            )


class ErrorCodes(MaskErrors):
    """Give every error its ``extensions.code``; mask unexpected ones.

    Built on strawberry's :class:`~strawberry.extensions.MaskErrors`, which rewrites the
    errors of the result once the operation ends.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """Return ``error`` with its code, and a generic message when unexpected."""
        code = error_code(error)
        original = error.original_error
        if code == INTERNAL_SERVER_ERROR:
            message, original = self.error_message, None
        elif isinstance(original, GraphServiceError):
            message = str(original)
        else:
            message = error.message
        return with_code(error, code, message, original)


@functools.cache
def type_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """graphql-core's schema of the types of ``schema``, built once from its SDL.

    strawberry builds an executable graphql-core schema but offers no public access to it;
    the checks made before execution need only the types (fields, arguments, input and
    enum types), which ``schema.as_str()`` states in full.

    Parameters
    ----------
    schema : strawberry.Schema
        The service's schema.

    Returns
    -------
    GraphQLSchema
        ``graphql.build_schema(schema.as_str())``: the same types, fields and arguments by
        name, without resolvers; the same object for the same ``schema``, and for schemas
        of the same SDL (the stock schema and the fast path's, whose extensions and
        executor differ: built once for a bulk run that checks with one and runs the
        other). Used for the node budget (:class:`CostLimit`), variable coercion
        (:class:`VariableValues`) and the bulk path's document check and CSV columns.
    """
    return _sdl_schema(schema.as_str())


@functools.lru_cache(maxsize=8)
def _sdl_schema(sdl: str) -> GraphQLSchema:
    """graphql-core's schema of an SDL text, built once per text."""
    return build_schema(sdl)


def _settings(context: Any) -> Settings:
    """The settings of a request's context (defaults outside one)."""
    return context.settings if isinstance(context, Context) else Settings()


@functools.cache
def depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """The validation rule refusing selections deeper than ``max_depth``, one per limit.

    Parameters
    ----------
    max_depth : int
        Most levels of fields nested below the root field (the root field counts as 0,
        as in strawberry's ``QueryDepthLimiter``: ``max_depth + 1`` fields deep in all).

    Returns
    -------
    type of ASTValidationRule
        strawberry's ``QueryDepthLimiter`` rule; the same class for the same ``max_depth``,
        so that :class:`~strawberry.extensions.ValidationCache` finds validations made with
        it (its key includes the rule classes).
    """
    return create_validator(max_depth, None)


def service_rules(max_depth: int) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules the service adds to graphql-core's: depth, then aliases.

    Parameters
    ----------
    max_depth : int
        ``Settings.max_query_depth`` (:func:`depth_rule`).

    Returns
    -------
    tuple of ASTValidationRule classes
        :func:`depth_rule` of ``max_depth`` and :data:`ALIAS_RULE`, the same classes for
        the same limit. Used by :class:`ServiceRules` for requests and by the bulk path's
        document check (:func:`graph_service.bulk.check_document`).
    """
    return depth_rule(max_depth), ALIAS_RULE


def _direct(selection_set: SelectionSetNode | None) -> tuple[int, Counter[str]]:
    """Fields written in a selection set (nested ones included), and its fragment spreads."""
    fields = 0
    spreads: Counter[str] = Counter()
    stack = [selection_set] if selection_set is not None else []
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                fields += 1
                if selection.selection_set is not None:
                    stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spreads[selection.name.value] += 1
    return fields, spreads


def expanded_fields(document: DocumentNode) -> int:
    """Field selections of the document's largest operation, fragment spreads expanded.

    Each fragment's expanded size is computed once (memoised), so the cost is linear in the
    document's size, however often its fragments are spread. A spread of an unknown
    fragment, or one that closes a cycle, counts nothing (validation refuses both).

    Parameters
    ----------
    document : DocumentNode
        A parsed document.

    Returns
    -------
    int
        The largest operation's expanded number of fields (0 without an operation).

    Examples
    --------
    >>> from graphql import parse
    >>> expanded_fields(parse("{ ...F ...F } fragment F on Query { a b { c } }"))
    6
    """
    direct = {
        d.name.value: _direct(d.selection_set)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def size(fields: int, spreads: Counter[str]) -> int:
        return fields + sum(count * sizes.get(name, 0) for name, count in spreads.items())

    # Depth-first over the spreads, without recursion: a fragment's size once its spreads'.
    for root in direct:
        stack = [(root, False)]
        while stack:
            name, ready = stack.pop()
            if ready:
                sizes[name] = size(*direct[name])
            elif name not in sizes and name in direct:
                sizes[name] = 0  # under way: a spread closing a cycle counts nothing
                stack.append((name, True))
                stack.extend((other, False) for other in direct[name][1] if other not in sizes)
    return max(
        (size(*_direct(d.selection_set)) for d in document.definitions
         if isinstance(d, OperationDefinitionNode)),
        default=0,
    )


def same_name_pairs(document: DocumentNode, limit: int = MAX_SAME_NAME_PAIRS) -> int:
    """Pairs of fields with the same response name in the document's merged selections.

    What graphql-core's ``OverlappingFieldsCanBeMergedRule`` compares: in each selection
    set, inline fragments and fragment spreads written out (a fragment once per set, as
    graphql-core collects it), the fields that share a response name (alias or name)
    pairwise, then the union of their sub-selections as one selection set in turn. Counted
    without recursion, stopping once past ``limit``, so the cost is at most linear in the
    expanded document (:func:`expanded_fields`). A spread of an unknown fragment, or of one
    already written out on the way down (a cycle), adds nothing (validation refuses both).

    Parameters
    ----------
    document : DocumentNode
        A parsed document.
    limit : int, optional
        Count no further once past this (default :data:`MAX_SAME_NAME_PAIRS`).

    Returns
    -------
    int
        The pairs, summed over every operation and merged selection set; at most the first
        sum past ``limit``.

    Examples
    --------
    >>> from graphql import parse
    >>> same_name_pairs(parse("{ a { x } a { x y } b }"))
    2
    """
    fragments = {d.name.value: d.selection_set for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}  # fmt: skip
    todo: list[tuple[list[SelectionSetNode], frozenset[str]]] = [
        ([d.selection_set], frozenset()) for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]  # fmt: skip
    pairs = 0
    while todo and pairs <= limit:
        sets, above = todo.pop()
        by_name: dict[str, list[SelectionSetNode]] = {}
        counts: Counter[str] = Counter()
        written = set(above)
        while sets:
            for selection in sets.pop().selections:
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    counts[name] += 1
                    if selection.selection_set is not None:
                        by_name.setdefault(name, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    sets.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spread = selection.name.value
                    if spread in fragments and spread not in written:
                        written.add(spread)
                        sets.append(fragments[spread])
        pairs += sum(k * (k - 1) // 2 for k in counts.values())
        below = frozenset(written)
        todo.extend((subs, below) for subs in by_name.values())
    return pairs


def empty_selection(document: DocumentNode) -> SelectionSetNode | None:
    """The first selection set of ``document`` that selects nothing (``{}``), if any.

    GraphQL's grammar is ``SelectionSet : { Selection+ }``, but graphql-core's parser takes
    ``{}`` by default (its ``allow_empty_selection_sets``, deprecated, to become the only
    grammar), and strawberry's depth rule then fails on it with a ``ValueError`` (``max()``
    of no selections) that escapes validation uncoded. Walked without recursion, in the
    document's order.

    Parameters
    ----------
    document : DocumentNode
        A parsed document.

    Returns
    -------
    SelectionSetNode or None
        The first empty selection set of an operation or fragment, nested ones included.

    Examples
    --------
    >>> from graphql import parse
    >>> empty_selection(parse("{ a { b } }")) is None, empty_selection(parse("{ a {} }")) is None
    (True, False)
    """
    stack = [d.selection_set for d in reversed(document.definitions)
             if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)]  # fmt: skip
    while stack:
        selection_set = stack.pop()
        if not selection_set.selections:
            return selection_set
        stack.extend(
            selection.selection_set for selection in reversed(selection_set.selections)
            if isinstance(selection, FieldNode | InlineFragmentNode)
            and selection.selection_set is not None
        )
    return None


def spread_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """The errors of a document's fragment spreads, found before any other rule walks them.

    First an empty selection set (:func:`empty_selection`, which graphql-core's rules take
    and strawberry's depth rule fails on), coded ``GRAPHQL_VALIDATION_FAILED``. Then a
    spread of an unknown fragment (graphql-core's ``KnownFragmentNamesRule``; strawberry's
    depth rule would fail on it with a ``KeyError``), spreads expanding beyond
    :data:`MAX_EXPANDED_FIELDS` (:func:`expanded_fields`; graphql-core's and strawberry's
    rules walk every spread), or fields repeated beyond :data:`MAX_SAME_NAME_PAIRS`
    (:func:`same_name_pairs`; graphql-core compares them pairwise). The checks are linear
    in the document's size.

    Parameters
    ----------
    schema : GraphQLSchema
        The schema's types (:func:`type_schema`).
    document : DocumentNode
        A parsed document.

    Returns
    -------
    list of GraphQLError
        An empty selection set or unknown fragments coded ``GRAPHQL_VALIDATION_FAILED``,
        else at most one ``QUERY_TOO_COMPLEX`` error; empty when the selection sets select
        something and the spreads and repeats are within bounds.
    """
    empty = empty_selection(document)
    if empty is not None:
        return [GraphQLError(
            "A selection set must select at least one field ('{ Selection+ }' in GraphQL's "
            "grammar); this one selects nothing.",
            empty, extensions={"code": GRAPHQL_VALIDATION_FAILED},
        )]
    defined = {d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    spread = {
        name
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
        for name in _direct(d.selection_set)[1]
    }
    if not spread <= defined:  # the rule only then, for its messages and locations
        unknown = validate_document(schema, document, (KnownFragmentNamesRule,))
        return [request_error_of(error, GRAPHQL_VALIDATION_FAILED) for error in unknown]
    fields = expanded_fields(document)
    if fields > MAX_EXPANDED_FIELDS:
        shown = f"{fields:,}" if fields < 10**15 else f"about 10^{len(str(fields)) - 1}"
        return [GraphQLError(
            f"Query too complex: its fragment spreads expand to {shown} fields, above the "
            f"limit of {MAX_EXPANDED_FIELDS:,}; spread fragments fewer times.",
            extensions={"code": QUERY_TOO_COMPLEX, "limit": MAX_EXPANDED_FIELDS},
        )]
    pairs = same_name_pairs(document)
    if pairs <= MAX_SAME_NAME_PAIRS:
        return []
    return [GraphQLError(
        f"Query too complex: it repeats fields so often that validating it would compare "
        f"more than {MAX_SAME_NAME_PAIRS:,} pairs of fields with the same response name; "
        "ask for each field once (repeated fields are merged into one answer).",
        extensions={"code": QUERY_TOO_COMPLEX, "limit": MAX_SAME_NAME_PAIRS},
    )]


class DocumentCache(ParserCache):
    """strawberry's :class:`~strawberry.extensions.ParserCache`, leaving syntax errors to it.

    The parser cache parses inside its hook, where a syntax error (or too many tokens) would
    escape the operation and so :class:`ErrorCodes`; here a document that does not parse is
    left unparsed, and strawberry's own parse reports the error as usual
    (``GRAPHQL_PARSE_FAILED``). Such documents are not cached.
    """

    def on_parse(self) -> Iterator[None]:
        """Take the parsed document from the cache, parsing it on a miss."""
        ctx = self.execution_context
        if ctx.query:
            try:
                ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
            except GraphQLError:
                pass  # parsed again, and reported, by strawberry
        yield


def validate_coded(schema: GraphQLSchema, document: DocumentNode,
                   rules: tuple[type[ASTValidationRule], ...]) -> list[GraphQLError]:
    """Validate ``document`` as strawberry does; code every error ``GRAPHQL_VALIDATION_FAILED``.

    Parameters
    ----------
    schema : GraphQLSchema
        The graphql-core schema.
    document : DocumentNode
        The parsed document.
    rules : tuple of ASTValidationRule classes
        The request's extra rules (depth, aliases); strawberry adds graphql-core's.

    Returns
    -------
    list of GraphQLError
        The errors, coded by :func:`request_error_of`: an error of validation is a fault
        of the document whatever it says (``Variable '$e' is never used.`` included).
        Fragment spreads are checked first (:func:`spread_errors`): a document whose spreads
        are unknown or expand too far gets those errors only, without the rules walking it.
    """
    return spread_errors(schema, document) or [
        request_error_of(error, GRAPHQL_VALIDATION_FAILED)
        for error in validate_document(schema, document, rules)
    ]


V = TypeVar("V")


class _Same(Generic[V]):
    """An object as a cache key, by identity: a parsed document, the settings.

    graphql-core's nodes are frozen dataclasses whose ``__hash__`` walks the whole tree
    each time (about 20 us for the benchmark's one-field query); the parser cache
    (:class:`DocumentCache`) answers the same object for the same text, so identity finds
    it. :class:`~graph_service.config.Settings` are not hashable, and one object serves a
    process. The key holds the object, so its ``id`` cannot be reused while it is cached.
    """

    __slots__ = ("value",)

    def __init__(self, value: V) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


@functools.cache
def _validation_cache(maxsize: int) -> Callable[..., list[GraphQLError]]:
    """The process's LRU of :func:`validate_coded`, one per ``maxsize``, by document identity."""

    @functools.lru_cache(maxsize=maxsize)
    def cached(schema: GraphQLSchema, same: _Same[DocumentNode],
               rules: tuple[type[ASTValidationRule], ...]) -> list[GraphQLError]:
        return validate_coded(schema, same.value, rules)

    def validate(schema: GraphQLSchema, document: DocumentNode,
                 rules: tuple[type[ASTValidationRule], ...]) -> list[GraphQLError]:
        return cached(schema, _Same(document), rules)

    return validate


_KEYED_TYPES = (str, int, float, bool, type(None))


def _variables_key(variables: Mapping[str, Any] | None) -> tuple[tuple[str, type, Any], ...] | None:
    """The variable values as part of a cache key: ``(name, type, value)`` sorted by name.

    The type is part of it, as ``1``, ``1.0`` and ``True`` are equal keys otherwise. A
    string's value is left out (``""``): the estimate reads integers (``first``, ``depth``)
    and whether an argument is given non-null, never a string's text
    (:class:`~graph_service.api.cost._Estimator`), so requests that differ only in an id
    or a search text share one estimate, and the cache holds little whatever is sent.
    ``None`` when a value is a list or an input object: such requests are not kept.
    """
    key = []
    for name, value in (variables or {}).items():
        kind = type(value)
        if kind not in _KEYED_TYPES:
            return None
        key.append((name, kind, "" if kind is str else value))
    return tuple(sorted(key, key=lambda part: part[0]))


@functools.cache
def _estimate_cache(maxsize: int) -> Callable[..., int]:
    """The process's LRU of :func:`~graph_service.api.cost.estimate_nodes`, per ``maxsize``."""

    @functools.lru_cache(maxsize=maxsize)
    def cached(types: GraphQLSchema, document: _Same[DocumentNode], settings: _Same[Settings],
               variables: tuple[tuple[str, type, Any], ...], operation: str | None) -> int:
        return estimate_nodes(types, document.value, settings.value,
                              {name: value for name, _, value in variables}, operation)

    return cached


def estimate(types: GraphQLSchema, document: DocumentNode, settings: Settings,
             variables: Mapping[str, Any] | None, operation: str | None) -> int:
    """:func:`~graph_service.api.cost.estimate_nodes`, kept for the same request.

    The estimate depends on the document, the settings, the variable values and the
    operation alone, so it is kept (an LRU of :data:`CACHE_SIZE`) by the document's and the
    settings' identity (:class:`_Same`), the variable values (:func:`_variables_key`) and
    the operation's name. A request whose variables cannot be such a key is estimated anew.

    Parameters
    ----------
    types : GraphQLSchema
        The schema's types (:func:`type_schema`).
    document : DocumentNode
        The parsed document, as the parser cache holds it.
    settings : Settings
        The request's settings.
    variables : mapping or None
        The request's variable values, as sent.
    operation : str or None
        The requested operation's name.

    Returns
    -------
    int
        The most nodes the operation can return.
    """
    key = _variables_key(variables)
    if key is None:
        return estimate_nodes(types, document, settings, variables, operation)
    return _estimate_cache(CACHE_SIZE)(types, _Same(document), _Same(settings), key, operation)


class DocumentValidation(ValidationCache):
    """strawberry's :class:`~strawberry.extensions.ValidationCache`, with the service's rules.

    Each operation's validation rules gain :func:`service_rules` (the depth limit read from
    the request's :class:`~graph_service.api.context.Context`, so one schema serves every
    configuration; strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` rules
    underneath). With introspection off (``Settings.enabled("introspection")``: off in the
    production profile) graphql-core's ``NoSchemaIntrospectionCustomRule`` is added too:
    ``__schema`` and ``__type`` are refused, ``GRAPHQL_VALIDATION_FAILED`` (``__typename``
    stays). The cache holds the errors of :func:`validate_coded`, so validation errors
    are told from other errors by where they come from, not by their message, and a
    document's fragment spreads are bounded before any rule walks them.
    """

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        super().__init__(maxsize)
        self.cached_validate_document = _validation_cache(maxsize)

    def on_operation(self) -> Iterator[None]:
        """Add the depth and alias rules (and introspection's, when off) to the operation's."""
        settings = _settings(self.execution_context.context)
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules, *request_rules(settings))
        yield


def request_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """The rules :class:`DocumentValidation` adds to graphql-core's for a request.

    Parameters
    ----------
    settings : Settings
        The request's settings (depth limit, whether introspection is on).

    Returns
    -------
    tuple of ASTValidationRule classes
        :func:`service_rules`, then graphql-core's ``NoSchemaIntrospectionCustomRule`` when
        introspection is off.
    """
    introspection = () if settings.enabled("introspection") else (
        NoSchemaIntrospectionCustomRule,)
    return (*service_rules(settings.max_query_depth), *introspection)


def validate_request(schema: strawberry.Schema, document: DocumentNode, settings: Settings
                     ) -> list[GraphQLError]:
    """Validate ``document`` as :class:`DocumentValidation` validates a request's.

    Parameters
    ----------
    schema : strawberry.Schema
        The schema the document will run on (the service's, or the fast path's).
    document : DocumentNode
        The parsed document (:func:`parse_document`).
    settings : Settings
        The request's settings (:func:`request_rules`).

    Returns
    -------
    list of GraphQLError
        graphql-core's rules and :func:`request_rules`' errors, coded
        (:func:`validate_coded`), over the schema's types (:func:`type_schema`: strawberry
        offers no public access to its executable schema), through a cache: a document is
        validated here once per process.
    """
    rules = (*specified_rules, *request_rules(settings))
    return _validation_cache(CACHE_SIZE)(type_schema(schema), document, rules)


def parse_document(query: str) -> DocumentNode:
    """Parse ``query`` as the schema does, through the same cache.

    Parameters
    ----------
    query : str
        A GraphQL document.

    Returns
    -------
    DocumentNode
        The document the schema's :class:`DocumentCache` holds (or now holds) for ``query``
        with the :data:`MAX_TOKENS` limit, so that parsing it here and executing it after
        parses it once.

    Raises
    ------
    GraphQLError
        If ``query`` does not parse or has more than :data:`MAX_TOKENS` tokens.
    """
    cached_parse = DocumentCache(maxsize=CACHE_SIZE).cached_parse_document
    document: DocumentNode = cached_parse(query, max_tokens=MAX_TOKENS)
    return document


def variable_values(variables: Mapping[str, Any] | None, limit: int) -> int:
    """How many values ``variables`` hold, nested ones included, counted to ``limit + 1``.

    Each variable's value, each list item and each object member counts one, whatever it
    holds. Iterative: as deep as the request's JSON decoder allowed.
    """
    count = 0
    todo: list[Any] = list((variables or {}).values())
    while todo and count <= limit:
        value = todo.pop()
        count += 1
        if isinstance(value, Mapping):
            todo.extend(value.values())
        elif isinstance(value, list | tuple):
            todo.extend(value)
    return count


class ExecutionChecks(SchemaExtension):
    """Refuse, before any resolver runs, an operation that a parsed, valid document cannot run.

    In this order, the first refusal answering ``data: null`` and its errors:

    0. **Too many variable values:** more than :data:`MAX_VARIABLE_VALUES`, counted before
       anything converts them (:func:`variable_values`). Code ``BAD_USER_INPUT``.
    1. **An ambiguous operation:** a document of several operations when the request names
       none of them. graphql-core refuses it ("Must provide operation name if query contains
       multiple operations."), but strawberry passes the first operation's name on, so it
       would run the first operation silently. Code ``BAD_REQUEST`` (HTTP 400 over HTTP,
       like an unknown ``operationName``).
    2. **Variable values that do not coerce** to their types (``{"first": "ten"}`` for an
       ``Int``, a missing required variable, an unknown enum value). graphql-core reports
       them as execution starts without a code, in messages that start like some validation
       errors' (``Variable '$e' ...``); here graphql-core's own ``get_variable_values`` over
       :func:`type_schema` coerces them first and the errors are coded ``BAD_USER_INPUT`` by
       :func:`request_error_of`. Before the budget, so that a value of the wrong type is
       named as such rather than priced.
    3. **The node budget:** an operation that can return more nodes than
       ``Settings.max_query_nodes`` (:func:`graph_service.api.cost.estimate_nodes`, with the
       request's variables coerced as execution coerces them; kept for the same request by
       :func:`estimate`). Code ``QUERY_TOO_COMPLEX``, stating the estimate and the budget.
    """

    requested_operation: str | None = None

    def on_operation(self) -> Iterator[None]:
        """Note the request's ``operationName`` (``None`` when it gave none)."""
        # Until the document is parsed, ExecutionContext.operation_name is the request's own;
        # afterwards it falls back to the first operation's name.
        self.requested_operation = self.execution_context.operation_name
        yield

    def on_execute(self) -> Iterator[None]:
        """Run the three checks; pre-empt execution with the first one's errors."""
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None and ctx.result is None:
            errors = self.errors(ctx, document)
            if errors:
                ctx.result = ExecutionResult(data=None, errors=errors)
        yield

    def errors(self, ctx: Any, document: DocumentNode) -> list[GraphQLError]:
        """The errors of the first check that refuses the operation; empty if none does."""
        return operation_errors(type_schema(ctx.schema), document, _settings(ctx.context),
                                ctx.variables, self.requested_operation)


Coercion = Callable[[Mapping[str, Any]], dict[str, Any] | None]
"""A cheaper coercion of one operation's variable values: the coerced values, or ``None``
when it cannot tell (graphql-core's ``get_variable_values`` then coerces them)."""


def operation_errors(types: GraphQLSchema, document: DocumentNode, settings: Settings,
                     variables: Mapping[str, Any] | None,
                     operation_name: str | None) -> list[GraphQLError]:
    """The errors of :class:`ExecutionChecks`' first check refusing an operation of ``document``.

    Parameters
    ----------
    types : GraphQLSchema
        The schema's types (:func:`type_schema`).
    document : DocumentNode
        The parsed, valid document.
    settings : Settings
        Gives the node budget (``max_query_nodes``).
    variables : mapping or None
        The request's variable values, as sent.
    operation_name : str or None
        The request's ``operationName``.

    Returns
    -------
    list of GraphQLError
        Empty when the operation may run; else the errors of the first check refusing it,
        in :class:`ExecutionChecks`' order. The bulk path checks each line with it before
        running lines together (:mod:`graph_service.bulk.merge`).
    """
    errors, _ = checked_variables(types, document, settings, variables, operation_name)
    return errors


def checked_variables(types: GraphQLSchema, document: DocumentNode, settings: Settings,
                      variables: Mapping[str, Any] | None, operation_name: str | None,
                      coerce: Coercion | None = None,
                      ) -> tuple[list[GraphQLError], dict[str, Any]]:
    """:func:`operation_errors`, and the variable values coerced when there are none.

    Parameters
    ----------
    types, document, settings, variables, operation_name
        As :func:`operation_errors` takes them.
    coerce : callable, optional
        Tried before graphql-core's ``get_variable_values``; where it answers, it must
        answer what ``get_variable_values`` would (the set-oriented bulk plan's,
        :mod:`graph_service.bulk.plan`).

    Returns
    -------
    (list of GraphQLError, dict)
        The errors of the first check refusing the operation (empty when it may run), and
        the coerced variable values (empty when refused or without variables).
    """
    count = variable_values(variables, MAX_VARIABLE_VALUES)
    if count > MAX_VARIABLE_VALUES:
        return [GraphQLError(
            f"variables hold more than {MAX_VARIABLE_VALUES:,} values (list items and "
            "input object fields, nested ones included); send fewer",
            extensions={"code": BAD_USER_INPUT, "limit": MAX_VARIABLE_VALUES},
        )], {}
    if operation_name is None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) > 1:
            return [GraphQLError(MULTIPLE_OPERATIONS, extensions={"code": BAD_REQUEST})], {}
    operation = get_operation_ast(document, operation_name)
    coerced: dict[str, Any] = {}
    if operation is not None and operation.variable_definitions:
        told = coerce(variables or {}) if coerce is not None else None
        if told is not None:
            coerced = told
        else:
            values = get_variable_values(
                types, operation.variable_definitions, dict(variables or {}),
                max_errors=MAX_COERCION_ERRORS,
            )
            if isinstance(values, list):
                return [request_error_of(e, BAD_USER_INPUT) for e in values], {}
            coerced = values.coerced
    nodes = estimate(types, document, settings, variables, operation_name)
    if nodes > settings.max_query_nodes:
        return [GraphQLError(
            f"Query too complex: it can return up to {nodes:,} nodes, above the "
            f"limit of {settings.max_query_nodes:,} (GRAPH_SERVICE_MAX_QUERY_NODES); "
            "ask for smaller pages (`first`) or fewer nested connections.",
            extensions={"code": QUERY_TOO_COMPLEX, "estimate": nodes,
                        "limit": settings.max_query_nodes},
        )], {}
    return [], coerced


EXTENSIONS: list[Callable[[], SchemaExtension]] = [
    Audit,  # first: the last to see the result, with every error coded by ErrorCodes
    ExecutionChecks,
    functools.partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    functools.partial(DocumentCache, maxsize=CACHE_SIZE),
    functools.partial(DocumentValidation, maxsize=CACHE_SIZE),
    ErrorCodes,
]
"""Extension factories of the schema, in the order their hooks run (strawberry builds fresh
instances for every operation)."""
