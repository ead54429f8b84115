import { channel } from 'node:diagnostics_channel';

/**
 * Observability without coupling: transports and the network layer publish events on these
 * channels; the CLI's status line, the Prometheus metrics and the benches subscribe. Publishing
 * to a channel without subscribers costs almost nothing, and the library imports no consumer.
 */
export const channels = {
  /** { transport, role: 'client' | 'server', ok: boolean, code?: string, ms: number } */
  handshake: channel('steppe:handshake'),
  /** { transport, role, bytesIn, bytesOut, ms, error?: string } when a relayed connection ends */
  connectionClosed: channel('steppe:connection:closed'),
  /** { transport, role } when a relayed connection opens */
  connectionOpened: channel('steppe:connection:opened'),
} as const;

export interface HandshakeEvent {
  transport: string;
  role: 'client' | 'server';
  ok: boolean;
  code?: string;
  ms: number;
  /** Which handshake, for transports that have several (ScrambleSuit: 'uniformdh' | 'ticket'). */
  kind?: string;
}

export interface ConnectionOpenedEvent {
  transport: string;
  role: 'client' | 'server';
}

export interface ConnectionClosedEvent extends ConnectionOpenedEvent {
  bytesIn: number;
  bytesOut: number;
  ms: number;
  error?: string;
}

/** Publishes a handshake event; `startedMs` is the performance.now() of the handshake's start. */
export function publishHandshake(
  transport: string,
  role: 'client' | 'server',
  ok: boolean,
  startedMs: number,
  code?: string,
): void {
  if (!channels.handshake.hasSubscribers) return;
  const ev: HandshakeEvent = { transport, role, ok, ms: performance.now() - startedMs };
  if (code !== undefined) ev.code = code;
  channels.handshake.publish(ev);
}

/** Publishes a connectionOpened event (free when nobody subscribes). */
export function publishConnectionOpened(transport: string, role: 'client' | 'server'): void {
  if (!channels.connectionOpened.hasSubscribers) return;
  const ev: ConnectionOpenedEvent = { transport, role };
  channels.connectionOpened.publish(ev);
}

/**
 * Publishes a connectionClosed event. `bytesIn` is what came in from the transport's peer,
 * `bytesOut` what went out to it; `startedMs` is the Date.now() of the connection's start.
 */
export function publishConnectionClosed(
  transport: string,
  role: 'client' | 'server',
  startedMs: number,
  bytesIn: number,
  bytesOut: number,
  error?: unknown,
): void {
  if (!channels.connectionClosed.hasSubscribers) return;
  const ev: ConnectionClosedEvent = {
    transport,
    role,
    bytesIn,
    bytesOut,
    ms: Date.now() - startedMs,
  };
  if (error !== undefined && error !== null) {
    ev.error =
      error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  }
  channels.connectionClosed.publish(ev);
}
