// Upsert a batch of TRANSFERRED_TO relationships from Account to Account: $rows = [{start, end, props}];
// at most one TRANSFERRED_TO per ordered pair, props merge into existing ones. The store checks
// beforehand that both ends exist.
UNWIND $rows AS row
MATCH (s:Account {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:TRANSFERRED_TO]->(e)
SET r += row.props
