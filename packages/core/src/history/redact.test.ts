import { describe, expect, it } from 'vitest';
import { redact } from './redact.js';

describe('redact', () => {
  it("takes a URL's password out, whatever its length", () => {
    expect(redact('Cannot connect to postgres://app:pw@db:5432/x', [])).toBe('Cannot connect to postgres://app:***@db:5432/x');
    expect(redact('redshift://a:Top%40Secret@h/db failed', [])).toBe('redshift://a:***@h/db failed');
  });

  it('takes the value of a password= pair out', () => {
    expect(redact('host=db user=app password=hunter2 dbname=x', [])).toBe('host=db user=app password=*** dbname=x');
    expect(redact('{"user":"app","password":"hunter2"}', [])).toBe('{"user":"app","password":"***"}');
  });

  it('takes a long secret out whole, where a password= pair holds it with spaces or punctuation', () => {
    // The pair's mask ended at the space, the comma or the & and left the rest of the secret.
    expect(redact('{"password":"correct horse battery"}', ['correct horse battery'])).toBe('{"password":"***"}');
    expect(redact("password='Tr0ub4dor&3xyz' host=db", ['Tr0ub4dor&3xyz'])).toBe("password='***' host=db");
    expect(redact('password=Secret,Value99 host=db', ['Secret,Value99'])).toBe('password=*** host=db');
    // Unknown to the settings, a quoted value is masked whole all the same.
    expect(redact(`{"password":"two words"} password='a b'`, [])).toBe(`{"password":"***"} password='***'`);
  });

  it('takes a long secret out wherever it appears', () => {
    expect(redact('role "s3cr3t-password" is odd; s3cr3t-password again', ['s3cr3t-password'])).toBe('role "***" is odd; *** again');
  });

  it("leaves a short secret's bare text alone: it is the message's own word or number, and taking it out would tell the password", () => {
    // A password `user` and one that is the port: the reviewer's garbled "for *** "md5***"" and "127.0.0.1:***/pwdb".
    expect(redact('password authentication failed for user "md5user"', ['user'])).toBe('password authentication failed for user "md5user"');
    expect(redact('Cannot connect to 127.0.0.1:5499/pwdb: ECONNREFUSED', ['5499'])).toBe('Cannot connect to 127.0.0.1:5499/pwdb: ECONNREFUSED');
    expect(redact('postgres://md5user:5499@127.0.0.1:5499/pwdb', ['5499'])).toBe('postgres://md5user:***@127.0.0.1:5499/pwdb');
  });
});
