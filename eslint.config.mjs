// npm run lint. typescript-eslint's recommended rules everywhere; Pulumi's rules (an Output inside a template
// literal is a bug: it prints a warning, never the value) where Pulumi programs are written, with type information.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

const node = { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly", console: "readonly" };

export default tseslint.config(
  { ignores: ["dist/", "out/", ".lab/", "node_modules/", "**/*.generated.ts"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // CommonJS is the module format here: a lazy require (a command loaded on use, a program given by path) is fine.
      "@typescript-eslint/no-require-imports": "off",
      // Validating names and quoting means matching control characters on purpose.
      "no-control-regex": "off",
    },
  },
  // Tests and benchmarks feed raw JSON and deliberately malformed input.
  { files: ["test/**/*.ts", "bench/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: node } },
  {
    files: ["components/**/*.ts", "stacks/**/*.ts", "test/package/**/*.ts"],
    plugins: { "@pulumi": pulumi },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
    },
  },
);
