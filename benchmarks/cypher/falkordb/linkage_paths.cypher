// linkagePaths(from: person $a, to: person $b, maxHops: $max_hops) { length }
// FalkorDB's shortestPath() follows one direction only; algo.SPpaths goes both ways.
MATCH (a:Person {id: $a}), (b:Person {id: $b})
CALL algo.SPpaths({sourceNode: a, targetNode: b, relDirection: 'both',
                   maxLen: $max_hops, pathCount: 1})
YIELD path
RETURN length(path) AS length
