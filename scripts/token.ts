/**
 * Signs an HS256 token for the gateway with AUTH_JWT_SECRET (read from the environment or .env):
 *   npm run -s token -- --sub alice --role engineer [--role viewer] [--ttl 3600]
 * AUTH_ISSUER / AUTH_AUDIENCE are added as `iss` / `aud` when set. Prints the token alone.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { ROLES } from '../src/auth/roles.js';

if (fs.existsSync('.env')) process.loadEnvFile('.env');

const USAGE = `usage: npm run -s token -- [--sub <subject>] [--role <role>]... [--ttl <seconds>]
  --sub   the token's subject (default anonymous-cli)
  --role  ${ROLES.join(', ')}; repeatable (default viewer)
  --ttl   seconds until it expires (default 3600)
Signs with AUTH_JWT_SECRET; adds iss / aud from AUTH_ISSUER / AUTH_AUDIENCE when set.`;

/** The options; an unknown option or a missing value says which, and how to call it (no stack trace). */
function options() {
  try {
    return parseArgs({
      options: {
        sub: { type: 'string', default: 'anonymous-cli' },
        role: { type: 'string', multiple: true },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const values = options();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const secret = process.env.AUTH_JWT_SECRET;
if (!secret || secret.length < 32) {
  console.error('set AUTH_JWT_SECRET (at least 32 characters) in the environment or .env');
  process.exit(2);
}
const roles = values.role ?? ['viewer'];
const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
if (unknown.length > 0) {
  console.error(`unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds');
  process.exit(2);
}

const now = Math.floor(Date.now() / 1000);
const jwt = new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(values.sub!).setIssuedAt(now).setExpirationTime(now + ttl);
if (process.env.AUTH_ISSUER) jwt.setIssuer(process.env.AUTH_ISSUER);
const audience = process.env.AUTH_AUDIENCE?.split(',')[0]?.trim();
if (audience) jwt.setAudience(audience);
console.log(await jwt.sign(new TextEncoder().encode(secret)));
