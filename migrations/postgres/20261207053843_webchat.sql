-- Modify "entry_points" table
ALTER TABLE "entry_points" ADD COLUMN "opening_hours" jsonb NULL, ADD COLUMN "pre_chat_fields" jsonb NULL, ADD COLUMN "offline_email_entry_point_id" bigint NULL;
-- Modify "post_session_settings" table
ALTER TABLE "post_session_settings" ADD COLUMN "consent_question" character varying NULL;
