// Candidates of search(text:) among Manager nodes: those whose searchText holds every one of
// $terms (exact terms: a term query finds every node holding it), at most $limit.
UNWIND $terms AS term
CALL db.index.fulltext.queryNodes('search_Manager', term) YIELD node
WITH node, count(*) AS found
WHERE found = size($terms)
RETURN node.id AS id
LIMIT $limit
