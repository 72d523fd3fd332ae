-- Rules the database enforces whatever writes to it. Kept out of the Prisma
-- migrations: Prisma cannot express CHECK constraints, and the offline (wasm)
-- schema engine crashes ("unreachable") introspecting a schema that has them.
-- Upstream: prisma/specs#344 (CHECK constraints in the schema language, open).
DO $constraints$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'StockItem_quantity_nonnegative') THEN
    ALTER TABLE pyxis."StockItem" ADD CONSTRAINT "StockItem_quantity_nonnegative" CHECK ("quantity" >= 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'StockItem_parLevel_nonnegative') THEN
    ALTER TABLE pyxis."StockItem" ADD CONSTRAINT "StockItem_parLevel_nonnegative" CHECK ("parLevel" >= 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'StockItem_reserved_nonnegative') THEN
    ALTER TABLE pyxis."StockItem" ADD CONSTRAINT "StockItem_reserved_nonnegative" CHECK ("reserved" >= 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'StockReservation_quantity_positive') THEN
    ALTER TABLE pyxis."StockReservation" ADD CONSTRAINT "StockReservation_quantity_positive" CHECK ("quantity" > 0);
  END IF;
END
$constraints$;
