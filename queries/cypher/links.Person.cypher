// Relationships of the types $types at each Person of $ids, in either direction, with the
// key of the node at the other end; outgoing says whether the Person is the start.
UNWIND $ids AS id
MATCH (n:Person {id: id})-[r]-(m)
WHERE type(r) IN $types
RETURN id, type(r) AS type, startNode(r) = n AS outgoing, labels(m)[0] AS label,
       m.id AS other, properties(r) AS props
