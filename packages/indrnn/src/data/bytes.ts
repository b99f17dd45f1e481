/**
 * Bounds-checked reading of data files, shared by every parser in data/. Each check fails with an
 * IndrnnError that names the file, the byte offset and what was expected there, so a truncated or
 * corrupt download is obvious from the message alone. Browser-safe: no Node imports.
 */
import { fail } from '../util/errors.js';

/** Formats a 32-bit value the way file magics are usually written: 0x00000803. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

export function hex8(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`;
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The browser-safe parsers take decompressed bytes; gunzipping is the Node reader's job
 * (node:zlib). Failing here with that hint beats a confusing "bad magic 0x1f8b0808".
 */
export function failIfGzip(bytes: Uint8Array, name: string): void {
  if (isGzip(bytes)) {
    fail(
      `${name}: data is gzip-compressed (starts with 1f 8b at offset 0); decompress it first ` +
        `(the loaders in 'indrnn/node' do this for you)`,
    );
  }
}

/**
 * Sequential reader over a byte array. Every read checks that the bytes exist first, so a
 * header that claims more data than the file holds fails with the offset instead of a RangeError.
 */
export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Fails unless `n` more bytes exist; `what` says what they were supposed to hold. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      fail(
        `${this.name}: file ends at byte ${this.bytes.length}, but ${what} needs ${n} bytes ` +
          `at offset ${this.offset} (truncated file?)`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }

  u16le(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32le(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u32be(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, false);
    this.offset += 4;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** Byte offset of the first byte that breaks UTF-8, or -1 when the whole array is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte → sequence length and the allowed range of the second byte (excludes overlongs,
    // surrogates and code points above U+10FFFF, as the WHATWG decoder does).
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    const b1 = bytes[i + 1]!;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k < len; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** 1-based line number of a byte offset (counts 0x0a bytes before it). */
export function lineOfOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * Decodes a text data file strictly. Invalid UTF-8 and NUL bytes are errors (with the offset),
 * since either means a binary or corrupt file was passed where text was expected; silently mapping
 * them to U+FFFD would put garbage tokens into a vocabulary.
 */
export function decodeText(input: Uint8Array | string, name: string): string {
  if (typeof input === 'string') {
    const nul = input.indexOf('\0');
    if (nul >= 0) fail(`${name}: NUL character at index ${nul}; expected text, got binary data`);
    return input;
  }
  failIfGzip(input, name);
  const nul = input.indexOf(0);
  if (nul >= 0) {
    fail(
      `${name}: NUL byte at offset ${nul} (line ${lineOfOffset(input, nul)}); expected a text ` +
        `file, got binary data`,
    );
  }
  const bad = firstInvalidUtf8(input);
  if (bad >= 0) {
    fail(
      `${name}: invalid UTF-8 at byte offset ${bad} (line ${lineOfOffset(input, bad)}, byte ` +
        `${hex8(input[bad]!)}); text files must be UTF-8`,
    );
  }
  return utf8.decode(input);
}

/**
 * Decodes an ASCII data file (.skeleton, .npy headers). Any byte outside printable ASCII plus tab,
 * CR and LF is an error naming its offset and line.
 */
export function decodeAscii(input: Uint8Array | string, name: string, what: string): string {
  if (typeof input !== 'string') {
    failIfGzip(input, name);
    for (let i = 0; i < input.length; i++) {
      const b = input[i]!;
      if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) {
        fail(
          `${name}: unexpected byte ${hex8(b)} at offset ${i} (line ${lineOfOffset(input, i)}); ` +
            `${what} must be ASCII text`,
        );
      }
    }
    return utf8.decode(input);
  }
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) {
      fail(
        `${name}: unexpected character U+${c.toString(16).padStart(4, '0')} at index ${i}; ` +
          `${what} must be ASCII text`,
      );
    }
  }
  return input;
}
