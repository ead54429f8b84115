// censors.md §6.4, the Tor-TLS emulator rows and the control rows (collateral damage).
import { cellTests } from './cells.js';

cellTests(
  [
    'tor-tls12',
    'tor-tls13',
    'https12',
    'https13',
    'https13-kz-sni',
    'https13-kz-sni-trusting',
    'http',
    'ssh',
    'random200',
  ],
  5,
);
