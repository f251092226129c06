// Relationships of the types $types at each Loan of $ids, in either direction, with the
// key of the node at the other end; outgoing says whether the Loan is the start.
// $others (ids, or null for any) keeps the relationships to those nodes only; $props
// false leaves the relationship properties out (null), for searches that need keys only.
// Every type is named in the pattern: FalkorDB traverses an untyped undirected pattern
// through its whole adjacency matrix (~90 ms for 2 nodes at 100k people), a typed one not.
UNWIND $ids AS id
MATCH (n:Loan {id: id})
      -[r:EMPLOYED_BY|SHAREHOLDER_OF|OWNS|MANAGES|GUARANTEES|TRANSFERRED_TO|APPLIED_FOR|DEPOSITED_TO|REPAID|WITHDREW_TO|SIGNED_IN_TO|REFERS|REFERRED_TO|CONTACTED|LOGGED_BY]-(m)
WHERE type(r) IN $types AND ($others IS NULL OR m.id IN $others)
RETURN id, type(r) AS type, startNode(r) = n AS outgoing, labels(m)[0] AS label,
       m.id AS other, CASE WHEN $props THEN properties(r) END AS props
