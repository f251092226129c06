// Upsert a batch of MANAGES relationships from Manager to Person: $rows = [{start, end, props}];
// at most one MANAGES per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Manager {id: row.start})
MATCH (e:Person {id: row.end})
MERGE (s)-[r:MANAGES]->(e)
SET r += row.props
