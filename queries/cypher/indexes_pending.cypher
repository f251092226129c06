// How many indexes are not online yet (being populated), polled at start after the schema
// statements: writes and reads wait until every index is in place.
SHOW INDEXES YIELD state
WHERE state <> 'ONLINE'
RETURN count(*) AS pending
