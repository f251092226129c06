// clientNetwork(node: enterprise $e, depth: 2) { nodes { label id } }: every node within reach
MATCH (s:Enterprise {id: $e})-[*1..2]-(n)
WHERE ID(n) <> ID(s)
RETURN DISTINCT labels(n)[0] AS label, n.id AS id
