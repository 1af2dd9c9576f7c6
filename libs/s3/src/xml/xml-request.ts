import { XMLParser } from 'fast-xml-parser';
import { S3Error } from '../errors.js';

/**
 * Largest request XML bodies we parse (bytes). Checked before parsing, and by
 * {@link readCappedBody} while reading, so a huge body never reaches the parser.
 */
export const MAX_DELETE_XML_BYTES = 2 * 1024 * 1024; // 1,000 keys × (1,024-byte key + markup), with room for escaping
export const MAX_COMPLETE_MULTIPART_XML_BYTES = 4 * 1024 * 1024; // 10,000 parts × ~250 bytes (ETag + a checksum)
export const MAX_SMALL_CONFIG_XML_BYTES = 64 * 1024; // CreateBucketConfiguration and other small documents

const CDATA_KEY = '__cdata';

/** A parsed element: text, or child elements by name (repeated ones as arrays). */
export type XmlValue = string | XmlElement | XmlValue[];
export interface XmlElement {
  [name: string]: XmlValue;
}

export function malformedXml(message?: string): S3Error {
  return new S3Error('MalformedXML', message);
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Resolves the five predefined entities and numeric character references.
 * The parser runs with entity processing off (no DTD, no custom entities,
 * nothing to expand exponentially); this is the only expansion, and it can
 * only shrink the text.
 */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:([^;&\s]{0,10});)?/g, (_m, ref: string | undefined) => {
    // A bare '&' (no terminating ';') is not well-formed.
    if (ref === undefined) throw malformedXml();
    if (ref.startsWith('#')) {
      const hexOk = /^#[xX][0-9a-fA-F]{1,6}$/.test(ref);
      const decOk = /^#\d{1,7}$/.test(ref);
      if (!hexOk && !decOk) throw malformedXml();
      const code = hexOk ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw malformedXml();
      return String.fromCodePoint(code);
    }
    const value = PREDEFINED[ref];
    if (value === undefined) throw malformedXml();
    return value;
  });
}

const BOM = '\ufeff';

/**
 * Parses a request XML document and returns its root element's content.
 * Refuses bodies over `maxBytes`, DTDs, non-well-formed XML and a root other
 * than `root`. `arrays` names elements that may repeat (so that one
 * occurrence still comes back as a one-element array).
 */
export function parseXmlRequest(
  body: Uint8Array | string,
  root: string,
  maxBytes: number,
  arrays: readonly string[],
): XmlElement {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > maxBytes) throw new S3Error('MaxMessageLengthExceeded');
  let text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8');
  if (text.startsWith(BOM)) text = text.slice(1);
  if (text.trim() === '') throw malformedXml();
  // No DTD means no entity definitions and no external references at all.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw malformedXml('DTDs are not allowed.');
  const arraySet = new Set(arrays);
  const parser = new XMLParser({
    processEntities: false,
    htmlEntities: false,
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    cdataPropName: CDATA_KEY,
    isArray: (name) => arraySet.has(name),
  });
  let parsed: unknown;
  try {
    parsed = parser.parse(text, true);
  } catch (cause) {
    throw new S3Error('MalformedXML', undefined, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null) throw malformedXml();
  const names = Object.keys(parsed);
  if (names.length !== 1 || names[0] !== root) throw malformedXml();
  const content = (parsed as Record<string, unknown>)[root];
  if (content === '') return {};
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw malformedXml();
  return content as XmlElement;
}

/** The text of a leaf element: entities decoded, CDATA taken verbatim; anything else is MalformedXML. */
export function xmlText(value: XmlValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return decodeXmlText(value);
  if (Array.isArray(value)) throw malformedXml();
  const keys = Object.keys(value);
  // Pure CDATA (possibly surrounded by whitespace-only text).
  if (keys.every((k) => k === CDATA_KEY || k === '#text')) {
    const cdata = value[CDATA_KEY];
    const outer = value['#text'];
    if (typeof cdata === 'string' && (outer === undefined || (typeof outer === 'string' && outer.trim() === ''))) {
      return cdata;
    }
  }
  throw malformedXml();
}

/** A required leaf element's text. */
export function requiredText(element: XmlElement, name: string): string {
  const text = xmlText(element[name]);
  if (text === undefined) throw malformedXml(`Missing element ${name}.`);
  return text;
}

/** Child elements that may repeat (declared in `arrays` when parsing). */
export function childElements(element: XmlElement, name: string): XmlElement[] {
  const value = element[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (item === '') return {};
    if (typeof item !== 'object' || Array.isArray(item)) throw malformedXml();
    return item;
  });
}
