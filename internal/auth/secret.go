package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Prefixes tell login tokens from API keys at a glance (and to scanners).
const (
	tokenPrefix  = "sbt_"
	apiKeyPrefix = "sbk_"
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
