// Node count per label and relationship count per type (one row each; a label or type
// the database has never seen may answer no row).
MATCH (n:Enterprise) RETURN 'Enterprise' AS name, count(n) AS count
UNION ALL
MATCH (n:Person) RETURN 'Person' AS name, count(n) AS count
UNION ALL
MATCH (n:Account) RETURN 'Account' AS name, count(n) AS count
UNION ALL
MATCH (n:Manager) RETURN 'Manager' AS name, count(n) AS count
UNION ALL
MATCH (n:Loan) RETURN 'Loan' AS name, count(n) AS count
UNION ALL
MATCH (n:Medium) RETURN 'Medium' AS name, count(n) AS count
UNION ALL
MATCH (n:Referral) RETURN 'Referral' AS name, count(n) AS count
UNION ALL
MATCH (n:Contact) RETURN 'Contact' AS name, count(n) AS count
UNION ALL
MATCH ()-[r:EMPLOYED_BY]->() RETURN 'EMPLOYED_BY' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:SHAREHOLDER_OF]->() RETURN 'SHAREHOLDER_OF' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:OWNS]->() RETURN 'OWNS' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:MANAGES]->() RETURN 'MANAGES' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:GUARANTEES]->() RETURN 'GUARANTEES' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:TRANSFERRED_TO]->() RETURN 'TRANSFERRED_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:APPLIED_FOR]->() RETURN 'APPLIED_FOR' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:DEPOSITED_TO]->() RETURN 'DEPOSITED_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:REPAID]->() RETURN 'REPAID' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:WITHDREW_TO]->() RETURN 'WITHDREW_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:SIGNED_IN_TO]->() RETURN 'SIGNED_IN_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:REFERS]->() RETURN 'REFERS' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:REFERRED_TO]->() RETURN 'REFERRED_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:CONTACTED]->() RETURN 'CONTACTED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:LOGGED_BY]->() RETURN 'LOGGED_BY' AS name, count(r) AS count
