// linkagePaths(from: person $a, to: person $b, maxHops: 6) { length }
// The hop bound is part of the pattern (not a parameter): keep it equal to MAX_HOPS.
MATCH p = (a:Person)-[* SHORTEST 1..6]-(b:Person)
WHERE a.id = $a AND b.id = $b
RETURN length(p) AS length
LIMIT 1
