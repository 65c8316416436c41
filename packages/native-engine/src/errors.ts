import { SyfalaError } from '@syfala/proto';

/**
 * Why the native addon did not load. NOT_FOUND: no candidate file exists (not built: no compiler
 * at install, or SYFALA_NATIVE_ADDON names nothing). LOAD_FAILED: a file exists but did not load
 * (built for another Node or platform, a library it links missing, not an addon). The message
 * lists every candidate tried, each with its own error.
 */
export type NativeAddonErrorCode = 'NOT_FOUND' | 'LOAD_FAILED';

export class NativeAddonError extends SyfalaError<NativeAddonErrorCode> {}
