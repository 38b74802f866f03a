// The linter's rules (issue 20): the source is written for readers, the minifier does the golfing.
// `npm test` runs it, with `prettier --check` for the layout.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', '**/.wrangler/**', '**/.next/**'] },
  {
    files: ['**/*.{ts,mjs,js}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // `== null` (null or undefined) is the one loose comparison that reads better than its strict form.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-sequences': 'error',
    },
  },
  {
    // Files with one job, functions a reader can hold (house style: a file past ~250 lines has two jobs).
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 250 }],
      'max-lines-per-function': ['error', { max: 150 }],
    },
  },
)
