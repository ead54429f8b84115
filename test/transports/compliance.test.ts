// Every transport steppe ships, through the one compliance suite (compliance.ts). A new
// transport gets all of it by adding one line here.
import { complianceSuite } from './compliance.js';
import {
  obfs4,
  obfs3,
  obfs2,
  scramblesuit,
  webtunnel,
  dummy,
  b64,
  ptArgs,
  argValue,
} from '../../src/index.js';
import { formatHostPort } from '../../src/net/address.js';

complianceSuite({
  name: 'obfs4',
  garbage: 'silent',
  createServer: (stateDir, ms) =>
    obfs4.createServer({ stateDir, iatMode: 0, handshakeTimeoutMs: ms, closeDelayMs: 0 }),
  createClient: () => obfs4.transport.createClient(),
});
complianceSuite({
  name: 'obfs3',
  garbage: 'answers',
  createServer: (stateDir, ms) => obfs3.createServer({ stateDir, handshakeTimeoutMs: ms }),
  createClient: () => obfs3.transport.createClient(),
});
complianceSuite({
  name: 'obfs2',
  garbage: 'answers',
  createServer: (stateDir, ms) => obfs2.createServer({ stateDir, handshakeTimeoutMs: ms }),
  createClient: () => obfs2.transport.createClient(),
});
complianceSuite({
  name: 'scramblesuit',
  garbage: 'silent',
  createServer: (stateDir, ms) =>
    scramblesuit.createServer({ stateDir, handshakeTimeoutMs: ms, closeDelayMs: 0 }),
  createClient: () => scramblesuit.transport.createClient(),
});
complianceSuite({
  name: 'webtunnel',
  garbage: 'answers',
  createServer: (stateDir, ms) =>
    webtunnel.createServer({
      stateDir,
      url: 'http://bridge.steppe.test/compliance',
      headerTimeoutMs: ms,
    }),
  createClient: () => webtunnel.transport.createClient(),
  clientArgs: (f, at) =>
    ptArgs({ url: argValue(f.clientArgs, 'url') ?? '', addr: formatHostPort(at) }),
});
complianceSuite({
  name: 'dummy',
  garbage: 'data',
  createServer: () => dummy.createServer(),
  createClient: () => dummy.transport.createClient(),
});
complianceSuite({
  name: 'b64',
  garbage: 'data',
  createServer: () => b64.createServer(),
  createClient: () => b64.transport.createClient(),
});
