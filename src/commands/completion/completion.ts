import type { Command } from 'commander';
import { implement } from '../shared/command.js';
import type { CompletionFlags } from './index.js';
import type { Context } from '../shared/context.js';

/** One command of the program, as completion needs it. */
export interface CompletionNode {
  name: string;
  summary: string;
  /** Long flags, e.g. `--server-url`. */
  flags: Array<{ flag: string; description: string }>;
  subcommands: CompletionNode[];
}

/** The program's commands, subcommands and flags (global flags on the root). */
export function commandTree(program: Command): CompletionNode {
  const node = (c: Command): CompletionNode => ({
    name: c.name(),
    summary: c.description(),
    flags: c.options.flatMap((o) => (o.long ? [{ flag: o.long, description: o.description }] : [])),
    subcommands: c.commands.filter((s) => s.name() !== 'help').map(node),
  });
  return node(program);
}

const words = (xs: string[]) => xs.join(' ');

function bash(root: CompletionNode): string {
  const global = words(root.flags.filter((f) => f.flag !== '--version').map((f) => f.flag));
  const cases = root.subcommands
    .map((c) => {
      if (!c.subcommands.length) return `    ${c.name}) opts="${words(c.flags.map((f) => f.flag))} ${global}" ;;`;
      const inner = c.subcommands
        .map((s) => `        ${s.name}) opts="${words(s.flags.map((f) => f.flag))} ${global}" ;;`)
        .join('\n');
      return `    ${c.name})\n      if [ "$COMP_CWORD" -eq 2 ]; then opts="${words(c.subcommands.map((s) => s.name))}"; else\n      case "\${COMP_WORDS[2]}" in\n${inner}\n      esac; fi ;;`;
    })
    .join('\n');
  return `# receptionist completion for bash: source this file (receptionist completion bash)
_receptionist() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    opts="${words(root.subcommands.map((c) => c.name))} ${global} --help --version"
  else
    case "\${COMP_WORDS[1]}" in
${cases}
    esac
  fi
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -o default -F _receptionist receptionist
`;
}

function fish(root: CompletionNode): string {
  const q = (s: string) => `'${s.replace(/'/g, "\\'")}'`;
  const lines = ['# receptionist completion for fish (receptionist completion fish)', 'complete -c receptionist -f'];
  for (const f of root.flags) lines.push(`complete -c receptionist -l ${f.flag.slice(2)} -d ${q(f.description)}`);
  for (const c of root.subcommands) {
    lines.push(`complete -c receptionist -n __fish_use_subcommand -a ${c.name} -d ${q(c.summary)}`);
    for (const f of c.flags)
      lines.push(
        `complete -c receptionist -n '__fish_seen_subcommand_from ${c.name}' -l ${f.flag.slice(2)} -d ${q(f.description)}`,
      );
    for (const s of c.subcommands) {
      lines.push(`complete -c receptionist -n '__fish_seen_subcommand_from ${c.name}' -a ${s.name} -d ${q(s.summary)}`);
      for (const f of s.flags)
        lines.push(
          `complete -c receptionist -n '__fish_seen_subcommand_from ${s.name}' -l ${f.flag.slice(2)} -d ${q(f.description)}`,
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for `shell`; zsh uses the bash one through bashcompinit. */
export function completionScript(shell: 'bash' | 'zsh' | 'fish', root: CompletionNode): string {
  if (shell === 'fish') return fish(root);
  if (shell === 'zsh')
    return `# receptionist completion for zsh (receptionist completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash(root)}`;
  return bash(root);
}

type Shell = 'bash' | 'zsh' | 'fish';

/** `completion <shell>` (commander checks the choices). */
export const parseCompletion = (flags: CompletionFlags): Shell => flags.shell;

export const completion = implement({
  parse: parseCompletion,
  run: async (shell: Shell, ctx: Context) => completionScript(shell, commandTree(ctx.program)),
  render: (script: string, _shell, { io }) => io.write(script),
});
