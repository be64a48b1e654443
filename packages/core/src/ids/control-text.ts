// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether text holds a control character (C0, DEL or C1), which a terminal acts on when it is printed. */
export const hasControlCharacter = (text: string): boolean => CONTROL.test(text);

/**
 * Text in double quotes as JSON writes it, with DEL and the C1 controls escaped too (JSON leaves
 * them as they are): said in a message, it cannot clear a screen or vanish.
 */
export const quotedText = (text: string): string => JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
