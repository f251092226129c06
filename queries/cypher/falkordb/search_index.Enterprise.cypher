// FalkorDB variant: its full-text index is created by a procedure (no CREATE FULLTEXT INDEX),
// without stop words (a one-letter term is a word prefix); the store ignores the "already
// indexed" answer, so this is run at every start.
CALL db.idx.fulltext.createNodeIndex({label: 'Enterprise', stopwords: []}, 'searchText')
