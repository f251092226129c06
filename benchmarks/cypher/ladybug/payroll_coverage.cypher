// payrollCoverage(enterpriseId: $e) { employees covered }
MATCH (p:Person)-[:EMPLOYED_BY]->(:Enterprise {id: $e})
WITH DISTINCT p
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
WHERE a.status = 'active' AND list_contains($payroll, a.type)
WITH p, count(a) > 0 AS covered
RETURN count(p) AS employees, sum(CASE WHEN covered THEN 1 ELSE 0 END) AS covered
