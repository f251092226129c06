MATCH (e:Enterprise {id: $enterpriseId})
RETURN e.name AS name
ORDER BY
