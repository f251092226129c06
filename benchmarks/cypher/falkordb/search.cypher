// search(text: $t, first: $first) { totalCount edges { node { label id } } }: the nodes whose
// name has a word beginning with each word of $t ($words), or whose id is $t; exact matches
// (the id, or the name's words are $words) first, then by label and id (queries/search.md).
// Candidates from the full-text index on name ($query: each word a prefix term, all required);
// a name's words are cut at spaces, '&' dropped: how the generated names' words fall.
CALL {
  UNWIND $labels AS label
  CALL db.idx.fulltext.queryNodes(label, $query) YIELD node
  WITH label, node, [w IN split(toLower(node.name), ' ') WHERE w <> '' AND w <> '&'] AS name_words
  UNWIND $words AS q  // all(q IN $words WHERE any(w IN name_words ...)) answers no row here
  WITH label, node, name_words, q, any(w IN name_words WHERE w STARTS WITH q) AS hit
  WITH label, node, name_words, sum(CASE WHEN hit THEN 1 ELSE 0 END) AS hits
  WHERE hits = size($words)
  RETURN CASE WHEN name_words = $words OR node.id = $t THEN 0 ELSE 1 END AS rank, label,
         node.id AS id
  UNION
  MATCH (n:Enterprise {id: $t}) RETURN 0 AS rank, 'Enterprise' AS label, n.id AS id
  UNION
  MATCH (n:Person {id: $t}) RETURN 0 AS rank, 'Person' AS label, n.id AS id
  UNION
  MATCH (n:Manager {id: $t}) RETURN 0 AS rank, 'Manager' AS label, n.id AS id
  UNION
  MATCH (n:Account {id: $t}) RETURN 0 AS rank, 'Account' AS label, n.id AS id
}
WITH rank, label, id ORDER BY rank, label, id
WITH collect([label, id]) AS found
RETURN size(found) AS total, found[0..$first] AS page
