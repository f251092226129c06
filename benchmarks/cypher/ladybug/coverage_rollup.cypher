// coverageRollup by branch: branch (null: managed by no manager with a branch), enterprises,
// employees, covered; each enterprise's payrollCoverage added to each of its branches
MATCH (e:Enterprise)
OPTIONAL MATCH (p:Person)-[:EMPLOYED_BY]->(e)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND list_contains($payroll, a.type)
WITH e, p, count(a) > 0 AS covered
WITH e, count(p) AS employees,
     sum(CASE WHEN p IS NOT NULL AND covered THEN 1 ELSE 0 END) AS covered
OPTIONAL MATCH (m:Manager)-[:MANAGES]->(e)
WITH e, employees, covered, collect(DISTINCT m.branch) AS branches
UNWIND CASE WHEN size(branches) > 0 THEN branches ELSE [CAST(NULL AS STRING)] END AS branch
RETURN branch, count(e) AS enterprises, sum(employees) AS employees, sum(covered) AS covered
