/** Where an answer writer puts a slot's bytes (see `AnswerWriter.slot`). */
export interface AnswerSink {
  /** Text whose characters are all below U+0100 (header sections, status lines), one byte each. */
  latin1(text: string): void;
  /** Any text, as UTF-8. */
  utf8(text: string): void;
  /** Bytes as they are (an answer's body). */
  bytes(bytes: Buffer): void;
}

// The buffers slots are written into: a few per large batch, not one per slot.
const BLOCK_BYTES = 64 * 1024;
// A body this large is handed on as it is rather than copied next to the slot's head.
const COPY_BELOW_BYTES = 4 * 1024;

// Text up to this long is copied by a loop rather than Buffer#write.
const SHORT_TEXT = 48;

const EMPTY = Buffer.alloc(0);

/**
 * Gathers an answer's bytes: the writer's text goes straight into a shared block (no
 * Buffer, array or string join per slot), large bodies join as they are. `take()` hands
 * on what has gathered as one Buffer, copying only when it spans several pieces.
 */
export class AnswerBuffer implements AnswerSink {
  #block: Buffer = EMPTY;
  /** Where the bytes not yet taken start in `#block`, and where the next byte goes. */
  #start = 0;
  #end = 0;
  /** Pieces gathered before the current stretch of `#block`, in order. */
  #pieces: Buffer[] = [];
  #size = 0;

  /** Bytes gathered and not yet taken. */
  get size(): number {
    return this.#size;
  }

  latin1(text: string): void {
    const length = text.length;
    this.#room(length);
    const block = this.#block;
    let end = this.#end;
    if (length <= SHORT_TEXT) {
      // A slot is written in many short pieces; for those a loop beats the call into C++.
      for (let i = 0; i < length; i++) block[end++] = text.charCodeAt(i);
    } else {
      end += block.write(text, end, length, 'latin1');
    }
    this.#end = end;
    this.#size += length;
  }

  utf8(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; measure only when it might not fit.
    const most = text.length * 3;
    const length = most <= this.#block.length - this.#end ? most : Buffer.byteLength(text);
    this.#room(length);
    const written = this.#block.write(text, this.#end, 'utf8');
    this.#end += written;
    this.#size += written;
  }

  bytes(bytes: Buffer): void {
    const length = bytes.length;
    if (length >= COPY_BELOW_BYTES) {
      this.#seal();
      this.#pieces.push(bytes);
    } else {
      this.#room(length);
      bytes.copy(this.#block, this.#end);
      this.#end += length;
    }
    this.#size += length;
  }

  /** Everything gathered, as one Buffer; the buffer is empty afterwards. */
  take(): Buffer {
    this.#seal();
    const pieces = this.#pieces;
    const taken = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, this.#size);
    this.#pieces = [];
    this.#size = 0;
    return taken;
  }

  /** Moves the current stretch of the block into the pieces. */
  #seal(): void {
    if (this.#end > this.#start) {
      this.#pieces.push(this.#block.subarray(this.#start, this.#end));
      this.#start = this.#end;
    }
  }

  /** Makes sure `length` more bytes fit in the block; a new block once it is full (taken pieces keep the old one). */
  #room(length: number): void {
    if (this.#block.length - this.#end >= length) return;
    this.#seal();
    this.#block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, length));
    this.#start = this.#end = 0;
  }
}
