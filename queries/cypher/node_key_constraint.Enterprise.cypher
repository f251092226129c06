// One Enterprise per id: the key every MERGE and lookup of a Enterprise uses.
CREATE CONSTRAINT enterprise_id IF NOT EXISTS
FOR (n:Enterprise) REQUIRE n.id IS UNIQUE
