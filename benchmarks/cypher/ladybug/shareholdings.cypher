// influence's graph: every SHAREHOLDER_OF, holder label, holder id, held id, ratio
// (PageRank then runs in networkx: no algo extension offline)
MATCH (h)-[r:SHAREHOLDER_OF]->(e:Enterprise)
RETURN label(h), h.id, e.id, r.ratio
