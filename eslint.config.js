import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Boundaries: a service folder holds what runs in production. Services reach each other only
// through package names (runtime entry or `testing`); runtime code never loads bench/ or test support.
const SERVICES = '(analytics-api|console|detector-worker|gateway|ingest-worker|key-service|notifier|traffic-sim)';
const crossService = {
  regex: '^(\\.\\./){2,}(services/)?[\\w-]+/src(/|$)',
  message:
    "Services never import each other's src by relative path: use the package name (@keywatch/<service> or @keywatch/<service>/testing).",
};
const toolingOnly = [
  {
    group: [
      '@keywatch/bench',
      '@keywatch/bench/*',
      '@keywatch/testkit',
      '@keywatch/testkit/*',
      '@keywatch/e2e',
      '@keywatch/e2e/*',
      '@keywatch/console-screenshots',
      '@keywatch/console-screenshots/*',
    ],
    message: 'Runtime code never imports benchmarks or test support (only tests and testing.ts do).',
  },
  {
    regex: '^(\\.\\./)+(bench|test|tools|testkit|packages/testkit)(/|$)',
    message: 'Runtime code never imports benchmarks, tests or test support.',
  },
];
const runtimeIgnores = ['**/*.test.ts', '**/testing.ts'];
const boundaries = [
  { files: ['services/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [crossService] }] } },
  {
    files: ['services/*/src/**/*.ts'],
    ignores: runtimeIgnores,
    rules: { 'no-restricted-imports': ['error', { patterns: [crossService, ...toolingOnly] }] },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: [...runtimeIgnores, 'packages/testkit/**', 'packages/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: toolingOnly }] },
  },
  {
    // The CLI uses services' runtime entries (and `testing` in its tests), never their internals.
    files: ['packages/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^@keywatch/${SERVICES}/(?!testing$)`,
              message: "packages/cli may import a service's runtime entry or its testing entry, never its internals.",
            },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.keywatch/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      // Each file is checked with the nearest tsconfig.json (root, or services/console/web for the browser code).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Numbers print fine in messages and keys; other non-strings still need an explicit String().
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Arrow shorthand such as `(x) => log(x)` is idiomatic; nobody reads its value.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `async` is how fakes, kafkajs handlers and fastify hooks honour a Promise-returning interface (throws become rejections).
      '@typescript-eslint/require-await': 'off',
      // noUncheckedIndexedAccess types every `xs[i]` as possibly undefined; `xs[i % xs.length]!` after a bounds check is the idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Factories return closures, not classes: destructuring kafkajs payloads or our disposers loses no `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Passing a caught `unknown` on unchanged is the point of those rejections.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Plain JS config/scripts have no types to check against.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Packages are libraries: configuration is parsed in each service's main and passed down.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/testkit/**', 'packages/cli/**', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Packages never read process.env; take it as a parameter.' },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      // vitest's asymmetric matchers (expect.any, expect.stringMatching) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Tests delete fields by name to build malformed events.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  {
    files: ['packages/cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'infra/local/**/*.ts', 'scripts/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  ...boundaries,
);
