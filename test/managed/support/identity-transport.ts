// A test-only transport that drives managed mode through the Transport interface without any
// obfuscation: the client sends its `token` arg on a line, the server checks it against its
// `token` option and publishes that token in SMETHOD ARGS. Bad or missing tokens are the
// "bad bridge line" and "bad server option" cases.
import type { Duplex } from 'node:stream';
import { HandshakeError, InvalidArgsError } from '../../../src/errors.js';
import { ByteReader } from '../../../src/net/reader.js';
import type {
  ClientFactory,
  PtArgs,
  ServerFactory,
  Transport,
} from '../../../src/transports/types.js';

function checkToken(token: string | undefined, where: string): string {
  if (token === undefined) throw new InvalidArgsError(`missing token= in the ${where}`);
  if (!/^[a-z0-9]{1,32}$/.test(token))
    throw new InvalidArgsError(
      `token ${JSON.stringify(token)} in the ${where} is not lowercase alphanumeric`,
    );
  return token;
}

class IdentityClient implements ClientFactory<string> {
  readonly transportName = 'identity';
  parseArgs(args: PtArgs): string {
    return checkToken(args.get('token')?.[0], 'Bridge line');
  }
  wrap(socket: Duplex, token: string): Promise<Duplex> {
    socket.write(`${token}\n`);
    return Promise.resolve(socket);
  }
}

class IdentityServer implements ServerFactory {
  readonly transportName = 'identity';
  readonly clientArgs: PtArgs;
  readonly #token: string;
  constructor(token: string) {
    this.#token = token;
    this.clientArgs = new Map([['token', [token]]]);
  }
  async accept(socket: Duplex, opts: { signal?: AbortSignal } = {}): Promise<Duplex> {
    const reader = new ByteReader(socket, 'ERR_HANDSHAKE_INVALID', 64);
    try {
      const line = await reader.read(
        (b) => {
          const nl = b.indexOf(10);
          return nl < 0
            ? null
            : { value: Buffer.from(b.subarray(0, nl)).toString(), consumed: nl + 1 };
        },
        {
          what: 'the identity token',
          signal: AbortSignal.any([
            AbortSignal.timeout(5000),
            ...(opts.signal ? [opts.signal] : []),
          ]),
        },
      );
      if (line !== this.#token)
        throw new HandshakeError('ERR_HANDSHAKE_AUTH', 'wrong identity token');
      reader.release();
      return socket;
    } catch (e) {
      reader.release();
      socket.destroy();
      throw e;
    }
  }
}

export const identityTransport: Transport = {
  name: 'identity',
  createClient: () => new IdentityClient(),
  createServer: (opts) => {
    if (opts.options?.has('fail') === true) {
      return Promise.reject(new InvalidArgsError('identity: the "fail" option is set'));
    }
    try {
      return Promise.resolve(
        new IdentityServer(
          checkToken(opts.options?.get('token')?.[0] ?? 'secret', 'server options'),
        ),
      );
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  },
};
