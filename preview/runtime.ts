import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { rpc } from "./pulumi-internals";
import { loadStackFile, StackFile } from "../stacks/load";
import { redactedSecret } from "../components/util/secret-values";
import { floatingIpResourceName } from "../components/concern-registry";

/** A resource as `pulumi preview` would register it: what tests, `stage2 preview`, `render` and `policy` read. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** The URN the engine would give it (parent types included). */
  readonly urn: string;
  readonly custom: boolean;
  readonly parent?: string;
  /** URNs this resource waits for (dependsOn and inputs). */
  readonly dependencies: string[];
  /** Inputs with secrets unwrapped. */
  readonly inputs: Record<string, unknown>;
  /** Dotted paths of inputs that were secret ("stdin", "connection.privateKey"). */
  readonly secretPaths: string[];
  /** The outputs the preview resolved for it (what the cloud would report, e.g. a floating IP's ipAddress). */
  readonly outputs: Record<string, unknown>;
  /** Options such as protect/import, as registered. */
  readonly protect: boolean;
  readonly importId?: string;
}

export interface PreviewResult {
  readonly stack: string;
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /** Values the preview made up because only the cloud knows them (e.g. a new floating IP's address). */
  readonly notes: string[];
}

/** A secret value the offline tools never see: what stands in for it in rendered files. */
export const redacted = (key: string): string => redactedSecret(`stage2:${key}`);

function secretPaths(value: unknown, at: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  if (obj[rpc.specialSigKey] === rpc.specialSecretSig) {
    out.push(at);
    return;
  }
  for (const [k, v] of Object.entries(obj)) secretPaths(v, at ? `${at}.${k}` : k, out);
}

/** Replaces every secret wrapper left by deserialization with its value. */
function unwrapSecrets(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  const obj = value as Record<string, unknown>;
  if (obj[rpc.specialSigKey] === rpc.specialSecretSig) return unwrapSecrets(obj.value);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** A stand-in address from the documentation range, stable per name, for a floating IP Hetzner has not created. */
export function previewAddress(name: string): string {
  const n = crypto.createHash("sha256").update(name).digest()[0] % 200;
  return `203.0.113.${n + 10}`;
}

/** A stable stand-in for an id the cloud assigns. */
export function previewId(name: string): number {
  return 1_000_000 + (crypto.createHash("sha256").update(name).digest().readUInt32BE(0) % 1_000_000);
}

/**
 * Runs a Pulumi program in-process under mocks: no engine, no cloud, no Pulumi CLI. Every registered resource is
 * recorded with its parent, dependencies and secret-ness, which the SDK's mocks alone do not report.
 */
export async function runPreview(
  stack: string,
  config: Record<string, string>,
  secretKeys: string[],
  program: () => Record<string, unknown> | void,
  knownAddresses: Record<string, string> = {},
): Promise<PreviewResult> {
  // The SDK records a stack trace for every promise; ts-node's source-map formatting of those traces was most of a
  // preview's time. V8's own formatting is used while the program runs.
  const formatStack = Error.prepareStackTrace;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  // A throw inside an apply (e.g. a floating IP whose address is not the configured one) surfaces as unhandled
  // rejections while registrations wait on it: the first becomes the preview's error instead of a crash or a hang.
  const failed = new Promise<never>((_, reject) => (activeReject = (reason) => reject(previewError(reason))));
  installRejectionRoute();
  try {
    return await Promise.race([record(stack, config, secretKeys, program, knownAddresses).catch((e) => Promise.reject(previewError(e))), failed]);
  } catch (err) {
    failedMessages.add((err as Error).message);
    throw err;
  } finally {
    activeReject = undefined;
    Error.prepareStackTrace = formatStack;
  }
}

let activeReject: ((reason: unknown) => void) | undefined;
const failedMessages = new Set<string>();
let routed = false;

/** Routes unhandled rejections to the running preview; the echoes of a preview that already failed are dropped. */
function installRejectionRoute(): void {
  if (routed) return;
  routed = true;
  process.on("unhandledRejection", (reason) => {
    if (activeReject) return activeReject(reason);
    if (failedMessages.has(previewError(reason).message)) return;
    throw reason;
  });
}

/** The SDK wraps an apply's error once per property it was serializing; the user needs only the innermost message. */
function previewError(reason: unknown): Error {
  const message = reason instanceof Error ? reason.message : String(reason);
  return new Error(message.replace(/^(error serializing property "[^"]*": )+/, ""));
}

async function record(
  stack: string,
  config: Record<string, string>,
  secretKeys: string[],
  program: () => Record<string, unknown> | void,
  knownAddresses: Record<string, string>,
): Promise<PreviewResult> {
  const resources: RecordedResource[] = [];
  const notes: string[] = [];
  const outputsByName = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "hcloud:index/floatingIp:FloatingIp") {
          const known = knownAddresses[args.name];
          state.ipAddress = known ?? previewAddress(args.name);
          if (!known) notes.push(`${args.name}: Hetzner assigns the address on create; the preview uses ${state.ipAddress}`);
        }
        if (args.type === "command:remote:Command") {
          state.stdout = "";
          state.stderr = "";
        }
        // Hetzner ids are numbers; a stand-in keeps `id.apply(Number)` meaningful in the preview.
        const id = args.type.startsWith("hcloud:") ? String(previewId(args.name)) : `${args.name}-id`;
        outputsByName.set(`${args.type}::${args.name}`, state);
        return { id: args.id || id, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    "stage2",
    stack,
    true,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, resp: unknown) => void): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const raw = req.getObject()?.toJavaScript() ?? {};
    const paths: string[] = [];
    secretPaths(raw, "", paths);
    const type = req.getType();
    const name = req.getName();
    const record = {
      type,
      name,
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      dependencies: req.getDependenciesList(),
      inputs: unwrapSecrets(rpc.deserializeProperties(req.getObject())) as Record<string, unknown>,
      secretPaths: paths,
      protect: Boolean(req.getProtect?.()),
      importId: req.getImportid?.() || undefined,
    };
    original(req, (err, resp) => {
      const urn = (resp as { getUrn?: () => string } | undefined)?.getUrn?.();
      if (!err && urn && type !== "pulumi:pulumi:Stack") resources.push({ ...record, urn, outputs: outputsByName.get(`${type}::${name}`) ?? {} });
      cb(err, resp);
    });
  };
  let outputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    const out = program();
    outputs = (out ?? {}) as Record<string, unknown>;
    return out;
  });
  // Registrations still waiting on outputs are in flight after the program returns; disconnect waits for them all.
  await pulumi.runtime.disconnect();
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    resolved[key] = pulumi.Output.isInstance(value) ? await outputValue(value) : value;
  }
  return { stack, resources, outputs: resolved, notes: [...new Set(notes)] };
}

interface RegisterRequest {
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getDependenciesList(): string[];
  getProtect?(): boolean;
  getImportid?(): string;
}

function outputValue(value: pulumi.Output<unknown>): Promise<unknown> {
  return new Promise((resolve) => value.apply((v) => resolve(v)));
}

/** Config for the program from a stack file: plain values as-is, `secure:` values replaced by redacted stand-ins. */
export function mockConfig(file: StackFile): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config)) {
    config[`stage2:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const key of file.secureKeys) config[`stage2:${key}`] = redacted(key);
  return { config, secretKeys: file.secureKeys.map((k) => `stage2:${k}`) };
}

/** Previews the stage2 program on a stack file. */
export async function previewStackFile(path: string): Promise<PreviewResult> {
  const file = loadStackFile(path);
  const { config, secretKeys } = mockConfig(file);
  const known: Record<string, string> = {};
  const gateways = Array.isArray(file.config.gateways) ? (file.config.gateways as { name?: string; floatingIp?: { address?: string } }[]) : [];
  for (const gw of gateways) if (gw?.name && gw.floatingIp?.address) known[floatingIpResourceName(gw.name)] = gw.floatingIp.address;
  const { stage2Program } = require("../stacks/program") as typeof import("../stacks/program");
  return runPreview(file.stack, config, secretKeys, stage2Program, known);
}
