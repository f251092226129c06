// uncoveredEmployees(enterpriseId: $e, first: $first) { totalCount edges { node { id } } }
MATCH (p:Person)-[:EMPLOYED_BY]->(:Enterprise {id: $e})
WITH DISTINCT p
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND list_contains($payroll, a.type)
WITH p, count(a) AS held
WHERE held = 0
WITH collect(p.id) AS ids
RETURN size(ids) AS total, list_slice(list_sort(ids), 1, $first) AS page
