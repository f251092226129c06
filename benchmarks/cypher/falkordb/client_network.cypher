// clientNetwork(node: enterprise $e, depth: 2, relationshipTypes: [the six]) { nodes { label id }
// relationships { type start { label id } end { label id } } truncated }: every node within 2
// hops over the six types (questions.NETWORK_TYPES) either way, then every relationship of
// those types among them (queries/client-network.md). Bounded as ours: beyond $max_nodes nodes
// the relationships are those among the first $max_nodes found (`reached` says it is truncated).
// Rows: one per node (type, end_label and end_id null), then one per relationship. The second
// part walks again rather than OPTIONAL MATCH each node's relationships in the first: that
// apply per node took about three times as long at 10k (15 ms against 4.6 ms an ask); node
// ids, not nodes, are tested for membership (a list of nodes is compared element by element).
MATCH (s:Enterprise {id: $e})
OPTIONAL MATCH (s)-[:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO*1..2]-(n)
WHERE ID(n) <> ID(s)
WITH s, collect(DISTINCT n) AS found
WITH 1 + size(found) AS reached, [s] + found[..$max_nodes - 1] AS nodes
UNWIND nodes AS a
RETURN reached, labels(a)[0] AS label, a.id AS id, NULL AS type, NULL AS end_label,
       NULL AS end_id
UNION ALL
MATCH (s:Enterprise {id: $e})
OPTIONAL MATCH (s)-[:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO*1..2]-(n)
WHERE ID(n) <> ID(s)
WITH s, collect(DISTINCT n) AS found
WITH 1 + size(found) AS reached, [x IN [s] + found[..$max_nodes - 1] | ID(x)] AS ids
UNWIND ids AS x
MATCH (a)-[r:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO]->(b)
WHERE ID(a) = x AND ID(b) IN ids
RETURN reached, labels(a)[0] AS label, a.id AS id, type(r) AS type, labels(b)[0] AS end_label,
       b.id AS end_id
