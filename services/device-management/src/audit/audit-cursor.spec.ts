import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';

describe('the audit cursor', () => {
  it('gives back the position it was made of, for the same order', () => {
    const cursor = encodeAuditCursor('newest', '741:1203');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeAuditCursor(cursor, 'newest')).toBe('741:1203');
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON of another shape', Buffer.from('[1,2]').toString('base64url')],
    [
      'another version',
      Buffer.from('{"v":2,"order":"newest","position":"1:1"}').toString('base64url'),
    ],
    ['no position', Buffer.from('{"v":1,"order":"newest"}').toString('base64url')],
    ['null', Buffer.from('null').toString('base64url')],
  ])('is refused as a 400 on `cursor` when it is %s', (_, cursor) => {
    expect(() => decodeAuditCursor(cursor, 'newest')).toThrow(
      expect.objectContaining({
        code: 'invalid_input',
        details: {
          fieldErrors: [{ path: 'cursor', message: 'cursor is not one this API returned' }],
        },
      }),
    );
  });

  it('is refused with the other order, which would page the wrong way', () => {
    expect(() => decodeAuditCursor(encodeAuditCursor('oldest', '1:1'), 'newest')).toThrow(
      'cursor belongs to order=oldest, not newest',
    );
  });
});
