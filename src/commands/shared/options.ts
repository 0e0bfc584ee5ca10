/** Commander argParser for a repeatable option: `--var a=1 --var b=2` → ['a=1', 'b=2']. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];
