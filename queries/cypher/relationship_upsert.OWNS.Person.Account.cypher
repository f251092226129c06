// Upsert a batch of OWNS relationships from Person to Account: $rows = [{start, end, props}];
// at most one OWNS per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Person {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:OWNS]->(e)
SET r += row.props
