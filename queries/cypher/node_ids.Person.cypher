// Every Person id (the store sorts them as text).
MATCH (n:Person)
RETURN n.id AS id
