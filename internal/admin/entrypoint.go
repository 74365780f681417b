package admin

import (
	"context"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
)

// e164 is a phone number with country code, as VOICE and SMS entry points need.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// CreateEntryPoint creates an entry point. A CHAT entry point gets a
// generated token of 128 random bits; the others need an address of their
// channel's kind, unique per channel.
func (s *Service) CreateEntryPoint(ctx context.Context, in ent.CreateEntryPointInput) (*ent.EntryPoint, error) {
	addr, err := entryAddress(in.Channel, in.Address)
	if err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.EntryPoint, error) {
		if err := checkDefaultQueue(ctx, tx, in.DefaultQueueID, in.Channel); err != nil {
			return nil, err
		}
		// A CHAT entry point stores no address at all (NULL, not ""), so the
		// unique (channel, address) index never sees two of them clash.
		in.Address = nil
		c := tx.EntryPoint.Create().SetInput(in)
		if in.Channel == enum.ChannelChat {
			c.SetChatToken(auth.RandomToken(16))
		} else {
			c.SetAddress(addr)
		}
		return c.Save(ctx)
	})
}

// UpdateEntryPoint updates an entry point with the rules of CreateEntryPoint.
func (s *Service) UpdateEntryPoint(ctx context.Context, id int, in ent.UpdateEntryPointInput) (*ent.EntryPoint, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.EntryPoint, error) {
		ep, err := tx.EntryPoint.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if in.Address != nil || in.ClearAddress {
			addr, err := entryAddress(ep.Channel, in.Address)
			if err != nil {
				return nil, err
			}
			if addr == "" {
				in.Address, in.ClearAddress = nil, true
			} else {
				in.Address, in.ClearAddress = &addr, false
			}
		}
		if in.DefaultQueueID != nil {
			if err := checkDefaultQueue(ctx, tx, *in.DefaultQueueID, ep.Channel); err != nil {
				return nil, err
			}
		}
		return tx.EntryPoint.UpdateOneID(id).SetInput(in).Save(ctx)
	})
}

// DeleteEntryPoint deletes an entry point no engagement came through (or
// was sent from): those keep it as their address, so it is deactivated instead.
func (s *Service) DeleteEntryPoint(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		if used, err := tx.Engagement.Query().Where(engagement.EntryPointID(id)).Exist(ctx); err != nil || used {
			return 0, orConflict(err, "engagements came through entry point %d; deactivate it instead (active: false)", id)
		}
		return id, tx.EntryPoint.DeleteOneID(id).Exec(ctx)
	})
}

// entryAddress validates and normalises the address of a channel.
func entryAddress(ch enum.Channel, address *string) (string, error) {
	addr := ""
	if address != nil {
		addr = strings.TrimSpace(*address)
	}
	switch ch {
	case enum.ChannelChat:
		if addr != "" {
			return "", apperr.Invalid("address", "a CHAT entry point has no address: its token is generated")
		}
		return "", nil
	case enum.ChannelEmail:
		if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
			return "", apperr.Invalid("address", "an EMAIL entry point needs an email address, got %q", addr)
		}
		return strings.ToLower(addr), nil
	default:
		if !e164.MatchString(addr) {
			return "", apperr.Invalid("address", "a %s entry point needs a phone number with country code such as +4930123456, got %q", ch, addr)
		}
		return addr, nil
	}
}

// checkDefaultQueue requires a leaf queue that takes the channel.
func checkDefaultQueue(ctx context.Context, tx *ent.Tx, id int, ch enum.Channel) error {
	q, err := tx.Queue.Query().Where(queue.ID(id)).WithChildren(func(q *ent.QueueQuery) { q.Limit(1) }).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "queue %d does not exist", id).WithField("defaultQueueID")
	}
	if err != nil {
		return err
	}
	if len(q.Edges.Children) > 0 {
		return apperr.Invalid("defaultQueueID", "queue %q has child queues; engagements land only in leaf queues", q.Name)
	}
	if len(q.Channels) > 0 && !slices.Contains(q.Channels, ch) {
		return apperr.Invalid("defaultQueueID", "queue %q does not take %s", q.Name, ch)
	}
	return nil
}
