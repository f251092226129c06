// Every Contact id (the store sorts them as text).
MATCH (n:Contact)
RETURN n.id AS id
