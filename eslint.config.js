// Type-checked lint for the whole tree. Import boundaries follow DESIGN.md: crypto imports
// nothing in-project; pt, socks, extorport, net and log never import a transport; stdout is
// written only by pt/ (Tor's IPC channel) and the CLI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noTransports = {
  group: ['**/transports/**'],
  message: 'pt/, socks/, extorport/, net/ and log/ must not depend on a transport (DESIGN.md).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'eslint.config.js', 'scripts/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'no-console': 'error',
    },
  },
  {
    // Plain JavaScript for users to copy: linted, but without type information.
    files: ['examples/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: 'readonly', AbortSignal: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' },
  },
  {
    files: ['src/crypto/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', 'node:net', 'node:stream'],
              message: 'crypto/ is pure: no sockets, no project imports.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/pt/**/*.ts',
      'src/socks/**/*.ts',
      'src/extorport/**/*.ts',
      'src/net/**/*.ts',
      'src/log/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [noTransports] }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/pt/**', 'src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'stdout',
          message: 'stdout belongs to pt/ (the managed-proxy channel) and cli/.',
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'scripts/**', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
