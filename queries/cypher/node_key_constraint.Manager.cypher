// One Manager per id: the key every MERGE and lookup of a Manager uses.
CREATE CONSTRAINT manager_id IF NOT EXISTS
FOR (n:Manager) REQUIRE n.id IS UNIQUE
