package migrate

import "entgo.io/ent/dialect/sql/schema"

// ent gives a many-to-many join table only its primary key (the edge's
// owner first), so a look-up from the other side scans the whole table
// (ent/ent#1845). Every ring and accept asks which CRM record an engagement
// is logged to, and the dispatcher which agents a queue has: both get an
// index here, which the automatic migration and the versioned migrations
// (migrations/generate.go) take from Tables like the generated ones. This
// file is not generated.
func init() {
	CrmRecordEngagementsTable.Indexes = append(CrmRecordEngagementsTable.Indexes, &schema.Index{
		Name:    "crmrecordengagements_engagement_id",
		Columns: []*schema.Column{CrmRecordEngagementsColumns[1]},
	})
	AgentQueuesTable.Indexes = append(AgentQueuesTable.Indexes, &schema.Index{
		Name:    "agentqueues_queue_id",
		Columns: []*schema.Column{AgentQueuesColumns[1]},
	})
}
