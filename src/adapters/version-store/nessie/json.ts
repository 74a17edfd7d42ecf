/**
 * JSON for Nessie with exact 64-bit Iceberg snapshot ids.
 *
 * Nessie writes `snapshotId` as a JSON number up to 2^63-1; JSON.parse would round anything above
 * 2^53. The domain keeps snapshot ids as decimal strings, so:
 *  - parse: every `"snapshotId": <integer>` member is rewritten to `"snapshotId": "<integer>"` in the
 *    text before JSON.parse;
 *  - stringify: every `"snapshotId": "<integer>"` member produced by JSON.stringify is rewritten back
 *    to a bare number.
 *
 * Why a regular expression is exact here: in valid JSON a `"` inside a string literal is always
 * escaped (`\"`), so the 12 characters `"snapshotId"` can only be a complete string token; followed
 * by optional whitespace and `:` it can only be an object member name. A string value that merely
 * contains the text (`"{\"snapshotId\":1}"`) never matches, because its quotes are escaped.
 * (Node 20's JSON.parse has no access to a number's source text, so a reviver cannot do this.)
 */

const BIG_FIELDS = ['snapshotId'] as const;
const FIELD_ALT = BIG_FIELDS.join('|');
const PARSE_RE = new RegExp(`("(?:${FIELD_ALT})"\\s*:\\s*)(-?\\d+)(?=\\s*[,}\\]])`, 'g');
const STRINGIFY_RE = new RegExp(`("(?:${FIELD_ALT})":)"(-?\\d+)"`, 'g');
const INTEGER = /^-?\d{1,19}$/;

/** JSON.parse, keeping `snapshotId` numbers as exact decimal strings. */
export function parseNessieJson(text: string): unknown {
  return JSON.parse(text.replace(PARSE_RE, '$1"$2"'));
}

/** JSON.stringify, writing `snapshotId` decimal strings as raw JSON numbers. */
export function stringifyNessieJson(value: unknown): string {
  const text = JSON.stringify(value, (key, v: unknown) => {
    if ((BIG_FIELDS as readonly string[]).includes(key)) {
      const s = typeof v === 'bigint' ? v.toString() : typeof v === 'number' ? String(v) : v;
      if (typeof s !== 'string' || !INTEGER.test(s) || !fitsInt64(s)) {
        throw new TypeError(`${key} must be a 64-bit integer, got ${JSON.stringify(String(s))}`);
      }
      return s;
    }
    return v;
  });
  return text.replace(STRINGIFY_RE, '$1$2');
}

function fitsInt64(s: string): boolean {
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}
