/**
 * A tiny XML writer for S3 responses: elements and escaped text, nothing else.
 *
 * Hand-written rather than fast-xml-parser's builder so the element order is
 * exactly the one S3 documents (some SDK deserializers are order-sensitive in
 * practice) and so escaping is one audited function.
 */

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Namespace S3 puts on the root element of every response document. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Escapes text for element content or attribute values. Control characters
 * other than TAB and LF become numeric references — CR too, which parsers
 * would otherwise normalise to LF and so change a key. XML 1.0 forbids most
 * of them even as references; S3 does the same and tells clients to use
 * `encoding-type=url` for such keys.
 */
export function escapeXml(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let replacement: string | undefined;
    switch (c) {
      case 0x26:
        replacement = '&amp;';
        break;
      case 0x3c:
        replacement = '&lt;';
        break;
      case 0x3e:
        replacement = '&gt;';
        break;
      case 0x22:
        replacement = '&quot;';
        break;
      case 0x27:
        replacement = '&apos;';
        break;
      default:
        if (c < 0x20 && c !== 0x09 && c !== 0x0a) replacement = `&#x${c.toString(16).toUpperCase()};`;
    }
    if (replacement !== undefined) {
      out += text.slice(from, i) + replacement;
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** A child in an element tree: a pre-rendered element or nothing (skipped). */
export type XmlChild = XmlNode | undefined | false;

/** A rendered element; keeps text out of the way of accidental re-escaping. */
export class XmlNode {
  private constructor(readonly xml: string) {}

  /** `<name>escaped text</name>`. */
  static text(name: string, value: string | number | boolean, attributes?: Readonly<Record<string, string>>): XmlNode {
    return new XmlNode(`<${name}${renderAttributes(attributes)}>${escapeXml(String(value))}</${name}>`);
  }

  /** `<name>children</name>`, skipping `undefined`/`false` children. */
  static element(name: string, children: readonly XmlChild[], attributes?: Readonly<Record<string, string>>): XmlNode {
    const attrs = renderAttributes(attributes);
    let inner = '';
    for (const child of children) if (child) inner += child.xml;
    return new XmlNode(`<${name}${attrs}>${inner}</${name}>`);
  }
}

function renderAttributes(attributes: Readonly<Record<string, string>> | undefined): string {
  let out = '';
  if (attributes) for (const [k, v] of Object.entries(attributes)) out += ` ${k}="${escapeXml(v)}"`;
  return out;
}

/** Optional text element: skipped when the value is undefined. */
export function optionalText(name: string, value: string | number | boolean | undefined): XmlNode | undefined {
  return value === undefined ? undefined : XmlNode.text(name, value);
}

/** A whole document: declaration + root element. */
export function xmlDocument(root: XmlNode): string {
  return XML_DECLARATION + root.xml;
}
