// Bulk load of a canonical CSV directory ({bank}); files mixing labels are split by label.
COPY Enterprise FROM '{bank}/enterprises.csv' (HEADER = true);
COPY Person FROM '{bank}/persons.csv' (HEADER = true);
COPY Account FROM '{bank}/accounts.csv' (HEADER = true);
COPY Manager FROM '{bank}/managers.csv' (HEADER = true);
COPY EMPLOYED_BY FROM '{bank}/employed_by.csv' (HEADER = true);
COPY TRANSFERRED_TO FROM '{bank}/transferred_to.csv' (HEADER = true);
COPY SHAREHOLDER_OF FROM (LOAD FROM '{bank}/shareholder_of.csv' (HEADER = true)
  WHERE holder_label = 'Person' RETURN holder_id, enterprise_id, CAST(ratio AS DOUBLE))
  (from = 'Person', to = 'Enterprise');
COPY SHAREHOLDER_OF FROM (LOAD FROM '{bank}/shareholder_of.csv' (HEADER = true)
  WHERE holder_label = 'Enterprise' RETURN holder_id, enterprise_id, CAST(ratio AS DOUBLE))
  (from = 'Enterprise', to = 'Enterprise');
COPY OWNS FROM (LOAD FROM '{bank}/owns.csv' (HEADER = true)
  WHERE owner_label = 'Person' RETURN owner_id, account_id) (from = 'Person', to = 'Account');
COPY OWNS FROM (LOAD FROM '{bank}/owns.csv' (HEADER = true)
  WHERE owner_label = 'Enterprise' RETURN owner_id, account_id)
  (from = 'Enterprise', to = 'Account');
COPY MANAGES FROM (LOAD FROM '{bank}/manages.csv' (HEADER = true)
  WHERE client_label = 'Enterprise' RETURN manager_id, client_id)
  (from = 'Manager', to = 'Enterprise');
COPY MANAGES FROM (LOAD FROM '{bank}/manages.csv' (HEADER = true)
  WHERE client_label = 'Person' RETURN manager_id, client_id) (from = 'Manager', to = 'Person');
COPY GUARANTEES FROM (LOAD FROM '{bank}/guarantees.csv' (HEADER = true)
  WHERE label = 'Person' RETURN from_id, to_id) (from = 'Person', to = 'Person');
COPY GUARANTEES FROM (LOAD FROM '{bank}/guarantees.csv' (HEADER = true)
  WHERE label = 'Enterprise' RETURN from_id, to_id) (from = 'Enterprise', to = 'Enterprise');
