import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { RecordedResource, runPreview } from "../../preview/runtime";
import { foreignProgram, foreignScript, GOOD_FILES, MASK_STARTER, withFile } from "./helpers/stacks";

const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The policy SDK sends "<policy description>\n<violation message>"; checks the first line and returns the second. */
function message(d: analyzerPb.AnalyzeDiagnostic): string {
  const [description, ...rest] = d.getMessage().split("\n");
  assert.strictEqual(description, d.getDescription());
  return rest.join("\n");
}

/** Properties as the engine sends them: secret paths wrapped in the secret signature. */
function engineProperties(r: RecordedResource): Record<string, unknown> {
  const props = structuredClone(r.inputs);
  for (const p of r.secretPaths) {
    const keys = p.split(".");
    let node = props as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
    const last = keys[keys.length - 1];
    node[last] = { ...SECRET, value: node[last] };
  }
  return props;
}

function analyzerResource(r: RecordedResource, override: Record<string, unknown> = {}): analyzerPb.AnalyzerResource {
  const res = new analyzerPb.AnalyzerResource();
  res.setType(r.type);
  res.setName(r.name);
  res.setUrn(r.urn);
  res.setProperties(Struct.fromJavaScript({ ...engineProperties(r), ...override } as never));
  const options = new analyzerPb.AnalyzerResourceOptions();
  options.setProtect(r.protect);
  if (r.parent) {
    res.setParent(r.parent);
    options.setParent(r.parent);
  }
  res.setOptions(options);
  res.setDependenciesList(r.dependencies);
  return res;
}

/**
 * The pack as `pulumi preview --policy-pack policy` runs it: Pulumi's own policy-pack runner loads policy/ (with
 * its type-checking ts-node), `new PolicyPack` serves the analyzer gRPC API, and the test plays the engine.
 */
describe("the policy pack under Pulumi's policy-pack runner (the engine's side played by the test)", function () {
  this.timeout(120000);
  let child: ChildProcess | undefined;
  let client: analyzerGrpc.AnalyzerClient;

  before(async () => {
    child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.once("data", (d) => resolve(Number(String(d).trim().split("\n")[0])));
      child!.once("exit", (code) => reject(new Error(`the policy pack exited (${code}): ${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    if (child && child.exitCode === null) child.kill("SIGTERM");
  });

  const call = <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> =>
    new Promise((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));

  it("announces the pack stage2-gateway with its fifteen policies and their enforcement levels", async () => {
    const info = await call<emptyPb.Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo, new emptyPb.Empty());
    const level = (l: number) => Object.entries(analyzerPb.EnforcementLevel).find(([, v]) => v === l)![0];
    assert.strictEqual(info.getName(), "stage2-gateway");
    assert.deepStrictEqual(
      info.getPoliciesList().map((p) => [p.getName(), level(p.getEnforcementlevel())]),
      [
        ["ipsec-binds-floating-ip", "MANDATORY"],
        ["ipsec-not-over-wireguard", "MANDATORY"],
        ["ipsec-forward-decrypted-only", "MANDATORY"],
        ["secrets-stay-secret", "MANDATORY"],
        ["ssh-host-key-pinned", "MANDATORY"],
        ["floating-ip-on-host", "MANDATORY"],
        ["wireguard-closed-to-internet", "MANDATORY"],
        ["gateway-commands-readable", "MANDATORY"],
        ["weak-crypto", "ADVISORY"],
        ["start-action-start", "ADVISORY"],
        ["rw-without-dpd", "ADVISORY"],
        ["missing-mss-clamp", "ADVISORY"],
        ["legacy-starter-enabled", "ADVISORY"],
        ["client-compatibility", "ADVISORY"],
        ["values-unknown-at-preview", "ADVISORY"],
      ],
    );
  });

  it("AnalyzeStack on a foreign stack binding IKE to the WireGuard address: a mandatory diagnostic on the command", async () => {
    const files = withFile("/etc/swanctl/swanctl.conf", (c) => c.replace("local_addrs = 198.51.100.139", "local_addrs = 10.8.0.1"));
    const preview = await runPreview("engine", {}, [], foreignProgram({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } }));
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(preview.resources.map((r) => analyzerResource(r)));
    const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack, req);
    const command = preview.resources.find((r) => r.name === "vpn-config")!;
    assert.deepStrictEqual(
      res
        .getDiagnosticsList()
        .filter((d) => d.getEnforcementlevel() === analyzerPb.EnforcementLevel.MANDATORY)
        .map((d) => [d.getPolicyname(), d.getUrn(), message(d)]),
      [
        [
          "ipsec-binds-floating-ip",
          command.urn,
          '/etc/swanctl/swanctl.conf: connection "home": local_addrs 10.8.0.1 is inside the WireGuard subnet 10.8.0.1/24 (wg0): IKE would be offered over WireGuard. Set local_addrs = 198.51.100.139.',
        ],
      ],
    );
  });

  it("AnalyzeStack with an existing floating IP whose address differs from the one the files use", async () => {
    const preview = await runPreview("engine", {}, [], foreignProgram({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true } }));
    const req = new analyzerPb.AnalyzeStackRequest();
    // An IP that already exists: the engine sends its outputs, the address included.
    req.setResourcesList(preview.resources.map((r) => analyzerResource(r, r.name === "vpn-fip" ? { ipAddress: "198.51.100.140" } : {})));
    const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack, req);
    assert.deepStrictEqual(
      res
        .getDiagnosticsList()
        .filter((d) => d.getEnforcementlevel() === analyzerPb.EnforcementLevel.MANDATORY)
        .map((d) => [d.getPolicyname(), message(d)]),
      [
        [
          "ipsec-binds-floating-ip",
          '/etc/swanctl/swanctl.conf: connection "home": local_addrs 198.51.100.139 is an address of this host but not its floating IP. Set local_addrs = 198.51.100.140, the floating IP.',
        ],
        [
          "floating-ip-on-host",
          "198.51.100.140 is assigned by Hetzner but no network configuration of 198.51.100.10 adds it to an interface, so the kernel drops IKE sent to it. Configure 198.51.100.140/32 on the public interface persistently (e.g. /etc/network/interfaces.d/60-stage2-floating-ip).",
        ],
      ],
    );
  });

  it("AnalyzeStack with values unknown at preview: advisory notes from the pack, no policy fails", async () => {
    const preview = await runPreview("engine", {}, [], foreignProgram({ files: [], extra: [MASK_STARTER] }));
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(preview.resources.map((r) => analyzerResource(r, { create: UNKNOWN_STRING, stdin: UNKNOWN_STRING })));
    const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack, req);
    assert.deepStrictEqual(
      res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), message(d)]),
      [
        [
          "values-unknown-at-preview",
          analyzerPb.EnforcementLevel.ADVISORY,
          "stdin is unknown at preview, so the files it carries cannot be checked until it is known",
        ],
        [
          "values-unknown-at-preview",
          analyzerPb.EnforcementLevel.ADVISORY,
          "`create` is unknown at preview, so the files it writes cannot be checked until it is known",
        ],
      ],
    );
  });

  // Last: the pack server keeps its config, as it does for one engine run.
  it("Configure with a pack config lowering gateway-commands-readable (what `pulumi preview --policy-pack-config` sends): the finding turns advisory", async () => {
    const script = foreignScript({ files: GOOD_FILES, extra: [MASK_STARTER, "sed -i 's/198.51.100.139/%any/' /etc/swanctl/swanctl.conf"] });
    const preview = await runPreview("engine", {}, [], foreignProgram({ files: GOOD_FILES, script, floatingIp: { assigned: true } }));
    const analyze = async () => {
      const req = new analyzerPb.AnalyzeStackRequest();
      req.setResourcesList(preview.resources.map((r) => analyzerResource(r)));
      const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack, req);
      return res
        .getDiagnosticsList()
        .filter((d) => d.getPolicyname() === "gateway-commands-readable")
        .map((d) => [d.getEnforcementlevel(), message(d).slice(0, 60)]);
    };
    const configure = async (level: analyzerPb.EnforcementLevel) => {
      const req = new analyzerPb.ConfigureAnalyzerRequest();
      const config = new analyzerPb.PolicyConfig();
      config.setEnforcementlevel(level);
      config.setProperties(Struct.fromJavaScript({}));
      req.getPolicyconfigMap().set("gateway-commands-readable", config);
      await call<analyzerPb.ConfigureAnalyzerRequest, emptyPb.Empty>(client.configure, req);
    };
    const finding = "create, line 67: `sed` edits in place /etc/swanctl/swanctl.c";
    assert.deepStrictEqual(await analyze(), [[analyzerPb.EnforcementLevel.MANDATORY, finding]]);
    await configure(analyzerPb.EnforcementLevel.ADVISORY);
    try {
      assert.deepStrictEqual(await analyze(), [[analyzerPb.EnforcementLevel.ADVISORY, finding]]);
    } finally {
      await configure(analyzerPb.EnforcementLevel.MANDATORY);
    }
  });
});
