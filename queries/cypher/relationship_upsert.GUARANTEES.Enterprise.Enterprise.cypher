// Upsert a batch of GUARANTEES relationships from Enterprise to Enterprise: $rows = [{start, end, props}];
// at most one GUARANTEES per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Enterprise {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:GUARANTEES]->(e)
SET r += row.props
