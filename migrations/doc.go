// Package migrations holds the versioned schema migrations of both stores
// (sqlite/ and postgres/, Atlas's directory format with its atlas.sum),
// generated from the ent schema by generate.go, and applies them (Apply).
package migrations
