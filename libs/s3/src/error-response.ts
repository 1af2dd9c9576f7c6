import type { S3Error } from './errors.js';
import { XmlNode, xmlDocument } from './xml/xml-writer.js';

export interface ErrorResponseContext {
  /** The bucket or object path the request addressed, e.g. `/bucket/key`. */
  resource?: string;
  requestId: string;
  /** S3's `HostId`; Platter puts the frontend instance id here if anything. */
  hostId?: string;
}

/**
 * The XML body S3 sends with an error:
 * `<Error><Code/><Message/>…details…<Resource/><RequestId/></Error>`.
 * HEAD responses and 304s carry no body; the caller decides that.
 */
export function errorResponseXml(error: S3Error, context: ErrorResponseContext): string {
  const children: XmlNode[] = [XmlNode.text('Code', error.code), XmlNode.text('Message', error.message)];
  for (const [name, value] of Object.entries(error.details)) children.push(XmlNode.text(name, value));
  if (context.resource !== undefined) children.push(XmlNode.text('Resource', context.resource));
  children.push(XmlNode.text('RequestId', context.requestId));
  if (context.hostId !== undefined) children.push(XmlNode.text('HostId', context.hostId));
  return xmlDocument(XmlNode.element('Error', children));
}
