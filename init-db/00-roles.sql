-- One login role per subgraph. Roles belong to the whole Postgres cluster, so this
-- script touches no database's objects. Development passwords equal the role
-- names; production sets real ones (ALTER ROLE asky_auth PASSWORD '…').
DO $roles$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['asky_auth', 'asky_pyxis', 'asky_request'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', role_name, role_name);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created by an earlier or concurrent run
    END;
  END LOOP;
END
$roles$;
