-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `prefix` text NOT NULL, `hash` blob NOT NULL, `scopes` json NOT NULL, `revoked_at` datetime NULL, `last_used_at` datetime NULL, `virtual_agent_id` integer NULL);
-- Create index "api_keys_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_hash_key` ON `api_keys` (`hash`);
-- Create "agents" table
CREATE TABLE `agents` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `password_hash` text NULL, `role` text NOT NULL DEFAULT ('AGENT'), `license` text NOT NULL DEFAULT ('STANDARD'), `active` bool NOT NULL DEFAULT (true), `skills` json NULL, `state` text NOT NULL DEFAULT ('OFFLINE'), `state_reason` text NULL, `state_changed_at` datetime NULL, `idle_since` datetime NULL, `missed_rings` integer NOT NULL DEFAULT (0), `disconnected_at` datetime NULL, `version` integer NOT NULL DEFAULT (0), `capacity_profile_id` integer NULL, CONSTRAINT `agents_capacity_profiles_capacity_profile` FOREIGN KEY (`capacity_profile_id`) REFERENCES `capacity_profiles` (`id`) ON DELETE SET NULL);
-- Set sequence for "agents" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("agents", 4294967296);
-- Create index "agents_email_key" to table: "agents"
CREATE UNIQUE INDEX `agents_email_key` ON `agents` (`email`);
-- Create index "agent_state_idle_since" to table: "agents"
CREATE INDEX `agent_state_idle_since` ON `agents` (`state`, `idle_since`);
-- Create "auth_tokens" table
CREATE TABLE `auth_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `hash` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `revoked_at` datetime NULL, `agent_id` integer NOT NULL, CONSTRAINT `auth_tokens_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE NO ACTION);
-- Set sequence for "auth_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("auth_tokens", 8589934592);
-- Create index "auth_tokens_hash_key" to table: "auth_tokens"
CREATE UNIQUE INDEX `auth_tokens_hash_key` ON `auth_tokens` (`hash`);
-- Create "crm_deliveries" table
CREATE TABLE `crm_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event_id` integer NOT NULL, `record_id` integer NOT NULL, `record_version` integer NOT NULL, `payload` json NOT NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `delivered_at` datetime NULL, `dead_lettered_at` datetime NULL, `last_error` text NULL);
-- Set sequence for "crm_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("crm_deliveries", 98784247808);
-- Create index "crm_deliveries_event_id_key" to table: "crm_deliveries"
CREATE UNIQUE INDEX `crm_deliveries_event_id_key` ON `crm_deliveries` (`event_id`);
-- Create index "crmdelivery_next_attempt_at" to table: "crm_deliveries"
CREATE INDEX `crmdelivery_next_attempt_at` ON `crm_deliveries` (`next_attempt_at`);
-- Create index "crmdelivery_dead_lettered_at" to table: "crm_deliveries"
CREATE INDEX `crmdelivery_dead_lettered_at` ON `crm_deliveries` (`dead_lettered_at`);
-- Create "crm_records" table
CREATE TABLE `crm_records` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `title` text NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `tags` json NULL, `metadata` json NULL, `closed_at` datetime NULL, `version` integer NOT NULL DEFAULT (1), `queue_id` integer NULL, `customer_id` integer NULL, CONSTRAINT `crm_records_queues_queue` FOREIGN KEY (`queue_id`) REFERENCES `queues` (`id`) ON DELETE SET NULL, CONSTRAINT `crm_records_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- Set sequence for "crm_records" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("crm_records", 12884901888);
-- Create index "crmrecord_queue_id_status_updated_at" to table: "crm_records"
CREATE INDEX `crmrecord_queue_id_status_updated_at` ON `crm_records` (`queue_id`, `status`, `updated_at`);
-- Create "crm_settings" table
CREATE TABLE `crm_settings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `attach_to_open_record` bool NOT NULL DEFAULT (false), `reopen_within_days` integer NOT NULL DEFAULT (0), `delay_call_record_until_connected` bool NOT NULL DEFAULT (false), `chat_record_min_messages` integer NOT NULL DEFAULT (0), `abandoned_call_records` bool NOT NULL DEFAULT (true), `abandoned_chat_records` text NOT NULL DEFAULT ('OFF'), `abandoned_chat_min_messages` integer NOT NULL DEFAULT (1), `short_abandon_seconds` integer NOT NULL DEFAULT (10), `title_template` text NOT NULL DEFAULT ('{CALL_TYPE} {CALL_ID}'), `session_type_tags` text NOT NULL DEFAULT ('NONE'), `platform_tag` text NULL, `webhook_url` text NULL);
-- Set sequence for "crm_settings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("crm_settings", 17179869184);
-- Create "capacity_profiles" table
CREATE TABLE `capacity_profiles` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `voice` integer NOT NULL DEFAULT (1), `video` integer NOT NULL DEFAULT (1), `chat` integer NOT NULL DEFAULT (3), `email` integer NOT NULL DEFAULT (5), `sms` integer NOT NULL DEFAULT (5), `outbound_max` integer NOT NULL DEFAULT (2));
-- Set sequence for "capacity_profiles" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("capacity_profiles", 21474836480);
-- Create index "capacity_profiles_name_key" to table: "capacity_profiles"
CREATE UNIQUE INDEX `capacity_profiles_name_key` ON `capacity_profiles` (`name`);
-- Create "customers" table
CREATE TABLE `customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NULL, `phones` json NULL, `emails` json NULL, `external_ids` json NULL);
-- Set sequence for "customers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customers", 25769803776);
-- Create "deliveries" table
CREATE TABLE `deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel` text NOT NULL, `status` text NOT NULL DEFAULT ('QUEUED'), `from_address` text NOT NULL, `to_address` text NOT NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `lease_until` datetime NULL, `sent_at` datetime NULL, `delivered_at` datetime NULL, `failed_at` datetime NULL, `dead_lettered_at` datetime NULL, `last_error` text NULL, `provider_message_id` text NULL, `message_id` integer NOT NULL, CONSTRAINT `deliveries_messages_delivery` FOREIGN KEY (`message_id`) REFERENCES `messages` (`id`) ON DELETE NO ACTION);
-- Set sequence for "deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("deliveries", 85899345920);
-- Create index "deliveries_message_id_key" to table: "deliveries"
CREATE UNIQUE INDEX `deliveries_message_id_key` ON `deliveries` (`message_id`);
-- Create index "delivery_status_next_attempt_at" to table: "deliveries"
CREATE INDEX `delivery_status_next_attempt_at` ON `deliveries` (`status`, `next_attempt_at`);
-- Create index "delivery_dead_lettered_at" to table: "deliveries"
CREATE INDEX `delivery_dead_lettered_at` ON `deliveries` (`dead_lettered_at`);
-- Create "engagements" table
CREATE TABLE `engagements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel` text NOT NULL, `direction` text NOT NULL DEFAULT ('INBOUND'), `state` text NOT NULL DEFAULT ('QUEUED'), `session_type` text NULL, `flow_variables` json NULL, `bot_summary` text NULL, `language` text NULL, `menu_path` text NULL, `priority` integer NOT NULL DEFAULT (0), `queued_at` datetime NULL, `connected_at` datetime NULL, `ended_at` datetime NULL, `closed_at` datetime NULL, `wait_ms` integer NOT NULL DEFAULT (0), `handle_ms` integer NOT NULL DEFAULT (0), `wrap_up_ms` integer NOT NULL DEFAULT (0), `timer_started_at` datetime NULL, `wrap_up_deadline` datetime NULL, `parked_from` text NULL, `auto_parked` bool NOT NULL DEFAULT (false), `customer_left` bool NOT NULL DEFAULT (false), `front_of_queue` bool NOT NULL DEFAULT (false), `released_by_id` integer NULL, `idempotency_key` text NULL, `customer_token_hash` text NULL, `version` integer NOT NULL DEFAULT (0), `customer_messages` integer NOT NULL DEFAULT (0), `customer_address` text NULL, `post_session_status` text NULL, `post_session_deadline` datetime NULL, `post_session_parameters` json NULL, `post_session_record_in` text NULL, `post_session_result` json NULL, `post_session_reason` text NULL, `customer_id` integer NULL, `queue_id` integer NULL, `agent_id` integer NULL, `entry_point_id` integer NULL, `virtual_agent_id` integer NULL, `previous_id` integer NULL, CONSTRAINT `engagements_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL, CONSTRAINT `engagements_queues_queue` FOREIGN KEY (`queue_id`) REFERENCES `queues` (`id`) ON DELETE SET NULL, CONSTRAINT `engagements_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL, CONSTRAINT `engagements_entry_points_entry_point` FOREIGN KEY (`entry_point_id`) REFERENCES `entry_points` (`id`) ON DELETE SET NULL, CONSTRAINT `engagements_virtual_agents_virtual_agent` FOREIGN KEY (`virtual_agent_id`) REFERENCES `virtual_agents` (`id`) ON DELETE SET NULL, CONSTRAINT `engagements_engagements_next` FOREIGN KEY (`previous_id`) REFERENCES `engagements` (`id`) ON DELETE SET NULL);
-- Set sequence for "engagements" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("engagements", 30064771072);
-- Create index "engagements_idempotency_key_key" to table: "engagements"
CREATE UNIQUE INDEX `engagements_idempotency_key_key` ON `engagements` (`idempotency_key`);
-- Create index "engagement_agent_id_state" to table: "engagements"
CREATE INDEX `engagement_agent_id_state` ON `engagements` (`agent_id`, `state`);
-- Create index "engagement_queue_id_state_queued_at" to table: "engagements"
CREATE INDEX `engagement_queue_id_state_queued_at` ON `engagements` (`queue_id`, `state`, `queued_at`);
-- Create index "engagement_customer_id_created_at" to table: "engagements"
CREATE INDEX `engagement_customer_id_created_at` ON `engagements` (`customer_id`, `created_at`);
-- Create index "engagement_state" to table: "engagements"
CREATE INDEX `engagement_state` ON `engagements` (`state`);
-- Create index "engagement_one_active_conversation" to table: "engagements"
CREATE UNIQUE INDEX `engagement_one_active_conversation` ON `engagements` (`customer_address`, `entry_point_id`) WHERE customer_address IS NOT NULL AND ended_at IS NULL AND closed_at IS NULL;
-- Create "entry_points" table
CREATE TABLE `entry_points` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `channel` text NOT NULL, `address` text NULL, `chat_token` text NULL, `active` bool NOT NULL DEFAULT (true), `default_queue_id` integer NOT NULL, CONSTRAINT `entry_points_queues_default_queue` FOREIGN KEY (`default_queue_id`) REFERENCES `queues` (`id`) ON DELETE NO ACTION);
-- Set sequence for "entry_points" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("entry_points", 34359738368);
-- Create index "entry_points_chat_token_key" to table: "entry_points"
CREATE UNIQUE INDEX `entry_points_chat_token_key` ON `entry_points` (`chat_token`);
-- Create index "entrypoint_channel_address" to table: "entry_points"
CREATE UNIQUE INDEX `entrypoint_channel_address` ON `entry_points` (`channel`, `address`);
-- Create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `topic` text NOT NULL, `payload` json NULL, `engagement_id` integer NULL, `agent_id` integer NULL, `queue_id` integer NULL, `actor_kind` text NOT NULL DEFAULT ('SYSTEM'), `actor_id` integer NULL, `actor_api_key_id` integer NULL, `actor_customer_id` integer NULL, `actor_reason` text NULL, `created_at` datetime NOT NULL);
-- Set sequence for "events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("events", 38654705664);
-- Create index "event_agent_id" to table: "events"
CREATE INDEX `event_agent_id` ON `events` (`agent_id`);
-- Create index "event_engagement_id" to table: "events"
CREATE INDEX `event_engagement_id` ON `events` (`engagement_id`);
-- Create index "event_queue_id" to table: "events"
CREATE INDEX `event_queue_id` ON `events` (`queue_id`);
-- Create "messages" table
CREATE TABLE `messages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `sender` text NOT NULL, `subject` text NULL, `body` text NOT NULL, `html` text NULL, `rfc_message_id` text NULL, `refused_reason` text NULL, `engagement_id` integer NOT NULL, `agent_id` integer NULL, CONSTRAINT `messages_engagements_engagement` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE NO ACTION, CONSTRAINT `messages_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Set sequence for "messages" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("messages", 42949672960);
-- Create index "message_engagement_id_created_at" to table: "messages"
CREATE INDEX `message_engagement_id_created_at` ON `messages` (`engagement_id`, `created_at`);
-- Create index "message_rfc_message_id" to table: "messages"
CREATE INDEX `message_rfc_message_id` ON `messages` (`rfc_message_id`);
-- Create "notes" table
CREATE TABLE `notes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `body` text NOT NULL, `engagement_id` integer NOT NULL, `agent_id` integer NOT NULL, CONSTRAINT `notes_engagements_engagement` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE NO ACTION, CONSTRAINT `notes_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE NO ACTION);
-- Set sequence for "notes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("notes", 47244640256);
-- Create "offers" table
CREATE TABLE `offers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `state` text NOT NULL DEFAULT ('PENDING'), `deadline` datetime NOT NULL, `ended_at` datetime NULL, `engagement_id` integer NOT NULL, `agent_id` integer NOT NULL, `transfer_id` integer NULL, CONSTRAINT `offers_engagements_engagement` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE NO ACTION, CONSTRAINT `offers_agents_agent` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE NO ACTION, CONSTRAINT `offers_transfers_transfer` FOREIGN KEY (`transfer_id`) REFERENCES `transfers` (`id`) ON DELETE SET NULL);
-- Set sequence for "offers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("offers", 51539607552);
-- Create index "offer_one_pending" to table: "offers"
CREATE UNIQUE INDEX `offer_one_pending` ON `offers` (`engagement_id`) WHERE state = 'PENDING';
-- Create index "offer_agent_id_state" to table: "offers"
CREATE INDEX `offer_agent_id_state` ON `offers` (`agent_id`, `state`);
-- Create index "offer_engagement_id_state" to table: "offers"
CREATE INDEX `offer_engagement_id_state` ON `offers` (`engagement_id`, `state`);
-- Create index "offer_state_deadline" to table: "offers"
CREATE INDEX `offer_state_deadline` ON `offers` (`state`, `deadline`);
-- Create "opt_outs" table
CREATE TABLE `opt_outs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `address` text NOT NULL, `keyword` text NOT NULL, `created_at` datetime NOT NULL, `entry_point_id` integer NOT NULL, CONSTRAINT `opt_outs_entry_points_entry_point` FOREIGN KEY (`entry_point_id`) REFERENCES `entry_points` (`id`) ON DELETE NO ACTION);
-- Set sequence for "opt_outs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("opt_outs", 90194313216);
-- Create index "optout_address_entry_point_id" to table: "opt_outs"
CREATE UNIQUE INDEX `optout_address_entry_point_id` ON `opt_outs` (`address`, `entry_point_id`);
-- Create "post_session_settings" table
CREATE TABLE `post_session_settings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel` text NOT NULL, `enabled` bool NOT NULL DEFAULT (false), `session_types` json NULL, `data_parameters` json NULL, `record_in` text NOT NULL DEFAULT ('METADATA'), `ask_consent` bool NOT NULL DEFAULT (false), `queue_id` integer NULL, `virtual_agent_id` integer NULL, CONSTRAINT `post_session_settings_queues_queue` FOREIGN KEY (`queue_id`) REFERENCES `queues` (`id`) ON DELETE SET NULL, CONSTRAINT `post_session_settings_virtual_agents_virtual_agent` FOREIGN KEY (`virtual_agent_id`) REFERENCES `virtual_agents` (`id`) ON DELETE SET NULL);
-- Set sequence for "post_session_settings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("post_session_settings", 55834574848);
-- Create index "post_session_one_global" to table: "post_session_settings"
CREATE UNIQUE INDEX `post_session_one_global` ON `post_session_settings` (`channel`) WHERE queue_id IS NULL;
-- Create index "post_session_one_per_queue" to table: "post_session_settings"
CREATE UNIQUE INDEX `post_session_one_per_queue` ON `post_session_settings` (`queue_id`) WHERE queue_id IS NOT NULL;
-- Create "queues" table
CREATE TABLE `queues` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `channels` json NULL, `priority` integer NOT NULL DEFAULT (0), `accept_mode` text NOT NULL DEFAULT ('MANUAL'), `ring_timeout_seconds` integer NOT NULL DEFAULT (20), `routing_strategy` text NOT NULL DEFAULT ('LONGEST_IDLE'), `dispositions_required` bool NOT NULL DEFAULT (false), `wrap_up_limit_seconds` integer NOT NULL DEFAULT (0), `active` bool NOT NULL DEFAULT (true), `menu_path` text NOT NULL DEFAULT (''), `parent_id` integer NULL, CONSTRAINT `queues_queues_children` FOREIGN KEY (`parent_id`) REFERENCES `queues` (`id`) ON DELETE SET NULL);
-- Set sequence for "queues" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("queues", 60129542144);
-- Create "server_secrets" table
CREATE TABLE `server_secrets` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `value` blob NOT NULL);
-- Set sequence for "server_secrets" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("server_secrets", 94489280512);
-- Create index "server_secrets_name_key" to table: "server_secrets"
CREATE UNIQUE INDEX `server_secrets_name_key` ON `server_secrets` (`name`);
-- Create "templates" table
CREATE TABLE `templates` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `channel` text NOT NULL, `subject` text NULL, `body` text NOT NULL, `variables` json NULL, `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "templates" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("templates", 64424509440);
-- Create index "templates_name_key" to table: "templates"
CREATE UNIQUE INDEX `templates_name_key` ON `templates` (`name`);
-- Create "transcript_segments" table
CREATE TABLE `transcript_segments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `speaker` text NOT NULL, `text` text NOT NULL, `offset_ms` integer NOT NULL DEFAULT (0), `engagement_id` integer NOT NULL, CONSTRAINT `transcript_segments_engagements_engagement` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE NO ACTION);
-- Set sequence for "transcript_segments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("transcript_segments", 68719476736);
-- Create index "transcriptsegment_engagement_id_offset_ms" to table: "transcript_segments"
CREATE INDEX `transcriptsegment_engagement_id_offset_ms` ON `transcript_segments` (`engagement_id`, `offset_ms`);
-- Create "transfers" table
CREATE TABLE `transfers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `state` text NOT NULL DEFAULT ('PENDING'), `ended_at` datetime NULL, `sender_wrapped_up_at` datetime NULL, `engagement_id` integer NOT NULL, `from_agent_id` integer NOT NULL, `to_queue_id` integer NULL, `to_agent_id` integer NULL, CONSTRAINT `transfers_engagements_engagement` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE NO ACTION, CONSTRAINT `transfers_agents_from_agent` FOREIGN KEY (`from_agent_id`) REFERENCES `agents` (`id`) ON DELETE NO ACTION, CONSTRAINT `transfers_queues_to_queue` FOREIGN KEY (`to_queue_id`) REFERENCES `queues` (`id`) ON DELETE SET NULL, CONSTRAINT `transfers_agents_to_agent` FOREIGN KEY (`to_agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Set sequence for "transfers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("transfers", 73014444032);
-- Create index "transfer_one_pending" to table: "transfers"
CREATE UNIQUE INDEX `transfer_one_pending` ON `transfers` (`engagement_id`) WHERE state = 'PENDING';
-- Create index "transfer_from_agent_id_state" to table: "transfers"
CREATE INDEX `transfer_from_agent_id_state` ON `transfers` (`from_agent_id`, `state`);
-- Create "virtual_agents" table
CREATE TABLE `virtual_agents` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `channels` json NOT NULL, `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "virtual_agents" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("virtual_agents", 77309411328);
-- Create index "virtual_agents_name_key" to table: "virtual_agents"
CREATE UNIQUE INDEX `virtual_agents_name_key` ON `virtual_agents` (`name`);
-- Create "wrap_up_reasons" table
CREATE TABLE `wrap_up_reasons` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `code` text NOT NULL, `label` text NOT NULL, `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "wrap_up_reasons" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("wrap_up_reasons", 81604378624);
-- Create index "wrap_up_reasons_code_key" to table: "wrap_up_reasons"
CREATE UNIQUE INDEX `wrap_up_reasons_code_key` ON `wrap_up_reasons` (`code`);
-- Create "agent_queues" table
CREATE TABLE `agent_queues` (`agent_id` integer NOT NULL, `queue_id` integer NOT NULL, PRIMARY KEY (`agent_id`, `queue_id`), CONSTRAINT `agent_queues_agent_id` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE CASCADE, CONSTRAINT `agent_queues_queue_id` FOREIGN KEY (`queue_id`) REFERENCES `queues` (`id`) ON DELETE CASCADE);
-- Create "crm_record_engagements" table
CREATE TABLE `crm_record_engagements` (`crm_record_id` integer NOT NULL, `engagement_id` integer NOT NULL, PRIMARY KEY (`crm_record_id`, `engagement_id`), CONSTRAINT `crm_record_engagements_crm_record_id` FOREIGN KEY (`crm_record_id`) REFERENCES `crm_records` (`id`) ON DELETE CASCADE, CONSTRAINT `crm_record_engagements_engagement_id` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE CASCADE);
-- Create "engagement_dispositions" table
CREATE TABLE `engagement_dispositions` (`engagement_id` integer NOT NULL, `wrap_up_reason_id` integer NOT NULL, PRIMARY KEY (`engagement_id`, `wrap_up_reason_id`), CONSTRAINT `engagement_dispositions_engagement_id` FOREIGN KEY (`engagement_id`) REFERENCES `engagements` (`id`) ON DELETE CASCADE, CONSTRAINT `engagement_dispositions_wrap_up_reason_id` FOREIGN KEY (`wrap_up_reason_id`) REFERENCES `wrap_up_reasons` (`id`) ON DELETE CASCADE);
-- Create "queue_wrap_up_reasons" table
CREATE TABLE `queue_wrap_up_reasons` (`queue_id` integer NOT NULL, `wrap_up_reason_id` integer NOT NULL, PRIMARY KEY (`queue_id`, `wrap_up_reason_id`), CONSTRAINT `queue_wrap_up_reasons_queue_id` FOREIGN KEY (`queue_id`) REFERENCES `queues` (`id`) ON DELETE CASCADE, CONSTRAINT `queue_wrap_up_reasons_wrap_up_reason_id` FOREIGN KEY (`wrap_up_reason_id`) REFERENCES `wrap_up_reasons` (`id`) ON DELETE CASCADE);
