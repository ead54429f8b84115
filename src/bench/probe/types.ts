/** Shapes shared by the probe set, the runner and the verdict (censors.md §3.5). */

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * raw: write `payload` on a fresh TCP connection and watch what comes back and how it ends.
 * tor: a TLS handshake with a Tor-like SNI, then a VERSIONS cell (T2).
 * cover: a TLS handshake with the cover SNI, then GET / (is there a real web server?).
 * auth: a complete client handshake with the secret a client has (O4k).
 */
export type ProbeKind = 'raw' | 'tor' | 'cover' | 'auth';

export interface ProbeSpec {
  /** E0, R149, R1 (replay), T1, T2, H1, S1, STUN, AXFR, MODBUS, S7, O2, O3, O4x, O4k, Bs:N, ... */
  readonly id: string;
  /** The row of the §3.5 table it belongs to: E0, Rn, Rx, T1, T2, H1, S1, O2, O3, O4x, O4k, Bs. */
  readonly group: string;
  readonly kind: ProbeKind;
  readonly payload?: Uint8Array;
  /**
   * raw only: what the probe does once its payload is written. 'fin' half-closes (a prober that
   * sends garbage and then shuts down its side); 'rst' resets the connection, after which only
   * the server's own socket state can tell how it reacted. Absent: the probe just waits.
   */
  readonly then?: 'fin' | 'rst';
}

/** How a probe connection ended. */
export type ProbeOutcome = 'fin' | 'rst' | 'open' | 'refused' | 'error';

export interface ProbeResult {
  readonly id: string;
  readonly group: string;
  /** Bytes the probe wrote. */
  readonly sent: number;
  readonly outcome: ProbeOutcome;
  readonly bytesReceived: number;
  /** Milliseconds from connect to the first byte received. */
  readonly firstByteMs?: number;
  /** The first bytes received, hex (at most 64). */
  readonly responseHead: string;
  /** Milliseconds from connect to FIN/RST (absent when still open at the budget). */
  readonly closeMs?: number;
  /** Milliseconds from the end of the probe's write to FIN/RST. */
  readonly closeAfterWriteMs?: number;
  /** Protocol-level confirmation (T2: VERSIONS came back; O2/O3: the peer's handshake; O4k: ok; cover: HTTP over TLS). */
  readonly confirmed?: boolean;
  readonly detail?: string;
}
