import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../src/domain/errors.js';
import { commitHash, isValidRefName, newRefName, parseRefExpression } from '../../src/domain/refs.js';
import { isValidKey } from '../../src/domain/content.js';
import { matchesAny } from '../../src/domain/globs.js';

const H = 'a'.repeat(64);

describe('ref names, hashes and ref expressions', () => {
  it('accepts Nessie-style names and rejects the rest', () => {
    for (const ok of ['main', 'dev', 'feature/x-1', 'runs/wap/123', 'v1.0', 'a_b']) expect(isValidRefName(ok), ok).toBe(true);
    for (const bad of ['', '1abc', '/main', 'main/', 'a..b', 'a//b', 'has space', 'x'.repeat(256), 'main@', 'a~1', 'é'])
      expect(isValidRefName(bad), bad).toBe(false);
  });

  it("refuses the names Nessie reserves for new references", () => {
    for (const bad of ['HEAD', 'head', 'Detached', 'deadbeef', 'DeadBeef00', 'a'.repeat(64)]) expect(() => newRefName(bad), bad).toThrow(/is reserved/);
    for (const ok of ['heads', 'HEAD2', 'deadbee', 'deadbeefx', 'a'.repeat(65), 'dev/HEAD']) expect(newRefName(ok)).toBe(ok);
  });

  it('parses every expression form', () => {
    expect(parseRefExpression('main')).toEqual({ name: 'main' });
    expect(parseRefExpression(`main@${H}`)).toEqual({ name: 'main', hash: H });
    expect(parseRefExpression(`@${H.toUpperCase()}`)).toEqual({ hash: H });
    expect(parseRefExpression('main~3')).toEqual({ name: 'main', ancestor: 3 });
    expect(parseRefExpression('main*2026-01-02T03:04:05Z')).toEqual({ name: 'main', asOf: new Date('2026-01-02T03:04:05Z') });
    expect(parseRefExpression('main*1700000000000')).toEqual({ name: 'main', asOf: new Date(1700000000000) });
    expect(parseRefExpression(`dev@${H}~2`)).toEqual({ name: 'dev', hash: H, ancestor: 2 });
  });

  it('rejects bad expressions with InvalidInput', () => {
    for (const bad of ['', '@', 'main@xyz', 'main*yesterday', 'main*', 'main~', 'main~-1', '~1', 'a@b@c', 'x'.repeat(600), '../x'])
      expect(() => parseRefExpression(bad), bad).toThrow(InvalidInput);
    expect(() => commitHash('nothex')).toThrow(InvalidInput);
  });

  it('validates dotted keys and protected-branch globs', () => {
    expect(isValidKey('raw.entries')).toBe(true);
    for (const bad of ['', 'raw..x', '.raw', 'raw.', '1raw', 'raw/../etc', 'a b', "x'; drop"]) expect(isValidKey(bad), bad).toBe(false);
    expect(matchesAny('main', ['main'])).toBe(true);
    expect(matchesAny('release/1', ['release/*'])).toBe(true);
    expect(matchesAny('release/1/x', ['release/*'])).toBe(false);
    expect(matchesAny('release/1/x', ['release/**'])).toBe(true);
    expect(matchesAny('mainline', ['main'])).toBe(false);
  });
});
