// The linkage graph as LadybugDB node and relationship tables (graph_service.model).
CREATE NODE TABLE Enterprise(id STRING, name STRING, industry STRING, region STRING,
                             blocked BOOLEAN, created_at STRING, PRIMARY KEY (id));
CREATE NODE TABLE Person(id STRING, name STRING, segment STRING, blocked BOOLEAN,
                         created_at STRING, PRIMARY KEY (id));
CREATE NODE TABLE Account(id STRING, type STRING, status STRING, opened_at STRING,
                          balance DOUBLE, last_activity_at STRING, PRIMARY KEY (id));
CREATE NODE TABLE Manager(id STRING, name STRING, kind STRING, branch STRING, PRIMARY KEY (id));
CREATE REL TABLE EMPLOYED_BY(FROM Person TO Enterprise, role STRING, title STRING, source STRING);
CREATE REL TABLE SHAREHOLDER_OF(FROM Person TO Enterprise, FROM Enterprise TO Enterprise,
                                ratio DOUBLE);
CREATE REL TABLE OWNS(FROM Person TO Account, FROM Enterprise TO Account);
CREATE REL TABLE MANAGES(FROM Manager TO Enterprise, FROM Manager TO Person);
CREATE REL TABLE GUARANTEES(FROM Person TO Person, FROM Enterprise TO Enterprise);
CREATE REL TABLE TRANSFERRED_TO(FROM Account TO Account, count INT64, total_amount DOUBLE);
