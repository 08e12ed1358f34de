import { hashPassword } from './authentication/password-users';

/**
 * Prints the stored form of a password for a BROKER_USERS_FILE entry. The password comes on
 * stdin, not as an argument, so it does not land in the shell history or the process list:
 *   read -rs PW; printf %s "$PW" | npm run --silent broker:hash-password
 */
async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!password) {
    console.error('broker:hash-password: give the password on stdin');
    process.exit(2);
  }
  console.log(await hashPassword(password));
}

void main();
