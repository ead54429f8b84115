/** Reported by --version and in pt-spec `STATUS TYPE=version`. Keep in step with package.json. */
export const VERSION = '0.1.0';
export const IMPLEMENTATION = 'steppe';
