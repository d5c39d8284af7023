// Start-up as the official MCP TypeScript client sees it: spawn, initialize,
// tools/list answered (the SDK then compiles a validator for every output
// schema), alternating a trivial mcp-go server with supaops-mcp. Not part of
// `make test` (it needs Node.js and the SDK from npm):
//
//   (cd cmd/mcp/testdata/trivialmcp && go build -o /tmp/trivialmcp .)
//   go build -o /tmp/supaops-mcp ./cmd/mcp
//   mkdir -p /tmp/tsclient && cp scripts/tsclient-startup.mjs /tmp/tsclient/
//   cd /tmp/tsclient && npm init -y && npm install @modelcontextprotocol/sdk
//   node tsclient-startup.mjs 20
//
// (Node resolves the SDK from the script's own folder: ES modules ignore
// NODE_PATH.)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const runs = Number(process.argv[2] ?? 20);
const home = "/tmp/tsclient-home";
const sides = {
  trivial: ["/tmp/trivialmcp", [], {}],
  "supaops (real API)": ["/tmp/supaops-mcp", [], { SUPABASE_ACCESS_TOKEN: "sbp_" + "0".repeat(40), HOME: home, SUPAOPS_STORE: home + "/real.db" }],
  "supaops --sandbox": ["/tmp/supaops-mcp", ["--sandbox"], { HOME: home, SUPAOPS_STORE: home + "/sandbox.db" }],
};

async function once([command, args, env]) {
  const start = performance.now();
  const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: "ignore" });
  const client = new Client({ name: "startup", version: "1" });
  await client.connect(transport);
  const initialized = performance.now() - start;
  await client.listTools();
  const listed = performance.now() - start;
  await client.close();
  return { initialized, listed };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const got = {};
for (let i = 0; i < runs; i++) {
  for (const [name, spec] of Object.entries(sides)) {
    const r = await once(spec);
    (got[name] ??= { initialized: [], listed: [] }).initialized.push(r.initialized);
    got[name].listed.push(r.listed);
  }
}
const floor = median(got.trivial.listed);
for (const [name, r] of Object.entries(got)) {
  console.log(`${name}: initialize answered ${median(r.initialized).toFixed(1)} ms, tools/list ${median(r.listed).toFixed(1)} ms, ${(median(r.listed) / floor).toFixed(2)}× the trivial server`);
}
