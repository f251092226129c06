MATCH (p:Person {id: $id}) RETURN p;
MATCH (e:Enterprise {id: $id}) RETURN e;
