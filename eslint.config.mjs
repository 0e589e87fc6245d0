// The JS linter's one config (run by scripts/test.sh as `npx eslint`): the recommended rules
// over the page (browser and worker globals), the e2e tests and the scripts (Node, plus the
// browser globals their page.evaluate callbacks use).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'pkg/', 'pkg-gen/', 'pkg-threads/', 'node_modules/', 'target/', 'assets/'] },
  js.configs.recommended,
  {
    files: ['www/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.worker },
    },
  },
  {
    files: ['tests/e2e/**/*.{js,mjs}', 'scripts/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
  },
  {
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
];
