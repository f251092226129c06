// Every Loan id (the store sorts them as text).
MATCH (n:Loan)
RETURN n.id AS id
