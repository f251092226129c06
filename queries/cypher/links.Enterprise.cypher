// Relationships of the types $types at each Enterprise of $ids, in either direction, with the
// key of the node at the other end; outgoing says whether the Enterprise is the start.
UNWIND $ids AS id
MATCH (n:Enterprise {id: id})-[r]-(m)
WHERE type(r) IN $types
RETURN id, type(r) AS type, startNode(r) = n AS outgoing, labels(m)[0] AS label,
       m.id AS other, properties(r) AS props
