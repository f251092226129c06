// enterpriseGroups' graph: SHAREHOLDER_OF and GUARANTEES from an enterprise to an enterprise
// (the weakly connected components then run in networkx: no algo extension offline)
MATCH (a:Enterprise)-[:SHAREHOLDER_OF|GUARANTEES]->(b:Enterprise)
RETURN a.id, b.id
