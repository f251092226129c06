// One Account per id: the key every MERGE and lookup of a Account uses.
CREATE CONSTRAINT account_id IF NOT EXISTS
FOR (n:Account) REQUIRE n.id IS UNIQUE
