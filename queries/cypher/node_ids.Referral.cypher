// Every Referral id (the store sorts them as text).
MATCH (n:Referral)
RETURN n.id AS id
