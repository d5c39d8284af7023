# supaops in a container: both binaries, static, non-root. Build: make image
# Run the MCP server over stdio (what an MCP client starts):
#   docker run -i --rm -e SUPABASE_ACCESS_TOKEN_FILE=/run/secrets/token \
#     -v ~/.config/supaops/token:/run/secrets/token:ro -v supaops:/data supaops
# Try it without an account: docker run -i --rm supaops --sandbox
# The Slack bot: docker run --entrypoint /supaops-slackbot -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN ... supaops --sandbox
# (deploy/docker-compose.yml runs it.) /healthz, /readyz and /metrics are on
# port 9090 (SUPAOPS_METRICS_ADDR).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces the JSON Schema validator with the patched copy here.
COPY third_party ./third_party
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The same script as `make build`; cmd/mcp's TestDockerfileBuild runs this line.
RUN VERSION=${VERSION} COMMIT=${COMMIT} ./scripts/build.sh /out && mkdir /out/data

# Static binaries, no shell, non-root (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/supaops-mcp /supaops-mcp
COPY --from=build /out/supaops-slackbot /supaops-slackbot
# The store (audit log, approvals, jobs) lives on a volume so it outlives
# the container. The image has no shell to mkdir with, so the empty folder
# is copied, owned by the nonroot user, so that a fresh named volume is
# writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV SUPAOPS_STORE=/data/supaops.db
# Health and metrics on every interface of the container, for probes and
# Prometheus; the binaries' own default is off.
ENV SUPAOPS_METRICS_ADDR=0.0.0.0:9090
EXPOSE 9090
VOLUME ["/data"]
USER nonroot
# No curl in a distroless image: the binary probes itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/supaops-mcp", "probe", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/supaops-mcp"]
