// Delete every node and relationship. Used by the test suite only, on a Neo4j database it
// was allowed to clear (GRAPH_SERVICE_TEST_NEO4J_CLEAR=1 when it is not empty).
MATCH (n)
DETACH DELETE n
