// One Loan per id: the key every MERGE and lookup of a Loan uses.
CREATE CONSTRAINT loan_id IF NOT EXISTS
FOR (n:Loan) REQUIRE n.id IS UNIQUE
