CREATE TABLE IF NOT EXISTS "audit_entry" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "action" VARCHAR(32) NOT NULL,
    "target" VARCHAR(64) NOT NULL,
    "before" JSONB,
    "after" JSONB
);
CREATE INDEX IF NOT EXISTS "idx_audit_entry_target_65b2cb" ON "audit_entry" ("target");
CREATE INDEX IF NOT EXISTS "idx_audit_entry_at_c3f19e" ON "audit_entry" ("at");
COMMENT ON TABLE "audit_entry" IS 'Who did what, when, with the state before and after. ID numbers appear here masked only.';
CREATE TABLE IF NOT EXISTS "cert_serial" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "region_code" VARCHAR(6) NOT NULL,
    "year" INT NOT NULL,
    "last_serial" INT NOT NULL,
    CONSTRAINT "uid_cert_serial_region__8334d2" UNIQUE ("region_code", "year")
);
COMMENT ON TABLE "cert_serial" IS 'The last certificate serial handed out per region and year; only ever increases.';
CREATE TABLE IF NOT EXISTS "console_session" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "admin_id" INT NOT NULL,
    "scope" VARCHAR(64) NOT NULL,
    "csrf" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "seen_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_console_ses_admin_i_04ee84" ON "console_session" ("admin_id");
COMMENT ON TABLE "console_session" IS 'A browser signed in to the admin console. The browser''s cookie holds a random id; only its hash is kept,';
CREATE TABLE IF NOT EXISTS "dialog_state" (
    "openid" VARCHAR(64) NOT NULL PRIMARY KEY,
    "dialog" VARCHAR(32) NOT NULL,
    "step" VARCHAR(32) NOT NULL,
    "data" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "dialog_state" IS 'Where one WeChat user is in a multi-step dialog, so it survives a restart.';
CREATE TABLE IF NOT EXISTS "hours_policy" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "year" INT,
    "region_code" VARCHAR(6),
    "total_hours" INT NOT NULL,
    "professional_min_hours" INT NOT NULL,
    CONSTRAINT "uid_hours_polic_year_ad0be9" UNIQUE ("year", "region_code")
);
COMMENT ON TABLE "hours_policy" IS 'Yearly requirement. Null year or region means \"any\"; the most specific row wins.';
CREATE TABLE IF NOT EXISTS "outbox" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(32) NOT NULL,
    "openid" VARCHAR(64) NOT NULL,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "last_error" VARCHAR(300) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "done_at" TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS "idx_outbox_status_a060ae" ON "outbox" ("status", "next_attempt_at");
COMMENT ON COLUMN "outbox"."status" IS 'PENDING: pending\nSENT: sent\nGAVE_UP: gave_up';
COMMENT ON TABLE "outbox" IS 'A message to deliver, written in the same transaction as the change it tells of.';
CREATE TABLE IF NOT EXISTS "outbox_attempt" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "ok" BOOL NOT NULL,
    "detail" VARCHAR(300) NOT NULL,
    "outbox_id" BIGINT NOT NULL REFERENCES "outbox" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "processed_message" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "message_key" VARCHAR(64) NOT NULL UNIQUE,
    "reply" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_processed_m_created_6fda9f" ON "processed_message" ("created_at");
COMMENT ON TABLE "processed_message" IS 'A message whose effect has happened, with the reply it got: written in the transaction of the effect,';
CREATE TABLE IF NOT EXISTS "region" (
    "code" VARCHAR(6) NOT NULL PRIMARY KEY,
    "name" VARCHAR(32) NOT NULL,
    "kind" VARCHAR(8) NOT NULL
);
COMMENT ON COLUMN "region"."kind" IS 'PROVINCE: province\nCITY: city\nCOUNTY: county';
CREATE TABLE IF NOT EXISTS "seal_filing" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "issuer" VARCHAR(100) NOT NULL,
    "filed_at" TIMESTAMPTZ NOT NULL,
    "region_id" VARCHAR(6) NOT NULL UNIQUE REFERENCES "region" ("code") ON DELETE RESTRICT
);
COMMENT ON TABLE "seal_filing" IS 'A region''s own e-seal, filed (备案) with the province. Until a region has one, its certificates';
CREATE TABLE IF NOT EXISTS "unit" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL,
    "credit_code" VARCHAR(18) NOT NULL UNIQUE,
    "industry" VARCHAR(50) NOT NULL,
    "is_demo" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "region_id" VARCHAR(6) NOT NULL REFERENCES "region" ("code") ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS "admin" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "openid" VARCHAR(64) UNIQUE,
    "role" VARCHAR(16) NOT NULL,
    "name" VARCHAR(50) NOT NULL,
    "gender" VARCHAR(4) NOT NULL,
    "department" VARCHAR(100) NOT NULL,
    "post" VARCHAR(50) NOT NULL,
    "phone" VARCHAR(30) NOT NULL,
    "fax" VARCHAR(30) NOT NULL,
    "email" VARCHAR(100) NOT NULL,
    "postcode" VARCHAR(6) NOT NULL,
    "address" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "region_id" VARCHAR(6) REFERENCES "region" ("code") ON DELETE RESTRICT,
    "unit_id" INT REFERENCES "unit" ("id") ON DELETE RESTRICT
);
COMMENT ON COLUMN "admin"."role" IS 'UNIT: unit\nREGION: region\nPROVINCE: province';
COMMENT ON TABLE "admin" IS 'A 管理员 (分级管理) with the filing fields of the notice''s attachment 3.';
CREATE TABLE IF NOT EXISTS "admin_invite" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(16) NOT NULL UNIQUE,
    "role" VARCHAR(16) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "admin_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "region_id" VARCHAR(6) REFERENCES "region" ("code") ON DELETE RESTRICT,
    "unit_id" INT REFERENCES "unit" ("id") ON DELETE RESTRICT
);
COMMENT ON COLUMN "admin_invite"."role" IS 'UNIT: unit\nREGION: region\nPROVINCE: province';
COMMENT ON TABLE "admin_invite" IS 'A one-time code that makes whoever redeems it an admin of the given scope.';
CREATE TABLE IF NOT EXISTS "console_link" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "admin_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "console_link" IS 'A one-time sign-in link to the admin console, sent in the chat. Only its hash is kept.';
CREATE TABLE IF NOT EXISTS "person" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(50) NOT NULL,
    "id_number" VARCHAR(18) NOT NULL UNIQUE,
    "cert_number" VARCHAR(16) NOT NULL UNIQUE,
    "openid" VARCHAR(64) UNIQUE,
    "registered_at" TIMESTAMPTZ NOT NULL,
    "unit_id" INT NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
);
COMMENT ON TABLE "person" IS 'One person, one certificate, one number: id_number and cert_number are both unique.';
CREATE TABLE IF NOT EXISTS "certificate_snapshot" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(24) NOT NULL UNIQUE,
    "year" INT,
    "record_ids" JSONB NOT NULL,
    "content_hash" VARCHAR(64) NOT NULL,
    "issuer" VARCHAR(100) NOT NULL,
    "facts" JSONB NOT NULL,
    "issued_at" TIMESTAMPTZ NOT NULL,
    "revoked_at" TIMESTAMPTZ,
    "revoke_reason" VARCHAR(200) NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT,
    "seal_region_id" VARCHAR(6) REFERENCES "region" ("code") ON DELETE RESTRICT,
    "superseded_by_id" INT REFERENCES "certificate_snapshot" ("id") ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS "idx_certificate_person__835799" ON "certificate_snapshot" ("person_id", "year");
COMMENT ON TABLE "certificate_snapshot" IS 'One issued certificate, exactly as issued: its facts are stored, so it renders the same forever.';
CREATE TABLE IF NOT EXISTS "hour_record" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "year" INT NOT NULL,
    "category" VARCHAR(16) NOT NULL,
    "course" VARCHAR(100) NOT NULL,
    "provider" VARCHAR(100) NOT NULL,
    "studied_on" DATE NOT NULL,
    "hours" DECIMAL(6,1) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "source" VARCHAR(16) NOT NULL,
    "reject_reason" VARCHAR(200) NOT NULL,
    "evidence_media_id" VARCHAR(128) NOT NULL,
    "evidence" BYTEA,
    "paper_cert_number" VARCHAR(50) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "decided_at" TIMESTAMPTZ,
    "decided_by_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT,
    "recorded_by_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS "idx_hour_record_person__a2d8ba" ON "hour_record" ("person_id", "year");
COMMENT ON COLUMN "hour_record"."category" IS 'PUBLIC: public\nPROFESSIONAL: professional';
COMMENT ON COLUMN "hour_record"."status" IS 'PENDING: pending\nAPPROVED: approved\nREJECTED: rejected\nWITHDRAWN: withdrawn';
COMMENT ON COLUMN "hour_record"."source" IS 'DECLARED: declared\nPAPER: paper\nIMPORTED: imported';
COMMENT ON TABLE "hour_record" IS 'Hours of continuing education; only approved records count towards the policy.';
CREATE TABLE IF NOT EXISTS "rebind_code" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "issued_by_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "rebind_code" IS 'A one-time code that lets a person whose WeChat account an admin unbound bind a new one. The admin hands it';
CREATE TABLE IF NOT EXISTS "seal_application" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "applicant" VARCHAR(100) NOT NULL,
    "issuer" VARCHAR(100) NOT NULL,
    "applied_on" DATE NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "decided_at" TIMESTAMPTZ,
    "reject_reason" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "decided_by_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "region_id" VARCHAR(6) NOT NULL REFERENCES "region" ("code") ON DELETE RESTRICT,
    "submitted_by_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE RESTRICT
);
COMMENT ON COLUMN "seal_application"."status" IS 'SUBMITTED: submitted\nAPPROVED: approved\nREJECTED: rejected';
COMMENT ON TABLE "seal_application" IS '附件2: a region asks the province to file its own e-seal (电子签章启用申请).';
CREATE TABLE IF NOT EXISTS "signed_pdf" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "engine" VARCHAR(20) NOT NULL,
    "signer" VARCHAR(64) NOT NULL,
    "pdf" BYTEA NOT NULL,
    "signed_at" TIMESTAMPTZ NOT NULL,
    "snapshot_id" INT NOT NULL REFERENCES "certificate_snapshot" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_signed_pdf_snapsho_c3d431" UNIQUE ("snapshot_id", "engine")
);
COMMENT ON TABLE "signed_pdf" IS 'A snapshot''s PDF as signed, once: signing is not deterministic (time, timestamp token, file id), so every';
CREATE TABLE IF NOT EXISTS "training_plan" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "year" INT NOT NULL,
    "text" TEXT NOT NULL,
    "file_name" VARCHAR(200) NOT NULL,
    "file_data" BYTEA,
    "filed_at" TIMESTAMPTZ NOT NULL,
    "filed_by_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "unit_id" INT NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_training_pl_unit_id_48465d" UNIQUE ("unit_id", "year")
);
COMMENT ON TABLE "training_plan" IS 'A unit''s annual training plan (年度专业技术人员培训计划), filed by its admin.';
