import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'models',
      'bench/out',
      'functions/worker/dist',
      'functions/lambda/dist',
      '**/.wrangler',
      'public/build',
      'test/.cache',
    ],
  },
  js.configs.recommended,
  {
    // CommonJS tool configuration (dependency-cruiser reads .cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The shared core runs in Node, Workers and browsers: it must not import a runtime.
    files: ['src/core/**/*.ts'],
    // Tests beside core code may use Node (fs, sharp) to build references; the code under test may not.
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/core is runtime-free: inject Node capabilities instead.' },
            {
              group: ['sharp', 'onnxruntime-*', 'hono', 'hono/*', '@hono/*'],
              allowTypeImports: true,
              message: 'src/core must not import runtime libraries (type-only imports are fine).',
            },
          ],
        },
      ],
    },
  },
);
