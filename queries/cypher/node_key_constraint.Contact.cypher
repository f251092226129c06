// One Contact per id: the key every MERGE and lookup of a Contact uses.
CREATE CONSTRAINT contact_id IF NOT EXISTS
FOR (n:Contact) REQUIRE n.id IS UNIQUE
