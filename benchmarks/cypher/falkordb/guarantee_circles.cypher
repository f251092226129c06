// guaranteeCircles(maxLength: 4): each circle once, from its smallest id: a guarantee a -> b,
// then a path of 0 to 3 more back to a, its enterprises distinct; rows [a, the path's ids
// from b to a], ranked and paged by the benchmark (questions.circles_page). (A pattern
// (a)-[:GUARANTEES*1..4]->(a) lists its nodes against the relationships' direction here.)
MATCH (a:Enterprise)-[:GUARANTEES]->(b:Enterprise), p = (b)-[:GUARANTEES*0..3]->(a)
WITH a, [n IN nodes(p) | n.id] AS ids
WHERE all(x IN ids WHERE a.id <= x)
  AND all(i IN range(0, size(ids) - 2) WHERE NOT ids[i] IN ids[i + 1..])
RETURN a.id, ids
