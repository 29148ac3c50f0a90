import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Boundaries: a service folder holds what runs in production. Services reach each other only
// through package names (runtime entry or `testing`); runtime code never loads bench/ or test support.
const SERVICES = '(analytics-api|console|detector-worker|gateway|ingest-worker|key-service|notifier|traffic-sim)';
const crossService = {
  regex: '^(\\.\\./){2,}(services/)?[\\w-]+/src(/|$)',
  message: "Services never import each other's src by relative path: use the package name (@keywatch/<service> or @keywatch/<service>/testing).",
};
const toolingOnly = [
  {
    group: ['@keywatch/bench', '@keywatch/bench/*', '@keywatch/testkit', '@keywatch/testkit/*', '@keywatch/e2e', '@keywatch/e2e/*', '@keywatch/console-screenshots', '@keywatch/console-screenshots/*'],
    message: 'Runtime code never imports benchmarks or test support (only tests and testing.ts do).',
  },
  { regex: '^(\\.\\./)+(bench|test|tools|testkit|packages/testkit)(/|$)', message: 'Runtime code never imports benchmarks, tests or test support.' },
];
const runtimeIgnores = ['**/*.test.ts', '**/testing.ts'];
const boundaries = [
  { files: ['services/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [crossService] }] } },
  { files: ['services/*/src/**/*.ts'], ignores: runtimeIgnores, rules: { 'no-restricted-imports': ['error', { patterns: [crossService, ...toolingOnly] }] } },
  { files: ['packages/*/src/**/*.ts'], ignores: [...runtimeIgnores, 'packages/testkit/**', 'packages/cli/**'], rules: { 'no-restricted-imports': ['error', { patterns: toolingOnly }] } },
  {
    // The CLI uses services' runtime entries (and `testing` in its tests), never their internals.
    files: ['packages/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: `^@keywatch/${SERVICES}/(?!testing$)`, message: "packages/cli may import a service's runtime entry or its testing entry, never its internals." }] }],
    },
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.keywatch/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Packages are libraries: configuration is parsed in each service's main and passed down.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/testkit/**', 'packages/cli/**', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Packages never read process.env; take it as a parameter.' }],
    },
  },
  {
    files: ['packages/cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'infra/local/**/*.ts', 'scripts/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  ...boundaries,
);
