// A bulk write: one batch of rows per transaction.
UNWIND $rows AS row
MERGE (p:Person {id: row.id})
SET p.name = row.name
