//go:build ignore

// print writes schema/schema.graphql: the whole schema as the server
// executes it, in one file of plain SDL (no extensions), for frontend
// tools such as GraphQL Code Generator, relay-compiler and graphql-inspector.
// It runs from the repository root via generate.go, after gqlgen.
package main

import (
	"bytes"
	"log"
	"os"

	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/switchboard/switchboard/graph"
)

func main() {
	var b bytes.Buffer
	b.WriteString("# The Switchboard GraphQL schema, printed from the executable schema by\n" +
		"# `go generate ./...` (schema/print.go). Edit schema/*.graphqls, not this file.\n\n")
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(graph.NewExecutableSchema(graph.Config{}).Schema())
	if err := os.WriteFile("schema/schema.graphql", b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
