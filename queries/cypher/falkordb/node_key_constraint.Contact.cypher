// FalkorDB variant: a range index on Contact.id (FalkorDB has no CREATE CONSTRAINT in Cypher;
// the store ignores the "already indexed" answer, so this is run at every start).
CREATE INDEX FOR (n:Contact) ON (n.id)
