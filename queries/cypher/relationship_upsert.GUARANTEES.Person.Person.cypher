// Upsert a batch of GUARANTEES relationships from Person to Person: $rows = [{start, end, props}];
// at most one GUARANTEES per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Person {id: row.start})
MATCH (e:Person {id: row.end})
MERGE (s)-[r:GUARANTEES]->(e)
SET r += row.props
