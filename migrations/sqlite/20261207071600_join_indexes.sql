-- Create index "agentqueues_queue_id" to table: "agent_queues"
CREATE INDEX `agentqueues_queue_id` ON `agent_queues` (`queue_id`);
-- Create index "crmrecordengagements_engagement_id" to table: "crm_record_engagements"
CREATE INDEX `crmrecordengagements_engagement_id` ON `crm_record_engagements` (`engagement_id`);
