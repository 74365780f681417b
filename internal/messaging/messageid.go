package messaging

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/serversecret"
)

// MessageIDs makes and recognises the Message-IDs of outgoing email:
// <sb.MESSAGE.MAC@DOMAIN>, where MAC is an HMAC of the message's ID under a
// key only the server knows. A reply naming such an ID in In-Reply-To or
// References threads into that message's conversation; an ID someone made
// up does not verify.
type MessageIDs struct{ key []byte }

// messageIDKey names the signing key among the server's secrets.
const messageIDKey = "email-message-id"

// LoadMessageIDs returns the signer, generating its key and storing it on
// first start so that IDs verify across restarts and instances.
func LoadMessageIDs(ctx context.Context, c *ent.Client) (*MessageIDs, error) {
	s, err := c.ServerSecret.Query().Where(serversecret.Name(messageIDKey)).Only(ctx)
	if ent.IsNotFound(err) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		// Another instance starting at the same moment may win; its key is used.
		err = c.ServerSecret.Create().SetName(messageIDKey).SetValue(key).Exec(ctx)
		if err != nil && !ent.IsConstraintError(err) {
			return nil, err
		}
		s, err = c.ServerSecret.Query().Where(serversecret.Name(messageIDKey)).Only(ctx)
	}
	if err != nil {
		return nil, err
	}
	return &MessageIDs{key: s.Value}, nil
}

// NewMessageIDs returns a signer with a given key (tests).
func NewMessageIDs(key []byte) *MessageIDs { return &MessageIDs{key: key} }

func (m *MessageIDs) mac(id int) string {
	h := hmac.New(sha256.New, m.key)
	fmt.Fprintf(h, "message:%d", id)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// For returns the Message-ID (with angle brackets) of message id sent from
// the address from, whose domain it takes.
func (m *MessageIDs) For(id int, from string) string {
	domain := "switchboard.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return fmt.Sprintf("<sb.%d.%s@%s>", id, m.mac(id), domain)
}

// Verify returns the message ID inside one of our Message-IDs, and false
// for any other ID, forged ones included.
func (m *MessageIDs) Verify(msgID string) (int, bool) {
	s := strings.Trim(strings.TrimSpace(msgID), "<>")
	local, _, ok := strings.Cut(s, "@")
	if !ok {
		return 0, false
	}
	parts := strings.Split(local, ".")
	if len(parts) != 3 || parts[0] != "sb" {
		return 0, false
	}
	id, err := strconv.Atoi(parts[1])
	if err != nil || id <= 0 {
		return 0, false
	}
	if !hmac.Equal([]byte(parts[2]), []byte(m.mac(id))) {
		return 0, false
	}
	return id, true
}

// ParseIDList splits an In-Reply-To or References header into its
// <message-ids>, in order. Clients fold and space these headers freely.
func ParseIDList(header string) []string {
	var out []string
	for {
		start := strings.IndexByte(header, '<')
		if start < 0 {
			return out
		}
		end := strings.IndexByte(header[start:], '>')
		if end < 0 {
			return out
		}
		out = append(out, header[start:start+end+1])
		header = header[start+end+1:]
	}
}
