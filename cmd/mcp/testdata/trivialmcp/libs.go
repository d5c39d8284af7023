//go:build trivialmcplibs

// Built with -tags trivialmcplibs, trivialmcp also links every third-party
// package supaops-mcp imports, and nothing else of supaops: what starting
// costs once those libraries are in the binary (their package
// initialisation, a binary of their size), before supaops does anything.
// BenchmarkStartupLibraryFloor compares the two builds.

package main

import (
	_ "cel.dev/cel-go/cel"
	_ "cel.dev/cel-go/ext"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/getkin/kin-openapi/routers"
	_ "github.com/oapi-codegen/runtime"
	_ "github.com/prometheus/client_golang/prometheus/collectors"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/robfig/cron/v3"
	_ "github.com/rs/zerolog"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/wasilibs/go-pgquery/parser"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sync/singleflight"
	_ "golang.org/x/term"
	_ "golang.org/x/text/message"
)
