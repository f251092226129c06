"""The execution context of the schema: plain attribute fields completed without a resolver.

graphql-core executes every field the same way: it builds a ``GraphQLResolveInfo``, calls
the field's resolver, tests the result for awaitability, then completes it through
``complete_value`` (non-null, list, leaf, abstract or object). For the fields strawberry
calls *basic* (a plain attribute of the Python object: no resolver, no permission classes,
no field extensions), the resolver only reads the attribute, so that ceremony is most of the
cost of a page of a connection: ``edges { cursor node { id name } }`` over 100 people is 400
such fields.

:class:`FastExecutionContext` completes those fields directly: it reads the attribute and
coerces a leaf value (scalar or enum) or executes the sub-selection of an object value. It
takes the fast way only when the answer cannot differ from graphql-core's: whenever the
value is ``None`` (a null, possibly into a non-null field), the attribute is missing, or the
coercion fails or gives no value, the field is executed again by graphql-core's own
``execute_field``, which reports the error exactly as before. Lists, abstract types, fields
with a resolver and every field of a request that installs resolver middleware (a schema
extension with a ``resolve`` hook) always take graphql-core's way.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


class PlainField(NamedTuple):
    """How to complete one basic field without its resolver.

    Attributes
    ----------
    attribute : str
        The Python attribute holding the value (the strawberry field's ``python_name``).
    return_type : GraphQLOutputType
        The field's type as declared (possibly non-null).
    named : GraphQLLeafType or GraphQLObjectType
        The type the value is completed as: a leaf is coerced, an object's sub-selection
        executed.
    """

    attribute: str
    return_type: GraphQLOutputType
    named: GraphQLLeafType | GraphQLObjectType


def _plain_field(field: GraphQLField) -> PlainField | None:
    """The :class:`PlainField` of a basic strawberry field; ``None`` for any other field."""
    if not getattr(field.resolve, "_is_default", False):
        return None  # a resolver of ours, or strawberry's wrapper of one
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    attribute = getattr(definition, "python_name", None)
    if not isinstance(attribute, str):
        return None
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if isinstance(named, GraphQLLeafType) or (
        isinstance(named, GraphQLObjectType) and named.is_type_of is None
    ):
        return PlainField(attribute, field.type, named)
    return None  # a list, or a type whose values need a runtime check


@functools.cache
def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    """Every field of ``schema`` that :class:`FastExecutionContext` completes directly.

    Parameters
    ----------
    schema : GraphQLSchema
        An executable schema built by strawberry (computed once per schema).

    Returns
    -------
    dict
        ``(object type name, field name)`` to :class:`PlainField`.
    """
    found: dict[tuple[str, str], PlainField] = {}
    for type_name, named_type in schema.type_map.items():
        if isinstance(named_type, GraphQLObjectType) and not type_name.startswith("__"):
            for field_name, field in named_type.fields.items():
                plain = _plain_field(field)
                if plain is not None:
                    found[(type_name, field_name)] = plain
    return found


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing basic fields without their resolver.

    See the module's notes for when the fast way is taken; the answers and errors are
    graphql-core's in every case.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._plain = {} if manager is not None and manager.middlewares else plain_fields(
            self.schema
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """Execute a field; a basic field with a value is completed directly."""
        plain = self._plain.get((parent_type.name, field_details_list[0].node.name.value))
        if plain is not None:
            try:
                value = getattr(source, plain.attribute)
            except Exception:  # noqa: BLE001 - graphql-core reports it below
                value = None
            if value is not None:
                named = plain.named
                if isinstance(named, GraphQLObjectType):
                    return self._complete_object(
                        plain, field_details_list, path, value, position_context
                    )
                try:
                    coerced = named.coerce_output_value(value)
                except Exception:  # noqa: BLE001 - graphql-core reports it below
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    return coerced
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _complete_object(
        self,
        plain: PlainField,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """Execute the sub-selection of an object value, with graphql-core's error handling."""
        assert isinstance(plain.named, GraphQLObjectType)
        try:
            completed = self.collect_and_execute_subfields(
                plain.named, field_details_list, path, value, position_context
            )
        except Exception as raw_error:  # noqa: BLE001 - located and handled as graphql-core does
            self.handle_field_error(raw_error, plain.return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_completed(completed, plain, field_details_list, path)
        return completed

    async def _await_completed(
        self,
        completed: Awaitable[Any],
        plain: PlainField,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001
            self.handle_field_error(raw_error, plain.return_type, field_details_list, path)
            return None


__all__ = ["FastExecutionContext", "PlainField", "plain_fields"]
