// One Person per id: the key every MERGE and lookup of a Person uses.
CREATE CONSTRAINT person_id IF NOT EXISTS
FOR (n:Person) REQUIRE n.id IS UNIQUE
