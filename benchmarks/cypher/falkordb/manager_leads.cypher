// managerLeads(managerId: $m, maxHops: 2, first: $first) { totalCount edges { hop kinds node {
// id } } }: the people within 2 hops of the manager's clients (hop 0) over EMPLOYED_BY,
// SHAREHOLDER_OF and GUARANTEES ignoring direction who are leads of some kind; by hop, then
// executive, largest shareholding and transfer amount, then id (queries/manager-leads.md).
// The hop bound is part of the pattern (not a parameter): keep it equal to LEAD_HOPS.
MATCH (:Manager {id: $m})-[:MANAGES]->(c)
MATCH p = (c)-[:EMPLOYED_BY|SHAREHOLDER_OF|GUARANTEES*0..2]-(x:Person)
WITH x, min(length(p)) AS hop
OPTIONAL MATCH (x)-[j:EMPLOYED_BY]->(:Enterprise)
WITH x, hop, count(j) > 0 AS employed, any(r IN collect(j.role) WHERE r = $executive) AS executive
OPTIONAL MATCH (x)-[s:SHAREHOLDER_OF]->(:Enterprise)
WITH x, hop, employed, executive, count(s) > 0 AS shareholder,
     coalesce(max(s.ratio), 0.0) AS shareholding
OPTIONAL MATCH (x)-[:OWNS]->(a:Account)
WITH x, hop, employed, executive, shareholder, shareholding,
     collect(CASE WHEN a.status = $active THEN a.type END) AS active
WITH x, hop, executive, shareholding, any(t IN active WHERE t IN $payroll) AS payroll,
     coalesce(x.segment, '') = $private_segment OR any(t IN active WHERE t IN $private_banking) AS private,
     employed, shareholder
WITH x, hop, executive, shareholding,
     CASE WHEN employed AND NOT payroll THEN ['UNCOVERED_EMPLOYEE'] ELSE [] END +
     CASE WHEN executive AND NOT private THEN ['EXECUTIVE_WITHOUT_PRIVATE_BANKING'] ELSE [] END +
     CASE WHEN shareholder AND NOT private THEN ['SHAREHOLDER_WITHOUT_PRIVATE_BANKING'] ELSE []
     END AS kinds
WHERE size(kinds) > 0
OPTIONAL MATCH (x)-[:OWNS]->(:Account)-[t:TRANSFERRED_TO]-(:Account)
WITH x, hop, executive, shareholding, kinds, collect(DISTINCT t) AS moved
WITH x.id AS id, hop, kinds, executive, shareholding,
     reduce(total = 0.0, t IN moved | total + coalesce(t.total_amount, 0.0)) AS amount
ORDER BY hop, executive DESC, shareholding DESC, amount DESC, id
WITH collect([id, hop, kinds]) AS leads
RETURN size(leads) AS total, leads[0..$first] AS page
