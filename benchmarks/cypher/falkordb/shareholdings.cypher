// influence's graph: every SHAREHOLDER_OF, holder label, holder id, held id, ratio
// (PageRank then runs in networkx: FalkorDB's algo.pageRank takes no weight)
MATCH (h)-[r:SHAREHOLDER_OF]->(e:Enterprise)
RETURN labels(h)[0], h.id, e.id, r.ratio
