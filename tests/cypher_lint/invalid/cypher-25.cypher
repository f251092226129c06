CYPHER 25
MATCH (n) RETURN n.name AS name
