// Payroll coverage of each enterprise of $enterprises: its employees (any role) and those
// of them owning an active account whose type is in $products (graph_service/rules.py).
// An absent enterprise answers no row.
UNWIND $enterprises AS enterprise_id
MATCH (e:Enterprise {id: enterprise_id})
OPTIONAL MATCH (e)<-[:EMPLOYED_BY]-(p:Person)
OPTIONAL MATCH (p)-[:OWNS]->(a:Account)
  WHERE a.status = $active_status AND a.type IN $products
WITH enterprise_id, p, count(a) AS products
RETURN enterprise_id AS id, count(p) AS employees,
       count(CASE WHEN products > 0 THEN p END) AS covered
