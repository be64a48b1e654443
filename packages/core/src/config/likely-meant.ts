/**
 * The known word a user most likely meant by one that is not known: the same word in other case,
 * or the closest within a quarter of its length in edits (at least one). Undefined when none is
 * that close, so that a suggestion is never a guess.
 */
export function likelyMeant(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  return known
    .map((k) => ({ k, d: k.toLowerCase() === lower ? 0 : editDistance(k.toLowerCase(), lower) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(word.length / 4)))
    .sort((a, b) => a.d - b.d)[0]?.k;
}

/**
 * The edits (a character added, removed or changed, or two neighbours swapped: `evnets`) from one
 * word to the other (Levenshtein's distance, with Damerau's swaps, each swap counted once).
 */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, before[j - 2]! + 1);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length]!;
}
