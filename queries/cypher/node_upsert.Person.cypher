// Upsert a batch of Person nodes: $rows = [{id, props}]; props merge into existing ones.
UNWIND $rows AS row
MERGE (n:Person {id: row.id})
SET n += row.props
