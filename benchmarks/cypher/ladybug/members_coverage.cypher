// payrollCoverage of the enterprises $ids: id, employees, covered
UNWIND $ids AS id
MATCH (e:Enterprise {id: id})
OPTIONAL MATCH (p:Person)-[:EMPLOYED_BY]->(e)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND list_contains($payroll, a.type)
WITH e, p, count(a) > 0 AS covered
RETURN e.id AS id, count(p) AS employees,
       sum(CASE WHEN p IS NOT NULL AND covered THEN 1 ELSE 0 END) AS covered
