// executivesWithoutPrivateBanking(enterpriseId: $e, first: $first) { totalCount edges { node { id } } }
MATCH (p:Person)-[r:EMPLOYED_BY]->(:Enterprise {id: $e})
WHERE r.role = 'executive'
WITH DISTINCT p
WHERE p.segment IS NULL OR p.segment <> 'private'
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND list_contains($private_banking, a.type)
WITH p, count(a) AS held
WHERE held = 0
WITH collect(p.id) AS ids
RETURN size(ids) AS total, list_slice(list_sort(ids), 1, $first) AS page
