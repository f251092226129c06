"""The GraphQL transport: schema, types, per-request context and the FastAPI app.

- :func:`graph_service.api.app.create_app` builds the HTTP application.
- :data:`graph_service.api.schema.schema` is the GraphQL schema;
  :func:`graph_service.api.fast_path.schema_for` gives the one the settings choose (the
  same schema on the fast path, ``GRAPH_SERVICE_FAST_PATH``, or this one).
- :func:`graph_service.api.context.make_context` builds the context to run a document
  in-process: ``await schema.execute(doc, variable_values=..., context_value=ctx)``.
"""
