// Every Manager id (the store sorts them as text).
MATCH (n:Manager)
RETURN n.id AS id
