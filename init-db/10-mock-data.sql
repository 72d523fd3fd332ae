-- Development mock data (never for production). What people read (dosage forms,
-- categories, kinds of help) is in pt-BR, as the hospital's staff read it; codes and
-- enum values stay in English. Fixed ids so requests can point at
-- users, medicines and dispensers of the other schemas; ON CONFLICT keeps reruns
-- harmless. Passwords (scrypt): nurse@asky.local / asky-nurse, pharmacist@… /
-- asky-pharmacist, technician@… / asky-technician, admin@… / asky-admin, and
-- charge@asky.local / asky-charge, the charge nurse of UTI Adulto (her ward board).

INSERT INTO auth."User" (id, name, email, "passwordHash", role, "updatedAt") VALUES
  ('11111111-1111-4111-8111-000000000001', 'Ana Souza', 'nurse@asky.local',
   'scrypt$131072$8$1$f15DZuF9HWncGqMHCUFbcw==$SFIc8cOg6wZjog//vWP6b5ZP4gBRF2QreVmcQIqnwko=', 'NURSE', now()),
  ('11111111-1111-4111-8111-000000000002', 'Bruno Lima', 'pharmacist@asky.local',
   'scrypt$131072$8$1$NV2bNWK6FJ5D6xV7EKne9A==$7OxuOldMkVMXi9L5Z5tu2ljWIulJrKum8drA/6T6UKA=', 'PHARMACIST', now()),
  ('11111111-1111-4111-8111-000000000003', 'Carla Mendes', 'technician@asky.local',
   'scrypt$131072$8$1$K9djtBGqs+24t1gUs2wleg==$b2mUtAKpc/QVv8fLeGc91FwKtYb6Kmn9e0eUarmYcqw=', 'TECHNICIAN', now()),
  ('11111111-1111-4111-8111-000000000004', 'Diego Rocha', 'admin@asky.local',
   'scrypt$131072$8$1$63Y2A0D5MBIgj3c0rZtiTQ==$7w5m+QDVMugGbBDImkys7s9FOhgPx1+fzf/HMPR7eGg=', 'ADMIN', now())
ON CONFLICT DO NOTHING;

INSERT INTO auth."User" (id, name, email, "passwordHash", role, units, "updatedAt") VALUES
  ('11111111-1111-4111-8111-000000000005', 'Elisa Prado', 'charge@asky.local',
   'scrypt$131072$8$1$YiTn1qHPKMrB7rlcEV2Q7A==$ErD89jpFh06blmRtotGyMRYuDFjkbGHUdkQUO/wWteE=', 'CHARGE_NURSE', ARRAY['UTI Adulto'], now())
ON CONFLICT DO NOTHING;

-- Professional registrations, as a controlled-substance register names people.
UPDATE auth."User" u SET registration = r.registration
FROM (VALUES ('11111111-1111-4111-8111-000000000001', 'COREN-SP 123456'), ('11111111-1111-4111-8111-000000000002', 'CRF-SP 98765'),
             ('11111111-1111-4111-8111-000000000005', 'COREN-SP 654321')) AS r(id, registration)
WHERE u.id = r.id::uuid AND u.registration IS NULL;

INSERT INTO pyxis."Medicine" (id, name, "activeIngredient", strength, "dosageForm", unit, controlled, "atcCode", "updatedAt") VALUES
  ('22222222-2222-4222-8222-000000000001', 'Dipirona sódica', 'metamizole sodium', '500 mg/mL', 'solução injetável', 'ampoule', false, 'N02BB02', now()),
  ('22222222-2222-4222-8222-000000000002', 'Paracetamol', 'paracetamol', '500 mg', 'comprimido', 'tablet', false, 'N02BE01', now()),
  ('22222222-2222-4222-8222-000000000003', 'Morfina', 'morphine sulfate', '10 mg/mL', 'solução injetável', 'ampoule', true, 'N02AA01', now()),
  ('22222222-2222-4222-8222-000000000004', 'Fentanil', 'fentanyl citrate', '50 mcg/mL', 'solução injetável', 'ampoule', true, 'N01AH01', now()),
  ('22222222-2222-4222-8222-000000000005', 'Midazolam', 'midazolam', '5 mg/mL', 'solução injetável', 'ampoule', true, 'N05CD08', now()),
  ('22222222-2222-4222-8222-000000000006', 'Diazepam', 'diazepam', '10 mg', 'comprimido', 'tablet', true, 'N05BA01', now()),
  ('22222222-2222-4222-8222-000000000007', 'Tramadol', 'tramadol hydrochloride', '50 mg/mL', 'solução injetável', 'ampoule', true, 'N02AX02', now()),
  ('22222222-2222-4222-8222-000000000008', 'Cetamina', 'ketamine', '50 mg/mL', 'solução injetável', 'vial', true, 'N01AX03', now()),
  ('22222222-2222-4222-8222-000000000009', 'Amoxicilina', 'amoxicillin', '500 mg', 'cápsula', 'capsule', false, 'J01CA04', now()),
  ('22222222-2222-4222-8222-000000000010', 'Ceftriaxona', 'ceftriaxone', '1 g', 'pó para solução injetável', 'vial', false, 'J01DD04', now()),
  ('22222222-2222-4222-8222-000000000011', 'Vancomicina', 'vancomycin', '500 mg', 'pó para solução injetável', 'vial', false, 'J01XA01', now()),
  ('22222222-2222-4222-8222-000000000012', 'Omeprazol', 'omeprazole', '40 mg', 'pó para solução injetável', 'vial', false, 'A02BC01', now()),
  ('22222222-2222-4222-8222-000000000013', 'Ondansetrona', 'ondansetron', '2 mg/mL', 'solução injetável', 'ampoule', false, 'A04AA01', now()),
  ('22222222-2222-4222-8222-000000000014', 'Heparina sódica', 'heparin sodium', '5000 UI/mL', 'solução injetável', 'vial', false, 'B01AB01', now()),
  ('22222222-2222-4222-8222-000000000015', 'Enoxaparina', 'enoxaparin sodium', '40 mg/0,4 mL', 'seringa preenchida', 'syringe', false, 'B01AB05', now()),
  ('22222222-2222-4222-8222-000000000016', 'Insulina regular', 'insulin human', '100 UI/mL', 'solução injetável', 'vial', false, 'A10AB01', now()),
  ('22222222-2222-4222-8222-000000000017', 'Furosemida', 'furosemide', '10 mg/mL', 'solução injetável', 'ampoule', false, 'C03CA01', now()),
  ('22222222-2222-4222-8222-000000000018', 'Noradrenalina', 'norepinephrine', '1 mg/mL', 'solução injetável', 'ampoule', false, 'C01CA03', now()),
  ('22222222-2222-4222-8222-000000000019', 'Adrenalina', 'epinephrine', '1 mg/mL', 'solução injetável', 'ampoule', false, 'C01CA24', now()),
  ('22222222-2222-4222-8222-000000000020', 'Cloreto de sódio 0,9%', 'sodium chloride', '0,9% 500 mL', 'solução para infusão', 'bag', false, 'B05XA03', now()),
  ('22222222-2222-4222-8222-000000000021', 'Dexametasona', 'dexamethasone', '4 mg/mL', 'solução injetável', 'ampoule', false, 'H02AB02', now()),
  ('22222222-2222-4222-8222-000000000022', 'Captopril', 'captopril', '25 mg', 'comprimido', 'tablet', false, 'C09AA01', now()),
  ('22222222-2222-4222-8222-000000000023', 'Metoclopramida', 'metoclopramide', '5 mg/mL', 'solução injetável', 'ampoule', false, 'A03FA01', now()),
  ('22222222-2222-4222-8222-000000000024', 'Clonazepam', 'clonazepam', '2 mg', 'comprimido', 'tablet', true, 'N03AE01', now())
ON CONFLICT DO NOTHING;

-- What one ampoule, vial, bag or syringe holds (with a strength per mL: the dose in one).
UPDATE pyxis."Medicine" m SET content = c.content
FROM (VALUES ('22222222-2222-4222-8222-000000000001', '2 mL'), ('22222222-2222-4222-8222-000000000003', '1 mL'),
             ('22222222-2222-4222-8222-000000000004', '2 mL'), ('22222222-2222-4222-8222-000000000005', '3 mL'),
             ('22222222-2222-4222-8222-000000000007', '2 mL'), ('22222222-2222-4222-8222-000000000008', '10 mL'),
             ('22222222-2222-4222-8222-000000000013', '2 mL'), ('22222222-2222-4222-8222-000000000014', '5 mL'),
             ('22222222-2222-4222-8222-000000000015', '0,4 mL'), ('22222222-2222-4222-8222-000000000016', '10 mL'),
             ('22222222-2222-4222-8222-000000000017', '2 mL'), ('22222222-2222-4222-8222-000000000018', '4 mL'),
             ('22222222-2222-4222-8222-000000000019', '1 mL'), ('22222222-2222-4222-8222-000000000020', '500 mL'),
             ('22222222-2222-4222-8222-000000000021', '2,5 mL'), ('22222222-2222-4222-8222-000000000023', '2 mL')) AS c(id, content)
WHERE m.id = c.id::uuid AND m.content IS NULL;

INSERT INTO pyxis."Material" (id, name, category, unit, "updatedAt") VALUES
  ('33333333-3333-4333-8333-000000000001', 'Seringa descartável 10 mL', 'seringas', 'unit', now()),
  ('33333333-3333-4333-8333-000000000002', 'Agulha hipodérmica 40x12', 'agulhas', 'unit', now()),
  ('33333333-3333-4333-8333-000000000003', 'Cateter intravenoso 20G', 'cateteres', 'unit', now()),
  ('33333333-3333-4333-8333-000000000004', 'Equipo macrogotas', 'equipos', 'unit', now()),
  ('33333333-3333-4333-8333-000000000005', 'Luva de procedimento M', 'luvas', 'pair', now()),
  ('33333333-3333-4333-8333-000000000006', 'Gaze estéril 7,5 x 7,5 cm', 'curativos', 'pack', now()),
  ('33333333-3333-4333-8333-000000000007', 'Esparadrapo 10 cm x 4,5 m', 'curativos', 'roll', now()),
  ('33333333-3333-4333-8333-000000000008', 'Máscara cirúrgica', 'EPI', 'unit', now()),
  ('33333333-3333-4333-8333-000000000009', 'Sonda vesical de demora 14Fr', 'cateteres', 'unit', now()),
  ('33333333-3333-4333-8333-000000000010', 'Curativo transparente', 'curativos', 'unit', now()),
  ('33333333-3333-4333-8333-000000000011', 'Scalp 21G', 'agulhas', 'unit', now()),
  ('33333333-3333-4333-8333-000000000012', 'Swab de álcool 70%', 'antissépticos', 'unit', now())
ON CONFLICT DO NOTHING;

INSERT INTO pyxis."AssistanceType" (id, code, name, description) VALUES
  ('55555555-5555-4555-8555-000000000001', 'MAINTENANCE', 'Manutenção', 'O dispensário não funciona como deveria'),
  ('55555555-5555-4555-8555-000000000002', 'STUCK_DRAWER', 'Gaveta travada', 'Uma gaveta ou bolso não abre ou não fecha'),
  ('55555555-5555-4555-8555-000000000003', 'EXPIRED_ITEM', 'Item vencido', 'Foi encontrado um item com a validade vencida'),
  ('55555555-5555-4555-8555-000000000004', 'STOCK_DISCREPANCY', 'Divergência de estoque', 'A contagem não confere com o que o dispensário informa'),
  ('55555555-5555-4555-8555-000000000005', 'QUESTION', 'Dúvida', 'Ajuda para usar o dispensário')
ON CONFLICT DO NOTHING;

INSERT INTO pyxis."Dispenser" (id, code, name, unit, floor, room, status, "updatedAt") VALUES
  ('44444444-4444-4444-8444-000000000001', 'UTI-2-A', 'UTI Adulto A', 'UTI Adulto', '2º andar', 'Sala 201', 'ACTIVE', now()),
  ('44444444-4444-4444-8444-000000000002', 'UTI-2-B', 'UTI Adulto B', 'UTI Adulto', '2º andar', 'Sala 215', 'ACTIVE', now()),
  ('44444444-4444-4444-8444-000000000003', 'PS-1-A', 'Pronto-Socorro', 'Pronto-Socorro', 'Térreo', 'Sala 105', 'ACTIVE', now()),
  ('44444444-4444-4444-8444-000000000004', 'CC-3-A', 'Centro Cirúrgico', 'Centro Cirúrgico', '3º andar', 'Sala 310', 'ACTIVE', now()),
  ('44444444-4444-4444-8444-000000000005', 'CLIN-4-A', 'Clínica Médica', 'Clínica Médica', '4º andar', 'Posto 402', 'ACTIVE', now()),
  ('44444444-4444-4444-8444-000000000006', 'PED-5-A', 'Pediatria', 'Pediatria', '5º andar', 'Posto 501', 'MAINTENANCE', now())
ON CONFLICT DO NOTHING;

-- Stock: each dispenser holds most medicines and materials, in numbered slots,
-- with quantities that differ by dispenser (a few below their par level).
INSERT INTO pyxis."StockItem" (id, "dispenserId", slot, "medicineId", quantity, "parLevel", "updatedAt")
SELECT gen_random_uuid(), d.id, 'M' || lpad(m.n::text, 2, '0'), m.id, (d.n * 7 + m.n * 5) % 30, 20, now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM pyxis."Dispenser") d
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM pyxis."Medicine") m ON (d.n + m.n) % 4 <> 0
ON CONFLICT DO NOTHING;

INSERT INTO pyxis."StockItem" (id, "dispenserId", slot, "materialId", quantity, "parLevel", "updatedAt")
SELECT gen_random_uuid(), d.id, 'S' || lpad(m.n::text, 2, '0'), m.id, (d.n * 11 + m.n * 13) % 80 + 5, 50, now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM pyxis."Dispenser") d
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM pyxis."Material") m ON (d.n + m.n) % 3 <> 0
ON CONFLICT DO NOTHING;

-- Lots and expiry dates, deterministic per slot: what a slot holds is in one lot, or
-- in two where it holds more than 8 (the older, smaller lot first to expire; a few
-- expire within 30 days). Only slots that have no lots yet (a re-run adds nothing).
INSERT INTO pyxis."StockLot" (id, "stockItemId", lot, "expiresAt", quantity)
SELECT gen_random_uuid(), s.id, 'L' || upper(substr(md5(s.id::text || part.n), 1, 6)),
       current_date + (abs(hashtext(s."dispenserId"::text || s.slot)) % 400 + 3) + (part.n - 1) * 180,
       CASE WHEN s.quantity <= 8 THEN s.quantity WHEN part.n = 1 THEN s.quantity / 3 ELSE s.quantity - s.quantity / 3 END
FROM pyxis."StockItem" s
CROSS JOIN (VALUES (1), (2)) AS part(n)
WHERE s.quantity > 0 AND (part.n = 1 OR s.quantity > 8)
  AND NOT EXISTS (SELECT 1 FROM pyxis."StockLot" l WHERE l."stockItemId" = s.id);

-- How each lot came in: a movement by the mock technician two months ago, so that
-- registers (the sum of every movement) balance with what the slots hold.
INSERT INTO pyxis."StockMovement" (id, "stockItemId", kind, delta, "quantityAfter", reason, lot, "actorId", "medicineId", "materialId", at)
SELECT gen_random_uuid(), l."stockItemId", 'RESTOCK', l.quantity,
       sum(l.quantity) OVER (PARTITION BY l."stockItemId" ORDER BY l."expiresAt", l.id), 'opening stock', l.lot,
       '11111111-1111-4111-8111-000000000003', i."medicineId", i."materialId", now() - interval '60 days'
FROM pyxis."StockLot" l JOIN pyxis."StockItem" i ON i.id = l."stockItemId"
WHERE NOT EXISTS (SELECT 1 FROM pyxis."StockMovement" m WHERE m."stockItemId" = l."stockItemId");

-- What help each dispenser offers: every kind, but questions only where staff are around.
INSERT INTO pyxis."DispenserAssistance" ("dispenserId", "assistanceTypeId")
SELECT d.id, t.id FROM pyxis."Dispenser" d CROSS JOIN pyxis."AssistanceType" t
WHERE t.code <> 'QUESTION' OR d.code IN ('UTI-2-A', 'PS-1-A', 'CLIN-4-A')
ON CONFLICT DO NOTHING;

-- Requests in several statuses, from the nurse, handled by the pharmacist and technician.
INSERT INTO request."Request" (id, kind, status, priority, "requesterId", "assigneeId", "medicineId", "materialId",
                               "assistanceTypeId", "dispenserId", quantity, note, feedback, "createdAt", "updatedAt") VALUES
  ('66666666-6666-4666-8666-000000000001', 'MEDICINE', 'PENDING', 'STAT', '11111111-1111-4111-8111-000000000001', NULL,
   '22222222-2222-4222-8222-000000000003', NULL, NULL, '44444444-4444-4444-8444-000000000001', 2,
   'Leito 4: dor intensa pós-operatória', NULL, now() - interval '5 minutes', now() - interval '5 minutes'),
  ('66666666-6666-4666-8666-000000000002', 'MEDICINE', 'ACCEPTED', 'URGENT', '11111111-1111-4111-8111-000000000001',
   '11111111-1111-4111-8111-000000000002', '22222222-2222-4222-8222-000000000010', NULL, NULL,
   '44444444-4444-4444-8444-000000000001', 1, 'Leito 7', NULL, now() - interval '40 minutes', now() - interval '35 minutes'),
  ('66666666-6666-4666-8666-000000000003', 'MEDICINE', 'IN_TRANSIT', 'ROUTINE', '11111111-1111-4111-8111-000000000001',
   '11111111-1111-4111-8111-000000000002', '22222222-2222-4222-8222-000000000001', NULL, NULL,
   '44444444-4444-4444-8444-000000000005', 4, NULL, 'A caminho com o mensageiro', now() - interval '2 hours', now() - interval '20 minutes'),
  ('66666666-6666-4666-8666-000000000004', 'MATERIAL', 'PREPARING', 'ROUTINE', '11111111-1111-4111-8111-000000000001',
   '11111111-1111-4111-8111-000000000003', NULL, '33333333-3333-4333-8333-000000000003', NULL,
   '44444444-4444-4444-8444-000000000002', 10, 'Reposição do posto', NULL, now() - interval '3 hours', now() - interval '2 hours'),
  ('66666666-6666-4666-8666-000000000005', 'ASSISTANCE', 'IN_PROGRESS', 'ASAP', '11111111-1111-4111-8111-000000000001',
   '11111111-1111-4111-8111-000000000003', NULL, NULL, '55555555-5555-4555-8555-000000000002',
   '44444444-4444-4444-8444-000000000003', NULL, 'Gaveta 3 não abre', 'Técnico no local', now() - interval '1 hour', now() - interval '30 minutes'),
  ('66666666-6666-4666-8666-000000000006', 'MEDICINE', 'COMPLETED', 'ROUTINE', '11111111-1111-4111-8111-000000000001',
   '11111111-1111-4111-8111-000000000002', '22222222-2222-4222-8222-000000000016', NULL, NULL,
   '44444444-4444-4444-8444-000000000001', 1, NULL, 'Entregue no posto', now() - interval '1 day', now() - interval '23 hours'),
  ('66666666-6666-4666-8666-000000000007', 'MATERIAL', 'CANCELLED', 'ROUTINE', '11111111-1111-4111-8111-000000000001',
   NULL, NULL, '33333333-3333-4333-8333-000000000006', NULL, '44444444-4444-4444-8444-000000000005', 5,
   'Pedido em duplicidade', NULL, now() - interval '2 days', now() - interval '2 days'),
  ('66666666-6666-4666-8666-000000000008', 'MEDICINE', 'REJECTED', 'URGENT', '11111111-1111-4111-8111-000000000001',
   '11111111-1111-4111-8111-000000000002', '22222222-2222-4222-8222-000000000008', NULL, NULL,
   '44444444-4444-4444-8444-000000000004', 1, NULL, 'Sem prescrição médica válida', now() - interval '3 days', now() - interval '3 days')
ON CONFLICT DO NOTHING;

-- Medicine requests are for a patient, on an order (a controlled one must be: the register names both).
UPDATE request."Request" SET "patientIdentifier" = 'MRN-' || right(id::text, 4), "patientBed" = coalesce(substring(note from 'Leito [0-9]+'), 'Leito 1'), "orderId" = 'RX-' || right(id::text, 4)
WHERE kind = 'MEDICINE' AND id::text LIKE '66666666-%' AND "patientIdentifier" IS NULL;

-- Seed data only: the unit each request's dispenser is on (the service records it
-- from pyxis at creation; it never reads another schema).
UPDATE request."Request" r SET unit = d.unit
FROM pyxis."Dispenser" d WHERE d.id = r."dispenserId" AND r.unit IS NULL;

-- Each request's history, replayed from its status along its kind's workflow.
INSERT INTO request."StatusHistory" (id, "requestId", "fromStatus", "toStatus", "changedById", at)
SELECT gen_random_uuid(), r.id, step.from_status::request."RequestStatus", step.to_status::request."RequestStatus",
       CASE WHEN step.from_status IS NULL OR step.to_status = 'CANCELLED' THEN r."requesterId" ELSE r."assigneeId" END,
       r."createdAt" + (step.n - 1) * (r."updatedAt" - r."createdAt") / greatest(step.total - 1, 1)
FROM request."Request" r
CROSS JOIN LATERAL (
  SELECT n, total, lag(s) OVER (ORDER BY n) AS from_status, s AS to_status
  FROM (
    SELECT n, count(*) OVER () AS total, s
    FROM unnest(CASE
      WHEN r.status IN ('CANCELLED', 'REJECTED') AND r."assigneeId" IS NULL THEN ARRAY['PENDING', r.status::text]
      WHEN r.status IN ('CANCELLED', 'REJECTED') THEN ARRAY['PENDING', 'ACCEPTED', r.status::text]
      WHEN r.kind = 'ASSISTANCE' THEN (ARRAY['PENDING', 'ACCEPTED', 'IN_PROGRESS', 'COMPLETED'])
        [1:array_position(ARRAY['PENDING', 'ACCEPTED', 'IN_PROGRESS', 'COMPLETED'], r.status::text)]
      ELSE (ARRAY['PENDING', 'ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
        [1:array_position(ARRAY['PENDING', 'ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'], r.status::text)]
    END) WITH ORDINALITY AS path(s, n)
  ) numbered
) step
WHERE r.id::text LIKE '66666666-%'
  AND NOT EXISTS (SELECT 1 FROM request."StatusHistory" h WHERE h."requestId" = r.id);
