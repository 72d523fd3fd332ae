-- Row access for each subgraph's role on its own tables only (run after the tables).
DO $grants$
DECLARE
  subgraph text;
BEGIN
  FOREACH subgraph IN ARRAY ARRAY['auth', 'pyxis', 'request'] LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', subgraph, 'asky_' || subgraph);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', subgraph, 'asky_' || subgraph);
    -- Migration bookkeeping is the migrating role's alone.
    EXECUTE format('REVOKE ALL ON TABLE %I."_prisma_migrations" FROM %I', subgraph, 'asky_' || subgraph);
  END LOOP;
END
$grants$;

-- A request's status history is append-only.
REVOKE UPDATE, DELETE ON TABLE request."StatusHistory" FROM asky_request;

-- Stock movements are append-only: the log of who changed what is never rewritten.
REVOKE UPDATE, DELETE ON TABLE pyxis."StockMovement" FROM asky_pyxis;

-- A witness confirmation is used once, and the record of its use is never rewritten.
REVOKE UPDATE, DELETE ON TABLE pyxis."WitnessUse" FROM asky_pyxis;
REVOKE UPDATE, DELETE ON TABLE request."WitnessUse" FROM asky_request;

-- Catalogue audit rows are append-only, as stock movements are.
REVOKE UPDATE, DELETE ON TABLE pyxis."CatalogueChange" FROM asky_pyxis;

-- Custody in transit ends (handed over or brought back) but is never erased.
REVOKE DELETE ON TABLE pyxis."StockCustody" FROM asky_pyxis;
