// Upsert a batch of Manager nodes: $rows = [{id, props}]; props merge into existing ones.
UNWIND $rows AS row
MERGE (n:Manager {id: row.id})
SET n += row.props
