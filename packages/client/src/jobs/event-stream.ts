/** One Server-Sent Event: its type (`message` unless named), its data, and the stream's last event id. */
export interface ServerSentEvent {
  event: string;
  data: string;
  /** The last `id:` the stream set, as `Last-Event-ID` would send it on a reconnect. */
  lastEventId: string;
  /** The reconnection delay the server asked for with `retry:`, when it did. */
  retry: number | undefined;
}

/**
 * Reads a `text/event-stream` body into events, as the HTML standard's EventSource does
 * (§9.2.6 "Interpreting an event stream"): lines end in CRLF, LF or CR; a line starting
 * with `:` is a comment (the server's keep-alive); `data:` lines join with `\n`; a blank
 * line dispatches; an event without data is dropped. Written by hand rather than with
 * `EventSource`, which can't send `Authorization` nor be used in Node without a package.
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let lastEventId = '';
  let retry: number | undefined;
  // A CR at the end of a chunk may be the first half of a CRLF: wait for the next chunk.
  const takeLine = (final: boolean): string | undefined => {
    const end = buffer.search(/[\r\n]/);
    if (end === -1) return undefined;
    if (buffer[end] === '\r' && end === buffer.length - 1 && !final) return undefined;
    const line = buffer.slice(0, end);
    buffer = buffer.slice(buffer[end] === '\r' && buffer[end + 1] === '\n' ? end + 2 : end + 1);
    return line;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let line: string | undefined;
      while ((line = takeLine(done)) !== undefined) {
        if (line === '') {
          if (data.length > 0) {
            yield { event: event || 'message', data: data.join('\n'), lastEventId, retry };
          }
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) lastEventId = value;
        else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      }
      // A stream that ends mid-event drops that event (the standard does the same).
      if (done) return;
    }
  } finally {
    // Leaving early (an `end` event read, an abort) closes the connection.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
