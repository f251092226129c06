// Executives (EMPLOYED_BY role $executive_role) of enterprise $enterprise who are not
// private-banking customers: segment not $private_segment and no active account whose
// type is in $products (graph_service/rules.py).
// The enterprise is found first, through the id index, and passed on WITH: matched in
// one pattern, FalkorDB's planner starts from the filtered Person instead and scans all.
MATCH (e:Enterprise {id: $enterprise})
WITH e
MATCH (e)<-[r:EMPLOYED_BY]-(p:Person)
  WHERE r.role = $executive_role AND NOT coalesce(p.segment = $private_segment, false)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
  WHERE a.status = $active_status AND a.type IN $products
WITH p, count(a) AS products
WHERE products = 0
RETURN DISTINCT p.id AS id
