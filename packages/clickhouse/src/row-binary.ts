/**
 * Writing rows in ClickHouse's `RowBinary` format (every version from 1.1 to current; the column
 * order is the table's): little-endian numbers, a string as its UTF-8 byte length (unsigned
 * LEB128) and bytes, `Nullable(T)` as a 0/1 byte and `T` when 0, `DateTime` as UInt32 seconds.
 * The server reads it without parsing text (escapes, numbers, dates), which JSONEachRow costs it
 * per value. The caller sizes the buffer with {@link RowBinaryWriter.worst}.
 * @module
 */

declare global {
  interface String {
    /** ES2024 (Node 20+): false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

/** Most bytes a string of `length` UTF-16 code units takes: up to 3 UTF-8 bytes per unit, plus a 5-byte length. */
export const stringWorstBytes = (length: number): number => length * 3 + 5;

/** Thrown for a value a column cannot hold; `field` names it. */
export class RowBinaryValueError extends TypeError {
  override readonly name = 'RowBinaryValueError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Appends values to a buffer at a moving offset. Checks what would otherwise be stored silently
 * wrong (a string that is not well-formed UTF-16, an integer out of its column's range): each is a
 * {@link RowBinaryValueError} naming the field, before anything of the row is sent.
 */
export class RowBinaryWriter {
  buffer: Buffer;
  offset: number;

  constructor(buffer: Buffer, offset = 0) {
    this.buffer = buffer;
    this.offset = offset;
  }

  /** Moves to another buffer (the next chunk of a pool). */
  reset(buffer: Buffer, offset: number): void {
    this.buffer = buffer;
    this.offset = offset;
  }

  string(field: string, value: string): void {
    // A lone surrogate would be written as U+FFFD: refused instead, as JSONEachRow's parser does.
    if (!value.isWellFormed())
      throw new RowBinaryValueError(field, 'a lone UTF-16 surrogate cannot be stored as UTF-8');
    const buffer = this.buffer;
    const length = value.length;
    // Up to 42 code units take at most 126 bytes: one length byte, known before writing.
    if (length <= 42) {
      const written = buffer.write(value, this.offset + 1, 'utf8');
      buffer[this.offset] = written;
      this.offset += 1 + written;
      return;
    }
    this.varUInt(Buffer.byteLength(value, 'utf8'));
    this.offset += buffer.write(value, this.offset, 'utf8');
  }

  /** Unsigned LEB128, as RowBinary's string lengths. */
  varUInt(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.offset++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.offset++] = rest;
  }

  uint8(field: string, value: number): void {
    this.checkInt(field, value, 0xff);
    this.buffer[this.offset++] = value;
  }

  uint16(field: string, value: number): void {
    this.checkInt(field, value, 0xffff);
    this.buffer.writeUInt16LE(value, this.offset);
    this.offset += 2;
  }

  uint32(field: string, value: number): void {
    this.checkInt(field, value, 0xffff_ffff);
    this.buffer.writeUInt32LE(value, this.offset);
    this.offset += 4;
  }

  float32(value: number): void {
    this.buffer.writeFloatLE(value, this.offset);
    this.offset += 4;
  }

  float64(value: number): void {
    this.buffer.writeDoubleLE(value, this.offset);
    this.offset += 8;
  }

  /** `DateTime` from epoch milliseconds: whole seconds, UInt32 (1970-01-01 to 2106-02-07). */
  dateTime(field: string, epochMs: number): void {
    this.uint32(field, Math.floor(epochMs / 1000));
  }

  /** The `Nullable` marker: writes it and returns whether the value follows. */
  present(value: unknown): boolean {
    const isNull = value === null || value === undefined;
    this.buffer[this.offset++] = isNull ? 1 : 0;
    return !isNull;
  }

  private checkInt(field: string, value: number, max: number): void {
    if (!Number.isInteger(value) || value < 0 || value > max)
      throw new RowBinaryValueError(field, `${value} is not an integer in 0…${max}`);
  }
}
