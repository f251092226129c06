// One Referral per id: the key every MERGE and lookup of a Referral uses.
CREATE CONSTRAINT referral_id IF NOT EXISTS
FOR (n:Referral) REQUIRE n.id IS UNIQUE
