// Every Enterprise id (the store sorts them as text).
MATCH (n:Enterprise)
RETURN n.id AS id
