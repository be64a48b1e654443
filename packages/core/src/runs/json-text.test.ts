import { describe, expect, it } from 'vitest';
import { JsonText } from './json-text.js';

describe('JsonText', () => {
  it('takes text only, said where it is made (a number failed deep in a run as `charCodeAt is not a function`)', () => {
    expect(() => new JsonText(5 as never)).toThrow('JsonText takes JSON text, a string, not a number');
    expect(() => new JsonText(null as never)).toThrow('JsonText takes JSON text, a string, not null');
    expect(new JsonText('{"a":1}').value).toEqual({ a: 1 });
  });
});
