// FalkorDB has no elementId(): its variants use id(), which Neo4j 5 deprecates.
MATCH (n)
WHERE id(n) = $nodeId
RETURN n
