// payrollCoverage of every enterprise: id, employees, covered
MATCH (e:Enterprise)
OPTIONAL MATCH (p:Person)-[:EMPLOYED_BY]->(e)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND list_contains($payroll, a.type)
WITH e, p, count(a) > 0 AS covered
RETURN e.id AS id, count(p) AS employees,
       sum(CASE WHEN p IS NOT NULL AND covered THEN 1 ELSE 0 END) AS covered
