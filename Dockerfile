# supaops-mcp in a container. Build: docker build -t supaops .
# Run over stdio (what an MCP client starts):
#   docker run -i --rm -e SUPABASE_ACCESS_TOKEN_FILE=/run/secrets/token \
#     -v ~/.config/supaops/token:/run/secrets/token:ro -v supaops:/data supaops
# Try it without an account: docker run -i --rm supaops --sandbox
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces the JSON Schema validator with the patched copy here.
COPY third_party ./third_party
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/supaops-mcp ./cmd/mcp \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/supaops-slackbot ./cmd/slackbot \
 && mkdir /out/data

# Static binary, no shell, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/supaops-mcp /supaops-mcp
# The Slack bot: docker run --entrypoint /supaops-slackbot -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN ... supaops --sandbox
COPY --from=build /out/supaops-slackbot /supaops-slackbot
# The store (audit log, approvals) lives on a volume so it outlives the container.
# The image has no shell to mkdir with, so the empty folder is copied, owned
# by the nonroot user (65532), so that a fresh named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV SUPAOPS_STORE=/data/supaops.db
VOLUME ["/data"]
USER nonroot
ENTRYPOINT ["/supaops-mcp"]
