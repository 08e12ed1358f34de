import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEV_TOKEN_USAGE, parseDevTokenArgs } from './dev-token-args';
import { mintDevToken } from './mint-dev-token';

/**
 * `npm run token -- --role auditor --tenant demo`: prints a development token signed with the
 * key `npm start` keeps in `$DATA_DIR/dev-jwt-secret` (or with JWT_SECRET when set). Useless
 * against a service that verifies tokens with an identity provider's JWKS.
 */
async function main(): Promise<void> {
  const parsed = parseDevTokenArgs(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(`${parsed.error}\n${DEV_TOKEN_USAGE}`);
    process.exit(2);
  }
  const keyFile = resolve(process.env.DATA_DIR ?? './data', 'dev-jwt-secret');
  const secret =
    process.env.JWT_SECRET ??
    (await readFile(keyFile, 'utf8').then(
      (text) => text.trim(),
      () => '',
    ));
  if (!secret) {
    console.error(`no development key in ${keyFile}: run npm start once, or set JWT_SECRET`);
    process.exit(2);
  }
  const { tenant, roles, expiresIn } = parsed.request;
  console.log(
    await mintDevToken(secret, { tenant, roles, expiresIn, subject: `dev-${roles.join('-')}` }),
  );
}

void main();
