// Upsert a batch of EMPLOYED_BY relationships from Person to Enterprise: $rows = [{start, end, props}];
// at most one EMPLOYED_BY per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Person {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:EMPLOYED_BY]->(e)
SET r += row.props
