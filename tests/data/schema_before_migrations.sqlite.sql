CREATE TABLE IF NOT EXISTS "audit_entry" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "action" VARCHAR(32) NOT NULL,
    "target" VARCHAR(64) NOT NULL,
    "before" JSON,
    "after" JSON
) /* Who did what, when, with the state before and after. ID numbers appear here masked only. */;
CREATE INDEX IF NOT EXISTS "idx_audit_entry_target_65b2cb" ON "audit_entry" ("target");
CREATE INDEX IF NOT EXISTS "idx_audit_entry_at_c3f19e" ON "audit_entry" ("at");
CREATE TABLE IF NOT EXISTS "cert_serial" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "region_code" VARCHAR(6) NOT NULL,
    "year" INT NOT NULL,
    "last_serial" INT NOT NULL,
    CONSTRAINT "uid_cert_serial_region__8334d2" UNIQUE ("region_code", "year")
) /* The last certificate serial handed out per region and year; only ever increases. */;
CREATE TABLE IF NOT EXISTS "console_session" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "admin_id" INT NOT NULL,
    "scope" VARCHAR(64) NOT NULL,
    "csrf" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "seen_at" TIMESTAMP NOT NULL
) /* A browser signed in to the admin console. The browser's cookie holds a random id; only its hash is kept, */;
CREATE INDEX IF NOT EXISTS "idx_console_ses_admin_i_04ee84" ON "console_session" ("admin_id");
CREATE TABLE IF NOT EXISTS "dialog_state" (
    "openid" VARCHAR(64) NOT NULL PRIMARY KEY,
    "dialog" VARCHAR(32) NOT NULL,
    "step" VARCHAR(32) NOT NULL,
    "data" JSON NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
) /* Where one WeChat user is in a multi-step dialog, so it survives a restart. */;
CREATE TABLE IF NOT EXISTS "hours_policy" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "year" INT,
    "region_code" VARCHAR(6),
    "total_hours" INT NOT NULL,
    "professional_min_hours" INT NOT NULL,
    CONSTRAINT "uid_hours_polic_year_ad0be9" UNIQUE ("year", "region_code")
) /* Yearly requirement. Null year or region means "any"; the most specific row wins. */;
CREATE TABLE IF NOT EXISTS "outbox" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "openid" VARCHAR(64) NOT NULL,
    "payload" JSON NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nSENT: sent\nGAVE_UP: gave_up */,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP NOT NULL,
    "last_error" VARCHAR(300) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "done_at" TIMESTAMP
) /* A message to deliver, written in the same transaction as the change it tells of. */;
CREATE INDEX IF NOT EXISTS "idx_outbox_status_a060ae" ON "outbox" ("status", "next_attempt_at");
CREATE TABLE IF NOT EXISTS "outbox_attempt" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "ok" INT NOT NULL,
    "detail" VARCHAR(300) NOT NULL,
    "outbox_id" BIGINT NOT NULL REFERENCES "outbox" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "processed_message" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "message_key" VARCHAR(64) NOT NULL UNIQUE,
    "reply" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL
) /* A message whose effect has happened, with the reply it got: written in the transaction of the effect, */;
CREATE INDEX IF NOT EXISTS "idx_processed_m_created_6fda9f" ON "processed_message" ("created_at");
CREATE TABLE IF NOT EXISTS "region" (
    "code" VARCHAR(6) NOT NULL PRIMARY KEY,
    "name" VARCHAR(32) NOT NULL,
    "kind" VARCHAR(8) NOT NULL /* PROVINCE: province\nCITY: city\nCOUNTY: county */
);
CREATE TABLE IF NOT EXISTS "seal_filing" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "issuer" VARCHAR(100) NOT NULL,
    "filed_at" TIMESTAMP NOT NULL,
    "region_id" VARCHAR(6) NOT NULL UNIQUE REFERENCES "region" ("code") ON DELETE RESTRICT
) /* A region's own e-seal, filed (备案) with the province. Until a region has one, its certificates */;
CREATE TABLE IF NOT EXISTS "unit" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "credit_code" VARCHAR(18) NOT NULL UNIQUE,
    "industry" VARCHAR(50) NOT NULL,
    "is_demo" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "region_id" VARCHAR(6) NOT NULL REFERENCES "region" ("code") ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS "admin" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "openid" VARCHAR(64) UNIQUE,
    "role" VARCHAR(16) NOT NULL /* UNIT: unit\nREGION: region\nPROVINCE: province */,
    "name" VARCHAR(50) NOT NULL,
    "gender" VARCHAR(4) NOT NULL,
    "department" VARCHAR(100) NOT NULL,
    "post" VARCHAR(50) NOT NULL,
    "phone" VARCHAR(30) NOT NULL,
    "fax" VARCHAR(30) NOT NULL,
    "email" VARCHAR(100) NOT NULL,
    "postcode" VARCHAR(6) NOT NULL,
    "address" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "region_id" VARCHAR(6) REFERENCES "region" ("code") ON DELETE RESTRICT,
    "unit_id" INT REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* A 管理员 (分级管理) with the filing fields of the notice's attachment 3. */;
CREATE TABLE IF NOT EXISTS "admin_invite" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "code" VARCHAR(16) NOT NULL UNIQUE,
    "role" VARCHAR(16) NOT NULL /* UNIT: unit\nREGION: region\nPROVINCE: province */,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "admin_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "region_id" VARCHAR(6) REFERENCES "region" ("code") ON DELETE RESTRICT,
    "unit_id" INT REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* A one-time code that makes whoever redeems it an admin of the given scope. */;
CREATE TABLE IF NOT EXISTS "console_link" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "admin_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE CASCADE
) /* A one-time sign-in link to the admin console, sent in the chat. Only its hash is kept. */;
CREATE TABLE IF NOT EXISTS "person" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(50) NOT NULL,
    "id_number" VARCHAR(18) NOT NULL UNIQUE,
    "cert_number" VARCHAR(16) NOT NULL UNIQUE,
    "openid" VARCHAR(64) UNIQUE,
    "registered_at" TIMESTAMP NOT NULL,
    "unit_id" INT NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* One person, one certificate, one number: id_number and cert_number are both unique. */;
CREATE TABLE IF NOT EXISTS "certificate_snapshot" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "code" VARCHAR(24) NOT NULL UNIQUE,
    "year" INT,
    "record_ids" JSON NOT NULL,
    "content_hash" VARCHAR(64) NOT NULL,
    "issuer" VARCHAR(100) NOT NULL,
    "facts" JSON NOT NULL,
    "issued_at" TIMESTAMP NOT NULL,
    "revoked_at" TIMESTAMP,
    "revoke_reason" VARCHAR(200) NOT NULL,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT,
    "seal_region_id" VARCHAR(6) REFERENCES "region" ("code") ON DELETE RESTRICT,
    "superseded_by_id" INT REFERENCES "certificate_snapshot" ("id") ON DELETE RESTRICT
) /* One issued certificate, exactly as issued: its facts are stored, so it renders the same forever. */;
CREATE INDEX IF NOT EXISTS "idx_certificate_person__835799" ON "certificate_snapshot" ("person_id", "year");
CREATE TABLE IF NOT EXISTS "hour_record" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "year" INT NOT NULL,
    "category" VARCHAR(16) NOT NULL /* PUBLIC: public\nPROFESSIONAL: professional */,
    "course" VARCHAR(100) NOT NULL,
    "provider" VARCHAR(100) NOT NULL,
    "studied_on" DATE NOT NULL,
    "hours" VARCHAR(40) NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending\nAPPROVED: approved\nREJECTED: rejected\nWITHDRAWN: withdrawn */,
    "source" VARCHAR(16) NOT NULL /* DECLARED: declared\nPAPER: paper\nIMPORTED: imported */,
    "reject_reason" VARCHAR(200) NOT NULL,
    "evidence_media_id" VARCHAR(128) NOT NULL,
    "evidence" BLOB,
    "paper_cert_number" VARCHAR(50) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "decided_at" TIMESTAMP,
    "decided_by_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "person_id" INT NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT,
    "recorded_by_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT
) /* Hours of continuing education; only approved records count towards the policy. */;
CREATE INDEX IF NOT EXISTS "idx_hour_record_person__a2d8ba" ON "hour_record" ("person_id", "year");
CREATE TABLE IF NOT EXISTS "rebind_code" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "code_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "issued_by_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "person_id" INT NOT NULL UNIQUE REFERENCES "person" ("id") ON DELETE CASCADE
) /* A one-time code that lets a person whose WeChat account an admin unbound bind a new one. The admin hands it */;
CREATE TABLE IF NOT EXISTS "seal_application" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "applicant" VARCHAR(100) NOT NULL,
    "issuer" VARCHAR(100) NOT NULL,
    "applied_on" DATE NOT NULL,
    "status" VARCHAR(16) NOT NULL /* SUBMITTED: submitted\nAPPROVED: approved\nREJECTED: rejected */,
    "decided_at" TIMESTAMP,
    "reject_reason" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "decided_by_id" INT REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "region_id" VARCHAR(6) NOT NULL REFERENCES "region" ("code") ON DELETE RESTRICT,
    "submitted_by_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE RESTRICT
) /* 附件2: a region asks the province to file its own e-seal (电子签章启用申请). */;
CREATE TABLE IF NOT EXISTS "signed_pdf" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "engine" VARCHAR(20) NOT NULL,
    "signer" VARCHAR(64) NOT NULL,
    "pdf" BLOB NOT NULL,
    "signed_at" TIMESTAMP NOT NULL,
    "snapshot_id" INT NOT NULL REFERENCES "certificate_snapshot" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_signed_pdf_snapsho_c3d431" UNIQUE ("snapshot_id", "engine")
) /* A snapshot's PDF as signed, once: signing is not deterministic (time, timestamp token, file id), so every */;
CREATE TABLE IF NOT EXISTS "training_plan" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "year" INT NOT NULL,
    "text" TEXT NOT NULL,
    "file_name" VARCHAR(200) NOT NULL,
    "file_data" BLOB,
    "filed_at" TIMESTAMP NOT NULL,
    "filed_by_id" INT NOT NULL REFERENCES "admin" ("id") ON DELETE RESTRICT,
    "unit_id" INT NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_training_pl_unit_id_48465d" UNIQUE ("unit_id", "year")
) /* A unit's annual training plan (年度专业技术人员培训计划), filed by its admin. */;
