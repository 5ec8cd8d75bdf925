/**
 * Refuses option names that are not known, so a typo in a limit (`maxOperation`,
 * `timeout`) can't leave it silently at its default. The error names the closest known
 * name when there is one. For every factory that takes an options object: `batch()`,
 * the job stores.
 *
 * @param what how the error names the options' owner, e.g. `batch()` or `createMemoryJobStore()`
 * @throws TypeError `inbatch: unknown option "maxOperation" of batch(); did you mean "maxOperations"?`
 *
 * @example
 * checkOptionNames('redisJobStore()', options, ['client', 'prefix']);
 */
export function checkOptionNames(what: string, options: object, knownNames: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (knownNames.includes(name)) continue;
    const closest = closestName(name, knownNames);
    const hint =
      closest !== undefined
        ? `did you mean "${closest}"?`
        : knownNames.length <= 8
          ? `known options: ${knownNames.map((known) => `"${known}"`).join(', ')}`
          : 'see the options table in the README';
    throw new TypeError(`inbatch: unknown option "${name}" of ${what}; ${hint}`);
  }
}

/** The known name a typo most likely meant: a close edit distance, or a prefix (`timeout` → `timeoutMs`). */
function closestName(name: string, knownNames: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of knownNames) {
    const candidate = known.toLowerCase();
    // A prefix counts as a bit more than one edit, so an exact one-edit match wins a tie.
    const asPrefix = candidate.startsWith(typed) && typed.length >= 3 ? 1.5 : Infinity;
    const distance = Math.min(asPrefix, editDistance(typed, candidate));
    if (distance < bestDistance) [best, bestDistance] = [known, distance];
  }
  const tolerated = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= tolerated ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] as number) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] as number;
}
