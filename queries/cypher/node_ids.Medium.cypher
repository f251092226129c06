// Every Medium id (the store sorts them as text).
MATCH (n:Medium)
RETURN n.id AS id
