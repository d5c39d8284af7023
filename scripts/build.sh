#!/bin/sh
# Builds supaops-mcp and supaops-slackbot, static and stamped, into $1.
# The Dockerfile, `make build` and `make release` all call this script, and
# cmd/mcp's TestDockerfileBuild runs it as the Dockerfile does, so a build
# that breaks is caught where Docker is not available.
#   VERSION, COMMIT   stamped into both (supaops-mcp version prints them)
#   GOOS, GOARCH      the target (default: this machine's)
set -eu
out=${1:?usage: scripts/build.sh OUTDIR}
: "${VERSION:=dev}" "${COMMIT:=unknown}" "${GO:=go}"
ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}"
mkdir -p "$out"
CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$ldflags" -o "$out/supaops-mcp" ./cmd/mcp
CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$ldflags" -o "$out/supaops-slackbot" ./cmd/slackbot
