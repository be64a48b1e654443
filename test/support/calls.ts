/**
 * A deterministic mix of identify and track calls for n users: several traits per user, out-of-
 * order timestamps, repeated message ids and one type conflict every 500 calls (a reject).
 */
export function sampleCalls(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const user = `u${i % Math.max(1, Math.floor(n / 4))}`;
    const ts = new Date(Date.UTC(2026, 10, 1, 0, 0, (i * 7919) % 100000)).toISOString();
    const messageId = i % 97 === 0 && i > 0 ? `msg-${i - 1}` : `msg-${i}`;
    const base = { messageId, userId: user, receivedAt: '2026-11-23T10:00:00.000Z', timestamp: ts, context: { personas: { computation_key: `k${i % 5}` } } };
    if (i % 2 === 0) {
      lines.push(JSON.stringify({ ...base, type: 'identify', traits: { [`trait_${i % 7}`]: i % 500 === 0 ? 'not a number' : i, vip: i % 3 === 0, plan: `p${i % 4}` } }));
    } else {
      lines.push(JSON.stringify({ ...base, type: 'track', event: i % 3 ? 'Audience Entered' : 'Trait Computed', properties: { audience_key: 'vip', vip: true, score: i / 10 } }));
    }
  }
  return lines.join('\n') + '\n';
}
