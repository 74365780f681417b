package main

// Regenerate everything: the ent client and ent.graphqls first, then gqlgen,
// then the printed schema (schema/schema.graphql) from the executable schema.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod github.com/99designs/gqlgen
//go:generate go run -mod=mod ./schema/print.go
