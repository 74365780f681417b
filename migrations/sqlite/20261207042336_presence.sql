-- Create "presences" table
CREATE TABLE `presences` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `instance` text NOT NULL, `agent_id` integer NOT NULL, `renewed_at` datetime NOT NULL);
-- Set sequence for "presences" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("presences", 103079215104);
-- Create index "presence_instance_agent_id" to table: "presences"
CREATE UNIQUE INDEX `presence_instance_agent_id` ON `presences` (`instance`, `agent_id`);
-- Create index "presence_agent_id" to table: "presences"
CREATE INDEX `presence_agent_id` ON `presences` (`agent_id`);
