//go:build tools

// Package main pins the code generators so `go run` uses go.mod's versions.
package main

import (
	_ "entgo.io/ent/cmd/ent"
	_ "github.com/99designs/gqlgen"
)
