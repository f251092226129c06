// The Contact nodes whose id is in $ids, with every stored property (id included).
MATCH (n:Contact)
WHERE n.id IN $ids
RETURN n.id AS id, properties(n) AS props
