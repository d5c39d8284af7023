// Package mcpserver adapts the action registry and the call pipeline to the
// Model Context Protocol (mark3labs/mcp-go). It decides what an AI client
// sees — a curated core of first-class tools plus search_actions,
// describe_action and call_action over the whole registry — and how results
// and refusals read to a model. It re-implements nothing: every tool call is
// one pipeline.Call, so validation, policy, redaction and audit are the same
// as on every other surface.
package mcpserver
