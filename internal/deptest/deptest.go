// Package deptest keeps the import graph the shape the design asks for
// (shared/design/layout.md): surfaces never import each other, nothing below
// the surfaces speaks MCP or Slack, and only the wiring knows the sandbox.
// Its test lists every package's imports with `go list`; golangci-lint's
// depguard (see .golangci.yml) says the same to editors.
package deptest
