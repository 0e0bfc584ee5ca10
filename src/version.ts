/** This receptionist's version (`receptionist --version`; also what `bin/` prints without loading the CLI). */
export const VERSION = '0.1.0';
