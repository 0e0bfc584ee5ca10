// ESLint flat config: typescript-eslint's recommended rules, plus the layer rules of
// CONTRIBUTING.md, so the conventions hold without anyone having to remember them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const ambient = [
  {
    selector: "MemberExpression[object.name='process']",
    message: 'Read process.* only in src/deps.ts (createDeps) and src/io.ts; pass what you need through Deps.',
  },
  {
    selector: "MemberExpression[object.name='console']",
    message: 'Write through the IO seam (deps.io), never console.*.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.receptionist*/**', 'spec/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        Response: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/deps.ts', 'src/io.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ambient] },
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!shared/|\\.\\./)[\\w-]+/',
              message:
                'A command never imports another command: move what both need to src/commands/shared/ or src/domain/.',
            },
            {
              regex: '(^|/)store/local/',
              message: 'Only src/store/ knows the embedded store; go through the Store interfaces.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**', 'src/commands/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)store/local/',
              message: 'Only src/store/ knows the embedded store; go through the Store interfaces.',
            },
          ],
        },
      ],
    },
  },
  {
    // The domain knows no adapter: vapi/ and server/ depend on it, never the other way round.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(vapi|server|commands|tunnel)/',
              message: 'src/domain imports no adapter (vapi, server, commands, tunnel): pass what it needs in.',
            },
            {
              regex: '(^|/)store/local/',
              message: 'Only src/store/ knows the embedded store; go through the Store interfaces.',
            },
          ],
        },
      ],
    },
  },
  {
    // A command's index.ts is its definition only: `--help` must load nothing else (house style 4.14).
    files: ['src/commands/*/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!commander$|\\.\\./shared/(command|flags|options|help)\\.js$|\\.\\./\\.\\./domain/config-keys\\.js$)',
              message:
                "A command's index.ts is a defineCommand() definition: import commander and ../shared/{command,flags,options,help}.js only; the run module loads on use.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    // Tests read loose JSON and assert exact table spacing.
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-regex-spaces': 'off',
    },
  },
);
