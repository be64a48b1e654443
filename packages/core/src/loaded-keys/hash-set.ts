/** Slots of a new set; it doubles whenever it is half full. */
const FIRST_SLOTS = 1 << 16;

/**
 * A set of 64-bit key hashes, in one typed array (8 bytes a slot, at most half of them used):
 * a JS Set of a million BigInts would take ~70 MB of heap and a BigInt made per look. The hashes
 * are evenly spread (`quickKeyHashes` mixes its words), so their low word is the slot, probed linearly.
 */
export class HashSet64 {
  /** Each slot's low and high words; 0, 0 is an empty slot (the hash 0 is kept aside). */
  private slots = new Uint32Array(FIRST_SLOTS * 2);
  private used = 0;
  private holdsZero = false;

  get size(): number {
    return this.used + (this.holdsZero ? 1 : 0);
  }

  /** Adds every hash, given as its low and high 32-bit words; whether none of them was there before (nor came twice among them). */
  addWords(words: Uint32Array): boolean {
    let fresh = true;
    for (let i = 0; i < words.length; i += 2) {
      if (!this.add(words[i]!, words[i + 1]!)) fresh = false;
    }
    return fresh;
  }

  /**
   * Adds every hash, as `addWords`; the positions (in hashes, not words) of those that were there
   * before this call. A hash that comes twice among `words` alone is not one of them.
   */
  addWordsTellingEarlier(words: Uint32Array): number[] {
    const earlier: number[] = [];
    for (let i = 0; i < words.length; i += 2) if (this.has(words[i]!, words[i + 1]!)) earlier.push(i / 2);
    this.addWords(words);
    return earlier;
  }

  private has(low: number, high: number): boolean {
    if (low === 0 && high === 0) return this.holdsZero;
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const l = slots[slot * 2]!;
      const h = slots[slot * 2 + 1]!;
      if (l === 0 && h === 0) return false;
      if (l === low && h === high) return true;
    }
  }

  private add(low: number, high: number): boolean {
    if (low === 0 && high === 0) {
      if (this.holdsZero) return false;
      this.holdsZero = true;
      return true;
    }
    if ((this.used + 1) * 2 > this.slots.length / 2) this.grow();
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const l = slots[slot * 2]!;
      const h = slots[slot * 2 + 1]!;
      if (l === 0 && h === 0) {
        slots[slot * 2] = low;
        slots[slot * 2 + 1] = high;
        this.used++;
        return true;
      }
      if (l === low && h === high) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i]!, old[i + 1]!);
  }
}
