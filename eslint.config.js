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

const localStore = {
  regex: '(^|/)store/local/',
  message: 'Only src/store/ knows the embedded store; go through the Store interfaces.',
};

/**
 * One config object per layer: `above` are the rooms it may not import from (a path `../<room>/` or
 * `../../<room>/`), neither by `import` nor by an inline `import('…')` type.
 */
function layers(rooms) {
  return rooms.map(({ files, above, ownsLocal }) => {
    const room = `(\\.\\./)+(${above.join('|')})/`;
    // esquery reads a regex between slashes: its own slashes escaped.
    const roomInSelector = room.replaceAll('/', '\\/');
    const message = `${files[0].split('/')[1]}/ is below ${above.join(', ')}: an import may not run back up the layers (CONTRIBUTING.md, Layers). Move the contract down to the room that owns it.`;
    return {
      files,
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ regex: `^${room}`, message }, ...(ownsLocal ? [] : [localStore])] },
        ],
        'no-restricted-syntax': [
          'error',
          ...ambient,
          { selector: `TSImportType[argument.literal.value=/^${roomInSelector}/]`, message },
        ],
      },
    };
  });
}

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
  // The layers (CONTRIBUTING.md): commands → server → notify, vapi, tunnel → domain → store, crypto → seams.
  // No import runs back up, inline `import('…')` types included.
  ...layers([
    { files: ['src/server/**/*.ts'], above: ['commands'] },
    // The studio's web server: what it needs of the commands is handed to it (StudioHost).
    { files: ['src/studio/**/*.ts'], above: ['commands'] },
    { files: ['src/notify/**/*.ts', 'src/vapi/**/*.ts', 'src/tunnel/**/*.ts'], above: ['commands', 'server'] },
    { files: ['src/domain/**/*.ts'], above: ['commands', 'server', 'notify', 'vapi', 'tunnel'] },
    {
      files: ['src/store/**/*.ts', 'src/crypto/**/*.ts'],
      above: ['commands', 'server', 'notify', 'vapi', 'tunnel', 'domain'],
      ownsLocal: true,
    },
  ]),
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
                '^(?!@commander-js/extra-typings$|\\.\\./shared/(command|flags|options|help)\\.js$|\\.\\./\\.\\./domain/config-keys\\.js$)',
              message:
                "A command's index.ts is a defineCommand() definition: import @commander-js/extra-typings (commander, typed) and ../shared/{command,flags,options,help}.js only; the run module loads on use.",
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
