import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RecordedResource } from "../../preview/runtime";
import { fixtureGateway } from "../fixtures/gateway";
import { previewConfig } from "../helpers/preview";

const ROOT = path.resolve(__dirname, "..", "..");
const SECRET_KEYS = ["sshPrivateKey", "gw-key", "eap-alice", "psk-hq"];

interface Lock {
  packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; dev?: boolean }>;
}

/**
 * The consumer's package.json and package-lock.json: the tarball plus what it needs, pinned to the versions this
 * repository's lock has, so `npm ci --offline` installs from npm's cache (filled by .ci/install's `npm ci`).
 */
function writeConsumerPackage(dir: string, tarball: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lock;
  const own = ["typescript", "@types/node", "@pulumi/pulumi", "@pulumi/hcloud"];
  const dependencies: Record<string, string> = { stage2: `file:${tarball}` };
  for (const name of own) dependencies[name] = pkg.dependencies[name] ?? pkg.devDependencies[name];
  const packages: Record<string, unknown> = {
    "": { name: "consumer", version: "1.0.0", dependencies },
    "node_modules/stage2": { version: pkg.version, resolved: `file:${tarball}`, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  // Node's lookup: a package's dependency is in its own node_modules, else in its parents'.
  const locate = (from: string, name: string): string => {
    for (let at = from; ; at = at.slice(0, Math.max(0, at.lastIndexOf("/node_modules/")))) {
      const key = `${at ? `${at}/` : ""}node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!at) throw new Error(`${name} (needed by ${from || "the consumer"}) is not in package-lock.json`);
    }
  };
  const queue: [string, string][] = [...Object.keys(pkg.dependencies), ...own].map((name) => ["", name]);
  while (queue.length) {
    const [from, name] = queue.shift()!;
    const key = locate(from, name);
    if (packages[key]) continue;
    const { dev: _dev, ...entry } = lock.packages[key];
    packages[key] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) queue.push([key, dep]);
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, dependencies }, null, 2));
  fs.writeFileSync(
    path.join(dir, "package-lock.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

/** A Pulumi TypeScript program of another team: its own server, and a gateway from stage2 that waits for it. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import { GatewayInput, Stage2Gateway } from "stage2";

export function program(): Record<string, pulumi.Output<string>> {
  const config = new pulumi.Config("stage2");
  const [gateway] = config.requireObject<GatewayInput[]>("gateways");
  const server = new hcloud.Server("consumer-server", { serverType: "cx22", image: "debian-12", location: "fsn1" });
  const secrets = Object.fromEntries(["gw-key", "eap-alice", "psk-hq"].map((k) => [k, config.requireSecret(k)]));
  const gw = new Stage2Gateway(gateway.name, { gateway, sshPrivateKey: config.requireSecret("sshPrivateKey"), secrets }, { dependsOn: [server] });
  return { floatingIp: gw.floatingIp, wireguardPublicKey: gw.wireguardPublicKey };
}
`;

/** The consumer's preview under Pulumi's mocks: every registration with its dependencies, printed as JSON. */
const PREVIEW = `import * as pulumi from "@pulumi/pulumi";
import { program } from "./index";

interface Request {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

async function main(): Promise<void> {
  const { config, secretKeys, floatingIp } = JSON.parse(process.argv[2]) as { config: Record<string, string>; secretKeys: string[]; floatingIp: string };
  const records: unknown[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => ({
        id: a.type.startsWith("hcloud:") ? "1" : a.name + "-id",
        state: { ...a.inputs, ...(a.type === "hcloud:index/floatingIp:FloatingIp" ? { ipAddress: floatingIp } : {}) },
      }),
      call: (a) => a.inputs,
    },
    "consumer",
    "test",
    true,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Request, cb: (err: unknown, resp: unknown) => void): void };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      const urn = (resp as { getUrn(): string }).getUrn();
      const inputs = req.getObject()?.toJavaScript() ?? {};
      records.push({ type: req.getType(), name: req.getName(), custom: req.getCustom(), urn, dependencies: req.getDependenciesList(), inputs });
      cb(err, resp);
    });
  await pulumi.runtime.runInPulumiStack(async () => program());
  await pulumi.runtime.disconnect();
  process.stdout.write(JSON.stringify(records));
}

void main();
`;

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, types: ["node"], outDir: "bin" },
  files: ["index.ts", "preview.ts"],
};

/** Secret values as the engine sends them: { <signature>: <secret marker>, value }. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("4dabf18193072939515e22adb298388d" in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

describe("stage2 as a package: another team's Pulumi program installs the tarball", function () {
  this.timeout(600000);
  let dir: string;
  let consumer: RecordedResource[];
  let stack: RecordedResource[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-consumer-"));
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    );
    const tarball = packed[0].filename as string;
    writeConsumerPackage(dir, tarball);
    fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
    fs.writeFileSync(path.join(dir, "preview.ts"), PREVIEW);
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    execFileSync("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, stdio: "pipe" });
    execFileSync(path.join(dir, "node_modules", ".bin", "tsc"), ["-p", dir], { cwd: dir, stdio: "pipe" });

    const gw = fixtureGateway();
    const result = await previewConfig({ gateways: [gw] }, SECRET_KEYS);
    stack = result.resources;
    const config: Record<string, string> = { "stage2:gateways": JSON.stringify([gw]) };
    const { redacted } = await import("../../preview/runtime");
    for (const k of SECRET_KEYS) config[`stage2:${k}`] = redacted(k);
    const arg = JSON.stringify({ config, secretKeys: SECRET_KEYS.map((k) => `stage2:${k}`), floatingIp: gw.floatingIp.address });
    const out = execFileSync(process.execPath, [path.join(dir, "bin", "preview.js"), arg], { cwd: dir, encoding: "utf8" });
    consumer = (JSON.parse(out) as RecordedResource[]).map((r) => ({ ...r, inputs: unwrapSecrets(r.inputs) as Record<string, unknown> }));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("installs by name: node_modules/stage2 holds compiled JavaScript and declarations, no TypeScript sources", () => {
    const pkg = path.join(dir, "node_modules", "stage2");
    assert.ok(fs.existsSync(path.join(pkg, "dist", "components", "index.js")));
    assert.ok(fs.existsSync(path.join(pkg, "dist", "components", "index.d.ts")));
    assert.ok(!fs.existsSync(path.join(pkg, "components")), "the package ships sources");
  });

  it("previews under mocks with the same resources as the in-repo stack, and the same commands", () => {
    const names = (rs: RecordedResource[]) =>
      rs
        .filter((r) => r.type !== "pulumi:pulumi:Stack" && r.name !== "consumer-server")
        .map((r) => `${r.type} ${r.name}`)
        .sort();
    assert.deepEqual(names(consumer), names(stack));
    for (const r of stack.filter((x) => x.type === "command:remote:Command")) {
      const c = consumer.find((x) => x.type === r.type && x.name === r.name)!;
      assert.equal(c.inputs.create, r.inputs.create, `${r.name}: another script`);
      assert.equal(c.inputs.stdin, r.inputs.stdin, `${r.name}: other files`);
    }
  });

  it("the consumer's dependsOn (its own server) reaches every remote command and every Hetzner resource of the gateway", () => {
    const server = consumer.find((r) => r.name === "consumer-server");
    assert.ok(server);
    const children = consumer.filter((r) => r.custom && r !== server);
    assert.equal(children.filter((r) => r.type === "command:remote:Command").length, 10);
    for (const r of children) assert.ok(r.dependencies.includes(server.urn), `${r.type} ${r.name} does not wait for the consumer's server`);
  });
});
