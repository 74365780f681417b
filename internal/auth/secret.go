package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Prefixes tell login tokens, API keys and customer tokens apart at a glance
// (and to scanners).
const (
	tokenPrefix    = "sbt_"
	apiKeyPrefix   = "sbk_"
	customerPrefix = "sbc_"
)

// NewSecret returns 256 random bits, base64url-encoded, after prefix.
func NewSecret(prefix string) string { return prefix + RandomToken(32) }

// RandomToken returns n random bytes, base64url-encoded without padding.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what is stored for a token or key: SHA-256 suffices because
// the secrets are random, not chosen by people.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// bearer extracts the credential from an Authorization header value.
func bearer(header string) string {
	if len(header) > 7 && strings.EqualFold(header[:7], "bearer ") {
		return strings.TrimSpace(header[7:])
	}
	return strings.TrimSpace(header)
}

// NewCustomerToken returns a customer token for an engagement, to hand to the
// customer side once, and what to store in Engagement.customer_token_hash:
// the hex-encoded SHA-256 of the token. The token reads
// "sbc_<engagement ID>.<256 random bits, base64url>": the ID lets
// Authenticate find the engagement by primary key (the hash column has no
// index), the random part is the secret. Clearing the stored hash revokes
// the token.
func NewCustomerToken(engagementID int) (secret, hash string) {
	secret = customerPrefix + strconv.Itoa(engagementID) + "." + RandomToken(32)
	return secret, customerTokenHash(secret)
}

func customerTokenHash(secret string) string { return hex.EncodeToString(hashSecret(secret)) }

// parseCustomerToken returns the engagement ID a customer token names.
func parseCustomerToken(secret string) (int, bool) {
	id, random, ok := strings.Cut(strings.TrimPrefix(secret, customerPrefix), ".")
	if !ok || random == "" {
		return 0, false
	}
	n, err := strconv.Atoi(id)
	return n, err == nil && n > 0
}

// customerTokenMatches compares a presented token with a stored hash in
// constant time.
func customerTokenMatches(secret, stored string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(customerTokenHash(secret)), []byte(stored)) == 1
}
