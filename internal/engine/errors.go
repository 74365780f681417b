package engine

import "github.com/switchboard/switchboard/internal/apperr"

// Reasons carried by PRECONDITION_FAILED and CONFLICT errors.
const (
	ReasonIllegalTransition = "ILLEGAL_TRANSITION"
	ReasonNotOwner          = "NOT_YOUR_ENGAGEMENT"
	ReasonCapacity          = "CAPACITY_REACHED"
	ReasonNotAvailable      = "AGENT_NOT_AVAILABLE"
	ReasonOnCall            = "AGENT_ON_CALL"
	ReasonNotLeaf           = "QUEUE_NOT_LEAF"
	ReasonNotMember         = "NOT_A_QUEUE_MEMBER"
	ReasonTransferPending   = "TRANSFER_PENDING"
	ReasonDispositions      = "DISPOSITIONS_REQUIRED"
	ReasonStale             = "STALE_STATE"
	ReasonOfferEnded        = "OFFER_ENDED"
	ReasonRingingOther      = "RINGING_ANOTHER_AGENT"
)

func illegal(format string, args ...any) error {
	return apperr.New(apperr.PreconditionFailed, format, args...).WithReason(ReasonIllegalTransition)
}

func precondition(reason, format string, args ...any) error {
	return apperr.New(apperr.PreconditionFailed, format, args...).WithReason(reason)
}

func conflict(format string, args ...any) error {
	return apperr.New(apperr.Conflict, format, args...).WithReason(ReasonStale)
}
