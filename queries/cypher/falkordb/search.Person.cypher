// FalkorDB variant: its full-text index is queried by label (db.idx.fulltext.queryNodes).
UNWIND $terms AS term
CALL db.idx.fulltext.queryNodes('Person', term) YIELD node
WITH node, count(*) AS found
WHERE found = size($terms)
RETURN node.id AS id
LIMIT $limit
