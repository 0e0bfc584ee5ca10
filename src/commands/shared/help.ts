// No imports beyond types: command definitions use this for --help.

/** The "Examples:" block of a command's help, one command line each. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
