import { scriptEffects } from "../shell/effects";

/**
 * Files a shell script writes whole: `cat > PATH <<'EOF'`, `cat <<EOF >PATH`, `tee PATH <<-EOF`,
 * `install -m 0600 /dev/stdin PATH <<EOF`, and copies of those within the script. This is how hand-written
 * configs are pushed by plain remote commands in other stacks, so policies must read them like stage2's payloads.
 */
export interface ScriptFile {
  readonly path: string;
  readonly content: string;
  /** The mode set by `chmod`/`install -m` in the same script, if any. */
  readonly mode?: string;
}

export function heredocFiles(script: string): ScriptFile[] {
  return scriptEffects(script).files.map((f) => ({ path: f.path, content: f.content, mode: f.mode }));
}
