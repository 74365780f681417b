-- Add column "opening_hours" to table: "entry_points"
ALTER TABLE `entry_points` ADD COLUMN `opening_hours` json NULL;
-- Add column "pre_chat_fields" to table: "entry_points"
ALTER TABLE `entry_points` ADD COLUMN `pre_chat_fields` json NULL;
-- Add column "offline_email_entry_point_id" to table: "entry_points"
ALTER TABLE `entry_points` ADD COLUMN `offline_email_entry_point_id` integer NULL;
-- Add column "consent_question" to table: "post_session_settings"
ALTER TABLE `post_session_settings` ADD COLUMN `consent_question` text NULL;
