// Employees (any role) of enterprise $enterprise owning no active account whose type is
// in $products (graph_service/rules.py). OPTIONAL MATCH + count rather than an
// EXISTS { } subquery, so that Neo4j and FalkorDB share the statement.
MATCH (:Enterprise {id: $enterprise})<-[:EMPLOYED_BY]-(p:Person)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
  WHERE a.status = $active_status AND a.type IN $products
WITH p, count(a) AS products
WHERE products = 0
RETURN DISTINCT p.id AS id
