/**
 * The error family for failures that come from a peer or the environment (as opposed to
 * programmer errors, which throw TypeError / RangeError). Every PtError has a stable `code`
 * that callers and tests match on, a `fatal` flag (true: the connection or process cannot go
 * on), and optionally the underlying `cause`.
 */

export type PtErrorCode =
  // arguments and configuration
  | 'ERR_INVALID_ARGS'
  | 'ERR_INVALID_STATE'
  | 'ERR_INVALID_CONFIG'
  | 'ERR_ENV'
  // handshake
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_HANDSHAKE_INVALID'
  | 'ERR_HANDSHAKE_REPLAY'
  | 'ERR_HANDSHAKE_AUTH'
  | 'ERR_HANDSHAKE_TOO_LONG'
  | 'ERR_HANDSHAKE_EOF'
  // TLS and HTTP around a tunnel (webtunnel)
  | 'ERR_TLS_CERT'
  | 'ERR_TLS_PIN'
  | 'ERR_HTTP_UPGRADE'
  // data phase
  | 'ERR_FRAME_INVALID'
  | 'ERR_FRAME_TAG'
  | 'ERR_NONCE_EXHAUSTED'
  | 'ERR_PACKET_INVALID'
  // protocols around the transport
  | 'ERR_SOCKS'
  | 'ERR_EXTORPORT'
  | 'ERR_PROXY'
  | 'ERR_CONNECT'
  | 'ERR_ABORTED'
  | 'ERR_CLOSED';

export interface PtErrorOptions {
  cause?: unknown;
  /** Defaults to true: most peer failures end the connection. */
  fatal?: boolean;
}

export class PtError extends Error {
  readonly code: PtErrorCode;
  readonly fatal: boolean;

  constructor(code: PtErrorCode, message: string, options: PtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fatal = options.fatal ?? true;
  }
}

/** Bad arguments from a user or peer: a bridge line, SOCKS args, server options. */
export class InvalidArgsError extends PtError {
  constructor(message: string, options?: PtErrorOptions) {
    super('ERR_INVALID_ARGS', message, options);
  }
}

/** A handshake that failed; `code` says how (timeout, invalid, replay, auth mismatch, ...). */
export class HandshakeError extends PtError {}

/** A data-phase decoding failure. Always fatal: the stream cannot be resynchronised. */
export class FramingError extends PtError {}

/** The operation was cancelled through an AbortSignal. */
export class AbortError extends PtError {
  constructor(message = 'the operation was aborted', options?: PtErrorOptions) {
    super('ERR_ABORTED', message, options);
  }
}

export function isPtError(e: unknown): e is PtError {
  return e instanceof PtError;
}
