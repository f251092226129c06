// FalkorDB variant: the counts FalkorDB keeps per label and relationship type
// (db.meta.stats), read in O(1). The shared statement's UNION of count() subqueries is
// not reduced to those counts by FalkorDB's planner: it scans every node once per
// relationship type (2 s at 100k people, every /health).
CALL db.meta.stats() YIELD labels
UNWIND keys(labels) AS name
RETURN name, labels[name] AS count
UNION ALL
CALL db.meta.stats() YIELD relTypes
UNWIND keys(relTypes) AS name
RETURN name, relTypes[name] AS count
