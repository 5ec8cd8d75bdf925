/**
 * Reads a JSONL body line by line, parsing each as it arrives: a job's file is never held
 * whole in memory. With `gzip`, the body is inflated on the way with the standard
 * `DecompressionStream` (browsers; Node ≥ 18, where it is zlib underneath), so the main
 * entry stays free of Node-only imports.
 */
export async function* readJsonLines(body: ReadableStream<Uint8Array>, gzip: boolean): AsyncGenerator<unknown> {
  // The DOM typings type its writable side as BufferSource, Node's as any: one cast for both.
  const inflate = () =>
    new DecompressionStream('gzip') as unknown as {
      readable: ReadableStream<Uint8Array>;
      writable: WritableStream<Uint8Array>;
    };
  const bytes = gzip ? body.pipeThrough(inflate()) : body;
  const reader = bytes.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let buffer = '';
  let lineNumber = 0;
  const parse = (line: string): unknown => {
    lineNumber++;
    try {
      return JSON.parse(line);
    } catch (cause) {
      throw new SyntaxError(`inbatch: line ${lineNumber} of the job's results is not JSON.`, { cause });
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.trim() !== '') yield parse(line);
      }
      if (done) {
        if (buffer.trim() !== '') yield parse(buffer);
        return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
