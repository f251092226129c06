// Every LOGGED_BY relationship in the graph, with its end nodes' keys and its properties:
// the whole-book subgraph of the analytics questions (GraphStore.relationships_of_types),
// which networkx then runs on in the service. Sorted in Python.
MATCH (a)-[r:LOGGED_BY]->(b)
RETURN labels(a)[0] AS start_label, a.id AS start_id, labels(b)[0] AS end_label, b.id AS end_id,
       properties(r) AS props
