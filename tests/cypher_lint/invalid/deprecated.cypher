MATCH (p:Person)
RETURN id(p) AS id
