// enterpriseGroups: the weakly connected components (FalkorDB's algo.WCC) of the enterprises
// over SHAREHOLDER_OF and GUARANTEES between enterprises, those of 2 or more, each with its
// members' employees and covered employees summed (as all_payroll_coverage counts them);
// rows [component, members, staff, covered], ranked and paged by the benchmark
// (questions.groups_page)
CALL algo.WCC({nodeLabels: ['Enterprise'], relationshipTypes: ['SHAREHOLDER_OF', 'GUARANTEES']})
YIELD node, componentId
WITH componentId, collect(node) AS members
WHERE size(members) >= 2
UNWIND members AS e
OPTIONAL MATCH (p:Person)-[:EMPLOYED_BY]->(e)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND a.type IN $payroll
WITH componentId, e, p, count(a) > 0 AS covered
WITH componentId, e, count(p) AS employees,
     sum(CASE WHEN p IS NOT NULL AND covered THEN 1 ELSE 0 END) AS covered
RETURN componentId, collect(e.id) AS members, toInteger(sum(employees)) AS staff,
       toInteger(sum(covered)) AS covered
