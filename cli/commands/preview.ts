import { decodePayload } from "../../components/host/payload";
import { parseArgs } from "../args";
import { loadStack, printWarnings, STACK_FLAGS, stackFileFromFlags } from "../stack-source";
import { previewStackFile, RecordedResource } from "../../preview/runtime";
import { rpc } from "../pulumi-internals";
import { redactedSecret, secretKeysIn } from "../../components/util/secret-values";

export const summary = "print the resources `pulumi up` would create, per gateway (offline, in-process)";
export const usage = `usage: stage2 preview (--stack <env> | --config-file <path>) [--json]

Runs the stage2 program in-process under Pulumi's mocks (no cloud account, no Pulumi CLI) and prints each
resource with the inputs that matter. --json prints the recorded resources; every secret input and output
(a remote command's stdin with its files, the SSH connection) is replaced by "(redacted: secret <keys>)",
naming the secret config keys it holds, never their values.`;

function short(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The inputs `describe` shows; the preview records them untyped. */
interface ShownInputs {
  readonly type?: unknown;
  readonly homeLocation?: unknown;
  readonly floatingIpId?: unknown;
  readonly serverId?: unknown;
  readonly connection?: { readonly user?: unknown; readonly host?: unknown; readonly port?: unknown; readonly hostKey?: unknown };
  readonly stdin?: unknown;
  readonly create?: unknown;
}

export function describe(res: RecordedResource): string {
  const i = res.inputs as ShownInputs;
  switch (res.type) {
    case "hcloud:index/floatingIp:FloatingIp":
      return `type=${i.type} homeLocation=${i.homeLocation}${res.importId ? ` import=${res.importId}` : ""}${res.protect ? " protected" : ""}`;
    case "hcloud:index/floatingIpAssignment:FloatingIpAssignment":
      return `floatingIpId=${i.floatingIpId} serverId=${i.serverId}`;
    case "command:remote:Command": {
      const c: NonNullable<ShownInputs["connection"]> = i.connection ?? {};
      const files = decodePayload(String(i.stdin ?? "")) ?? [];
      const fileText = files.map((f) => `${f.path} ${f.mode}${f.secret ? " secret" : ""}`).join(", ");
      // The command provider always keeps the connection secret; only other secret inputs are news.
      const secret = res.secretPaths.filter((p) => p !== "connection" && p !== "connection.privateKey");
      return [
        `${c.user}@${c.host}:${c.port} hostKey ${c.hostKey ? `pinned (${short(String(c.hostKey), 28)})` : "NOT PINNED"}`,
        files.length ? `files: ${fileText}` : `runs: ${short(String(i.create ?? "").split("\n")[0])}`,
        secret.length ? `secret inputs: ${secret.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("\n      ");
    }
    default:
      return "";
  }
}

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: STACK_FLAGS, booleans: ["json"] });
  const file = stackFileFromFlags(flags);
  printWarnings(loadStack(file)); // every config problem, before anything runs
  const result = await previewStackFile(file);
  if (flags["json"]) {
    const safe = result.resources.map((r) => ({ ...r, inputs: redactSecrets(r.inputs, r.secretPaths), outputs: redactSecrets(r.outputs, r.secretPaths) }));
    process.stdout.write(JSON.stringify({ stack: result.stack, resources: safe, notes: result.notes }, null, 2) + "\n");
    return 0;
  }
  const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
  const children = new Map<string, RecordedResource[]>();
  const roots: RecordedResource[] = [];
  for (const r of result.resources) {
    const parent = r.parent && byUrn.has(r.parent) ? r.parent : undefined;
    if (parent) children.set(parent, [...(children.get(parent) ?? []), r]);
    else roots.push(r);
  }
  process.stdout.write(`stack ${result.stack}: ${roots.length} gateway(s), ${result.resources.length} resources to create\n`);
  const print = (r: RecordedResource, depth: number) => {
    const pad = "  ".repeat(depth);
    process.stdout.write(`${pad}+ ${r.type}  ${r.name}\n`);
    const detail = describe(r);
    if (detail) process.stdout.write(`${pad}    ${detail.replace(/\n/g, `\n${pad}`)}\n`);
    for (const c of children.get(r.urn) ?? []) print(c, depth + 1);
  };
  for (const r of roots) print(r, 0);
  for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
  return 0;
}

/** A stand-in for a secret value naming the secret keys it holds (a payload's files are read for them). */
function redactedValue(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  const files = typeof value === "string" ? decodePayload(value) : undefined;
  const keys = secretKeysIn([text, ...(files ?? []).map((f) => f.content)].join("\n"));
  return redactedSecret(keys.join(", ") || "value");
}

/**
 * Inputs or outputs with every secret replaced by `redactedValue`: the values at the secret input paths, and any
 * value still wrapped as a secret (the mocks' outputs keep the wire format's wrappers).
 */
function redactSecrets(values: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const walk = (value: unknown, at: string): unknown => {
    if (value === null || typeof value !== "object") return paths.includes(at) ? redactedValue(value) : value;
    const obj = value as Record<string, unknown>;
    if (obj[rpc.specialSigKey] === rpc.specialSecretSig) return redactedValue(obj.value);
    if (paths.includes(at)) return redactedValue(value);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${at}[${i}]`));
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, walk(v, at ? `${at}.${k}` : k)]));
  };
  return walk(values, "") as Record<string, unknown>;
}
