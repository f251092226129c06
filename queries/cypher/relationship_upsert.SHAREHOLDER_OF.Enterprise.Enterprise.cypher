// Upsert a batch of SHAREHOLDER_OF relationships from Enterprise to Enterprise: $rows = [{start, end, props}];
// at most one SHAREHOLDER_OF per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Enterprise {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:SHAREHOLDER_OF]->(e)
SET r += row.props
