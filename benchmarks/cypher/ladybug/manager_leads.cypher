// managerLeads(managerId: $m, maxHops: 2, first: $first) { totalCount edges { hop kinds node {
// id } } }: the people within 2 hops of the manager's clients (hop 0) over EMPLOYED_BY,
// SHAREHOLDER_OF and GUARANTEES ignoring direction who are leads of some kind; by hop, then
// executive, largest shareholding and transfer amount, then id (queries/manager-leads.md).
// The hop bound is part of the pattern (not a parameter): keep it equal to LEAD_HOPS. Every
// lead is returned, in order (an aggregate need not keep the order here): the total is the
// number of rows, the page the first $first.
// A client is at hop 0 by its MANAGES: *0..2 leaves out some zero-length paths in LadybugDB
// 0.22; a client that can be a lead has a job or shares, so a walk of 2 hops comes back to it.
MATCH (m:Manager {id: $m})-[:MANAGES]->(c)
MATCH p = (c)-[:EMPLOYED_BY|SHAREHOLDER_OF|GUARANTEES*1..2]-(x:Person)
WITH m, x, min(length(p)) AS reached
OPTIONAL MATCH (m)-[k:MANAGES]->(x)
WITH x, CASE WHEN k IS NULL THEN reached ELSE 0 END AS hop
OPTIONAL MATCH (x)-[j:EMPLOYED_BY]->(:Enterprise)
WITH x, hop, count(j) > 0 AS employed, list_contains(collect(j.role), $executive) AS executive
OPTIONAL MATCH (x)-[s:SHAREHOLDER_OF]->(:Enterprise)
WITH x, hop, employed, executive, count(s) > 0 AS shareholder,
     coalesce(max(s.ratio), 0.0) AS shareholding
OPTIONAL MATCH (x)-[:OWNS]->(a:Account)
WITH x, hop, employed, executive, shareholder, shareholding,
     count(CASE WHEN a.status = $active AND list_contains($payroll, a.type) THEN 1 END) > 0
       AS payroll,
     count(CASE WHEN a.status = $active AND list_contains($private_banking, a.type) THEN 1 END)
       > 0 AS private_banking
WITH x, hop, executive, shareholding, employed, shareholder, payroll,
     coalesce(x.segment, '') = $private_segment OR private_banking AS private
WITH x, hop, executive, shareholding, list_concat(list_concat(
       CASE WHEN employed AND NOT payroll THEN ['UNCOVERED_EMPLOYEE']
            ELSE CAST([] AS STRING[]) END,
       CASE WHEN executive AND NOT private THEN ['EXECUTIVE_WITHOUT_PRIVATE_BANKING']
            ELSE CAST([] AS STRING[]) END),
       CASE WHEN shareholder AND NOT private THEN ['SHAREHOLDER_WITHOUT_PRIVATE_BANKING']
            ELSE CAST([] AS STRING[]) END) AS kinds
WHERE size(kinds) > 0
// Each transfer once: those leaving their accounts, and those reaching them from others'
// (collect(DISTINCT t) of the transfers either way gave other sums in the whole query).
OPTIONAL MATCH (x)-[:OWNS]->(:Account)-[o:TRANSFERRED_TO]->(:Account)
WITH x, hop, executive, shareholding, kinds, coalesce(sum(o.total_amount), 0.0) AS sent
OPTIONAL MATCH (x)-[:OWNS]->(:Account)<-[i:TRANSFERRED_TO]-(src:Account)
WHERE NOT EXISTS { MATCH (x)-[:OWNS]->(src) }
WITH x, hop, executive, shareholding, kinds, sent,
     coalesce(sum(i.total_amount), 0.0) AS received
WITH x.id AS id, hop, kinds, executive, shareholding, sent + received AS amount
RETURN id, hop, kinds, executive, shareholding, amount
ORDER BY hop, executive DESC, shareholding DESC, amount DESC, id
