// One Medium per id: the key every MERGE and lookup of a Medium uses.
CREATE CONSTRAINT medium_id IF NOT EXISTS
FOR (n:Medium) REQUIRE n.id IS UNIQUE
