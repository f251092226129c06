// The Medium nodes whose id is in $ids, with every stored property (id included).
MATCH (n:Medium)
WHERE n.id IN $ids
RETURN n.id AS id, properties(n) AS props
