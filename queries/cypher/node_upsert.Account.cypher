// Upsert a batch of Account nodes: $rows = [{id, props}]; props merge into existing ones.
UNWIND $rows AS row
MERGE (n:Account {id: row.id})
SET n += row.props
