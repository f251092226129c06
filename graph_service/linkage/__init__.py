"""Domain queries: one module per linkage question, listed in :mod:`.registry`.

Each module defines a :class:`~graph_service.linkage.question.Question`: its arguments and
their validation, its rule written once against the store primitives, its cost for the node
budget and its batch form, in the manner of networkx algorithms (plain functions over a
:class:`~graph_service.stores.base.GraphStore`). They apply the
:class:`~graph_service.rules.LinkageRules`, raise the domain errors, and know nothing of
GraphQL or HTTP.
"""
