// One write, one transaction: relationship deletions, node deletions (with their
// relationships), node upserts, then relationship upserts; each section's rows are a list
// parameter named after its label or relationship type and endpoint labels (empty when
// unused). Node rows {id, props}, relationship rows {start, end, props}, deleted nodes ids,
// deleted relationships {start, end}. Props merge into existing ones; the store checks
// beforehand that the ends of upserted relationships exist. Each section ends with an
// aggregation, so an empty list does not end the statement.
UNWIND $delete_EMPLOYED_BY_Person_Enterprise AS row
MATCH (:Person {id: row.start})-[r:EMPLOYED_BY]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_SHAREHOLDER_OF_Person_Enterprise AS row
MATCH (:Person {id: row.start})-[r:SHAREHOLDER_OF]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_SHAREHOLDER_OF_Enterprise_Enterprise AS row
MATCH (:Enterprise {id: row.start})-[r:SHAREHOLDER_OF]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_OWNS_Person_Account AS row
MATCH (:Person {id: row.start})-[r:OWNS]->(:Account {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_OWNS_Enterprise_Account AS row
MATCH (:Enterprise {id: row.start})-[r:OWNS]->(:Account {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_MANAGES_Manager_Enterprise AS row
MATCH (:Manager {id: row.start})-[r:MANAGES]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_MANAGES_Manager_Person AS row
MATCH (:Manager {id: row.start})-[r:MANAGES]->(:Person {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_GUARANTEES_Person_Person AS row
MATCH (:Person {id: row.start})-[r:GUARANTEES]->(:Person {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_GUARANTEES_Enterprise_Enterprise AS row
MATCH (:Enterprise {id: row.start})-[r:GUARANTEES]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_TRANSFERRED_TO_Account_Account AS row
MATCH (:Account {id: row.start})-[r:TRANSFERRED_TO]->(:Account {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_APPLIED_FOR_Person_Loan AS row
MATCH (:Person {id: row.start})-[r:APPLIED_FOR]->(:Loan {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_APPLIED_FOR_Enterprise_Loan AS row
MATCH (:Enterprise {id: row.start})-[r:APPLIED_FOR]->(:Loan {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_DEPOSITED_TO_Loan_Account AS row
MATCH (:Loan {id: row.start})-[r:DEPOSITED_TO]->(:Account {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_REPAID_Account_Loan AS row
MATCH (:Account {id: row.start})-[r:REPAID]->(:Loan {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_WITHDREW_TO_Account_Account AS row
MATCH (:Account {id: row.start})-[r:WITHDREW_TO]->(:Account {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_SIGNED_IN_TO_Medium_Account AS row
MATCH (:Medium {id: row.start})-[r:SIGNED_IN_TO]->(:Account {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_REFERS_Referral_Person AS row
MATCH (:Referral {id: row.start})-[r:REFERS]->(:Person {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_REFERS_Referral_Enterprise AS row
MATCH (:Referral {id: row.start})-[r:REFERS]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_REFERRED_TO_Referral_Manager AS row
MATCH (:Referral {id: row.start})-[r:REFERRED_TO]->(:Manager {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_CONTACTED_Contact_Person AS row
MATCH (:Contact {id: row.start})-[r:CONTACTED]->(:Person {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_CONTACTED_Contact_Enterprise AS row
MATCH (:Contact {id: row.start})-[r:CONTACTED]->(:Enterprise {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_LOGGED_BY_Contact_Manager AS row
MATCH (:Contact {id: row.start})-[r:LOGGED_BY]->(:Manager {id: row.end})
DELETE r
WITH count(*) AS done
UNWIND $delete_Enterprise AS id
MATCH (n:Enterprise {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Person AS id
MATCH (n:Person {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Account AS id
MATCH (n:Account {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Manager AS id
MATCH (n:Manager {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Loan AS id
MATCH (n:Loan {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Medium AS id
MATCH (n:Medium {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Referral AS id
MATCH (n:Referral {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $delete_Contact AS id
MATCH (n:Contact {id: id})
DETACH DELETE n
WITH count(*) AS done
UNWIND $upsert_Enterprise AS row
MERGE (n:Enterprise {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Person AS row
MERGE (n:Person {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Account AS row
MERGE (n:Account {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Manager AS row
MERGE (n:Manager {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Loan AS row
MERGE (n:Loan {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Medium AS row
MERGE (n:Medium {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Referral AS row
MERGE (n:Referral {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_Contact AS row
MERGE (n:Contact {id: row.id})
SET n += row.props
WITH count(*) AS done
UNWIND $upsert_EMPLOYED_BY_Person_Enterprise AS row
MATCH (s:Person {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:EMPLOYED_BY]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_SHAREHOLDER_OF_Person_Enterprise AS row
MATCH (s:Person {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:SHAREHOLDER_OF]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_SHAREHOLDER_OF_Enterprise_Enterprise AS row
MATCH (s:Enterprise {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:SHAREHOLDER_OF]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_OWNS_Person_Account AS row
MATCH (s:Person {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:OWNS]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_OWNS_Enterprise_Account AS row
MATCH (s:Enterprise {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:OWNS]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_MANAGES_Manager_Enterprise AS row
MATCH (s:Manager {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:MANAGES]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_MANAGES_Manager_Person AS row
MATCH (s:Manager {id: row.start})
MATCH (e:Person {id: row.end})
MERGE (s)-[r:MANAGES]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_GUARANTEES_Person_Person AS row
MATCH (s:Person {id: row.start})
MATCH (e:Person {id: row.end})
MERGE (s)-[r:GUARANTEES]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_GUARANTEES_Enterprise_Enterprise AS row
MATCH (s:Enterprise {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:GUARANTEES]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_TRANSFERRED_TO_Account_Account AS row
MATCH (s:Account {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:TRANSFERRED_TO]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_APPLIED_FOR_Person_Loan AS row
MATCH (s:Person {id: row.start})
MATCH (e:Loan {id: row.end})
MERGE (s)-[r:APPLIED_FOR]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_APPLIED_FOR_Enterprise_Loan AS row
MATCH (s:Enterprise {id: row.start})
MATCH (e:Loan {id: row.end})
MERGE (s)-[r:APPLIED_FOR]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_DEPOSITED_TO_Loan_Account AS row
MATCH (s:Loan {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:DEPOSITED_TO]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_REPAID_Account_Loan AS row
MATCH (s:Account {id: row.start})
MATCH (e:Loan {id: row.end})
MERGE (s)-[r:REPAID]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_WITHDREW_TO_Account_Account AS row
MATCH (s:Account {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:WITHDREW_TO]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_SIGNED_IN_TO_Medium_Account AS row
MATCH (s:Medium {id: row.start})
MATCH (e:Account {id: row.end})
MERGE (s)-[r:SIGNED_IN_TO]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_REFERS_Referral_Person AS row
MATCH (s:Referral {id: row.start})
MATCH (e:Person {id: row.end})
MERGE (s)-[r:REFERS]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_REFERS_Referral_Enterprise AS row
MATCH (s:Referral {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:REFERS]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_REFERRED_TO_Referral_Manager AS row
MATCH (s:Referral {id: row.start})
MATCH (e:Manager {id: row.end})
MERGE (s)-[r:REFERRED_TO]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_CONTACTED_Contact_Person AS row
MATCH (s:Contact {id: row.start})
MATCH (e:Person {id: row.end})
MERGE (s)-[r:CONTACTED]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_CONTACTED_Contact_Enterprise AS row
MATCH (s:Contact {id: row.start})
MATCH (e:Enterprise {id: row.end})
MERGE (s)-[r:CONTACTED]->(e)
SET r += row.props
WITH count(*) AS done
UNWIND $upsert_LOGGED_BY_Contact_Manager AS row
MATCH (s:Contact {id: row.start})
MATCH (e:Manager {id: row.end})
MERGE (s)-[r:LOGGED_BY]->(e)
SET r += row.props
RETURN count(*) AS done
