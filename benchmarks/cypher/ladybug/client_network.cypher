// clientNetwork(node: enterprise $e, depth: 2) { nodes { label id } }: every node within reach
MATCH (s:Enterprise {id: $e})-[*1..2]-(n)
WHERE id(n) <> id(s)
RETURN DISTINCT label(n) AS label, n.id AS id
