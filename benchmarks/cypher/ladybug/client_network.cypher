// clientNetwork(node: enterprise $e, depth: 2, relationshipTypes: [the six]) { nodes { label id }
// relationships { type start { label id } end { label id } } truncated }: every node within 2
// hops over the six types (questions.NETWORK_TYPES) either way, then every relationship of
// those types among them (queries/client-network.md). Bounded as ours: beyond $max_nodes nodes
// the relationships are those among the first $max_nodes found (`reached` says it is truncated).
// Rows: one per node and relationship it starts (type, end_label and end_id null for a node
// starting none). The walks of 1 to 2 hops (LadybugDB's default) reach the start too, there
// and back. A list of nodes binds to no pattern or list function here (UNWIND gives no
// pattern node, list_concat takes no NODE[]), so the nodes are walked to twice: once for
// their internal ids (list membership), once as pattern nodes.
MATCH (s:Enterprise {id: $e})
OPTIONAL MATCH (s)-[:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO*1..2]-(n)
WITH s, collect(DISTINCT id(n)) AS found
WITH s, size(found) AS reached, list_slice(found, 1, $max_nodes) AS ids
MATCH (s)-[:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO*1..2]-(a)
WHERE list_contains(ids, id(a))
WITH DISTINCT reached, ids, a
OPTIONAL MATCH (a)-[r:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO]->(b)
WHERE list_contains(ids, id(b))
RETURN reached, label(a) AS label, a.id AS id, label(r) AS type, label(b) AS end_label,
       b.id AS end_id
