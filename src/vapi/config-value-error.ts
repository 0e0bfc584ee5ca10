// Apart from the config editor, so that the kernel's error table loads nothing heavy.

/** A rejected change: the message names the key and lists what is accepted. */
export class ConfigValueError extends Error {
  constructor(
    message: string,
    readonly accepted?: string[],
  ) {
    super(message);
    this.name = 'ConfigValueError';
  }
}
