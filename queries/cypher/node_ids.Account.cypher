// Every Account id (the store sorts them as text).
MATCH (n:Account)
RETURN n.id AS id
