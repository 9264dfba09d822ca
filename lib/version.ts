/** The product version, shown by `--version` of both executables. */
export const VERSION = "0.1.0";
