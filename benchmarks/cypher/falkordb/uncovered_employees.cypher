// uncoveredEmployees(enterpriseId: $e, first: $first) { totalCount edges { node { id } } }
MATCH (p:Person)-[:EMPLOYED_BY]->(:Enterprise {id: $e})
WITH DISTINCT p
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND a.type IN $payroll
WITH p, count(a) AS held
WHERE held = 0
WITH p.id AS id ORDER BY id
WITH collect(id) AS ids
RETURN size(ids) AS total, ids[0..$first] AS page
