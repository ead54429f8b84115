import assert from 'node:assert/strict';
import { docsText } from '../../cli/support/docs.js';

/** The README's nginx block, with the test's secret path and backend port. */
export async function readmeNginxLocation(secret: string, backendPort: number): Promise<string> {
  const docs = await docsText();
  const block = /```nginx\n(location = \/SECRET-PATH \{[^`]*\})\n```/.exec(docs)?.[1];
  assert.ok(block !== undefined, 'README.md has the nginx location block for webtunnel');
  return block
    .replace('/SECRET-PATH', secret)
    .replace('http://127.0.0.1:15000', `http://127.0.0.1:${backendPort}`);
}
