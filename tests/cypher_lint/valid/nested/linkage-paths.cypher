MATCH (a {id: $fromId})
MATCH (b {id: $toId})
MATCH p = allShortestPaths((a)-[*..10]-(b))
RETURN [n IN nodes(p) | elementId(n)] AS nodes
LIMIT $limit;
