"""Domain queries: one module per linkage question.

They are plain functions over a :class:`~graph_service.stores.base.GraphStore`, in the
manner of networkx algorithms.

They validate arguments, apply the :class:`~graph_service.rules.LinkageRules`, raise the
domain errors, and know nothing of GraphQL or HTTP.
"""
