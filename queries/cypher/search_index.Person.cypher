// The full-text index of Person names: the search terms (every prefix of every word of the
// name, graph_service/search_text.py) in searchText, cut at spaces only (they are already
// normalised), for search(text:).
CREATE FULLTEXT INDEX search_Person IF NOT EXISTS
FOR (n:Person) ON EACH [n.searchText]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}
