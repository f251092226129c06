// FalkorDB variant: a range index on Referral.id (FalkorDB has no CREATE CONSTRAINT in Cypher;
// the store ignores the "already indexed" answer, so this is run at every start).
CREATE INDEX FOR (n:Referral) ON (n.id)
