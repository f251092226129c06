// FalkorDB variant: its indexes are listed by db.indexes() (no SHOW INDEXES), and are built
// in the background even on an empty graph; a write while one is under construction may be
// missing from it (or, seen under load, crash the server).
CALL db.indexes() YIELD status
WHERE status <> 'OPERATIONAL'
RETURN count(*) AS pending
