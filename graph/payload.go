package graph

import (
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
)

// wrap returns a function that turns a domain result into a mutation
// payload, passing errors on: wrap(toPayload)(domain.Call(ctx, input)).
func wrap[T, P any](payload func(T) *P) func(T, error) (*P, error) {
	return func(v T, err error) (*P, error) {
		if err != nil {
			return nil, err
		}
		return payload(v), nil
	}
}

func engagementPayload(e *ent.Engagement) *model.EngagementPayload {
	return &model.EngagementPayload{Engagement: e}
}

func agentPayload(a *ent.Agent) *model.AgentPayload { return &model.AgentPayload{Agent: a} }

func transferPayload(t *ent.Transfer) *model.TransferPayload {
	return &model.TransferPayload{Transfer: t}
}

func crmRecordPayload(r *ent.CRMRecord) *model.CRMRecordPayload {
	return &model.CRMRecordPayload{CrmRecord: r}
}
