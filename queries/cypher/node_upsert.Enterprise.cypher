// Upsert a batch of Enterprise nodes: $rows = [{id, props}]; props merge into existing ones.
UNWIND $rows AS row
MERGE (n:Enterprise {id: row.id})
SET n += row.props
