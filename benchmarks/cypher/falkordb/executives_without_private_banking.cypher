// executivesWithoutPrivateBanking(enterpriseId: $e, first: $first) { totalCount edges { node { id } } }
MATCH (p:Person)-[r:EMPLOYED_BY]->(:Enterprise {id: $e})
WHERE r.role = 'executive'
WITH DISTINCT p
WHERE p.segment IS NULL OR p.segment <> 'private'
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND a.type IN $private_banking
WITH p, count(a) AS held
WHERE held = 0
WITH p.id AS id ORDER BY id
WITH collect(id) AS ids
RETURN size(ids) AS total, ids[0..$first] AS page
