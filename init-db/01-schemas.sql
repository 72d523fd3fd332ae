-- One schema per subgraph, usable only by that subgraph's role: the pyxis role
-- cannot even look into auth. Tables are owned by the migrating (admin) role, so
-- services can read and write rows but never change the schema.
DO $schemas$
DECLARE
  subgraph text;
BEGIN
  FOREACH subgraph IN ARRAY ARRAY['auth', 'pyxis', 'request'] LOOP
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', subgraph);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', subgraph);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', subgraph, 'asky_' || subgraph);
  END LOOP;
END
$schemas$;
