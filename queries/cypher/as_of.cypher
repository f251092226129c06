// The store's as-of time: the latest Account.lastActivityAt it holds (ISO-8601 text,
// compared as text; no row when no account has one).
MATCH (n:Account)
WHERE n.lastActivityAt IS NOT NULL
RETURN n.lastActivityAt AS at
ORDER BY at DESC
LIMIT 1
