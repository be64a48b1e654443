/** A Segment-spec identify or track call, as Stowage logs it (receivedAt and messageId always set). */
export interface Call {
  type: 'identify' | 'track';
  messageId: string;
  userId?: string | null;
  anonymousId?: string | null;
  event?: string;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
  timestamp?: string;
  sentAt?: string;
  originalTimestamp?: string;
  receivedAt: string;
}
