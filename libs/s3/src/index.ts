// Errors
export { errorResponseXml, type ErrorResponseContext } from './error-response.js';
export {
  isS3Error,
  S3_ERRORS,
  S3Error,
  s3ErrorStatus,
  type S3ErrorCode,
  type S3ErrorDetails,
  type S3ErrorOptions,
} from './errors.js';

// SigV4
export { formatAmzDate, parseAmzDate, parseHttpDate } from './sigv4/amz-date.js';
export {
  MAX_AUTHORIZATION_HEADER_BYTES,
  parseAuthorizationHeader,
  type AuthorizationHeader,
} from './sigv4/authorization-header.js';
export {
  canonicalHeaderValue,
  canonicalRequest,
  credentialScope,
  describeRequest,
  headerValue,
  S3_SERVICE,
  sha256Hex,
  SIGV4_ALGORITHM,
  signatureOf,
  stringToSign,
  type CanonicalRequestInput,
  type RequestDescription,
  type RequestHeaders,
} from './sigv4/canonical-request.js';
export {
  CHUNK_ALGORITHM,
  chunkSignature,
  TRAILER_ALGORITHM,
  trailerSignature,
  type ChunkSigningContext,
} from './sigv4/chunk-signature.js';
export { signaturesEqual } from './sigv4/constant-time.js';
export { parseCredential, parseSignedHeaders, type Credential } from './sigv4/credential.js';
export {
  EMPTY_SHA256,
  isStreamingPayload,
  parsePayloadHash,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
  type PayloadHashMode,
} from './sigv4/payload-hash.js';
export {
  hasPresignedQuery,
  MAX_PRESIGNED_EXPIRES_SECONDS,
  parsePresignedQuery,
  type PresignedQuery,
} from './sigv4/presigned-query.js';
export {
  presignQuery,
  signRequestHeaders,
  type PresignInput,
  type SignedHeadersResult,
  type SignerCredentials,
  type SignHeadersInput,
} from './sigv4/signer.js';
export { deriveSigningKey, SIGNING_KEY_CACHE_ENTRIES, SigningKeyCache } from './sigv4/signing-key.js';
export {
  awsUriEncode,
  canonicalQueryString,
  canonicalUri,
  decodePathSegments,
  parseQuery,
  percentDecode,
  type QueryParam,
} from './sigv4/uri-encoding.js';
export {
  MAX_CLOCK_SKEW_MS,
  SigV4Verifier,
  type AnonymousAuth,
  type AuthResult,
  type SecretLookup,
  type SignedAuth,
  type SigningContext,
  type SigV4VerifierOptions,
} from './sigv4/verifier.js';

// aws-chunked
export {
  AwsChunkedDecoder,
  createAwsChunkedDecoder,
  MAX_CHUNK_HEADER_BYTES,
  MAX_SIGNED_CHUNK_BYTES,
  MAX_TRAILER_LINE_BYTES,
  MAX_TRAILER_LINES,
  type AwsChunkedDecoderOptions,
  type TrailerChecksum,
} from './aws-chunked/aws-chunked-decoder.js';
export { encodeAwsChunked, type AwsChunkedEncodeOptions } from './aws-chunked/aws-chunked-encoder.js';
export { createPayloadHashCheck } from './aws-chunked/payload-hash-check.js';

// Checksums and ETags
export {
  assertChecksumMatches,
  CHECKSUM_ALGORITHMS,
  CHECKSUM_DIGEST_BYTES,
  checksumAlgorithmOfHeader,
  checksumBase64,
  checksumHeaderName,
  createChecksumHasher,
  decodeChecksumValue,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type ChecksumHasher,
} from './checksums/checksum.js';
export { Crc64Nvme } from './checksums/crc64nvme.js';
export {
  compositeChecksum,
  etagFromMd5,
  Md5Hasher,
  md5FromEtag,
  multipartEtag,
  normalizeEtag,
  parseContentMd5,
} from './checksums/etag.js';

// Addressing
export {
  bucketNameProblem,
  MAX_BUCKET_NAME_LENGTH,
  MIN_BUCKET_NAME_LENGTH,
  validateBucketName,
} from './addressing/bucket-name.js';
export { MAX_OBJECT_KEY_BYTES, validateObjectKey, type ObjectKeyPolicy } from './addressing/object-key.js';
export {
  hostName,
  parseRequestTarget,
  type AddressingOptions,
  type AddressingStyle,
  type RequestTarget,
} from './addressing/request-target.js';

// HTTP semantics
export {
  assertReadConditions,
  conditionalHeadersFrom,
  etagListMatches,
  evaluateReadConditions,
  parseWriteConditions,
  type ConditionalHeaders,
  type ObjectValidators,
  type ReadConditionOutcome,
  type WriteConditions,
} from './http/conditional.js';
export { contentRange, parseRange, rangeLength, type ByteRange } from './http/range.js';
export { MAX_COPY_SOURCE_BYTES, parseCopySourceRange } from './http/copy-source-range.js';
export { readCappedBody } from './http/read-capped-body.js';
export { MAX_USER_METADATA_BYTES, USER_METADATA_PREFIX, userMetadataFrom } from './http/user-metadata.js';

// XML
export {
  MAX_DELETE_OBJECTS,
  MAX_PART_NUMBER,
  parseCompleteMultipartUpload,
  parseCreateBucketConfiguration,
  parseDeleteObjects,
  isObjectOwnership,
  parseOwnershipControls,
  parseVersioningConfiguration,
  type ObjectOwnership,
  type CompletedPart,
  type CreateBucketConfiguration,
  type DeleteObjectsRequest,
  type ObjectToDelete,
} from './xml/request-bodies.js';
export {
  completeMultipartUploadXml,
  copyObjectResultXml,
  copyPartResultXml,
  deleteResultXml,
  initiateMultipartUploadXml,
  listAllMyBucketsXml,
  listMultipartUploadsXml,
  listObjectsV1Xml,
  listObjectsV2Xml,
  listPartsXml,
  listVersionsXml,
  locationConstraintXml,
  objectAttributesXml,
  ownerOnlyAclXml,
  ownershipControlsXml,
  type ObjectAttributesInput,
  type ObjectPartEntry,
  urlEncodeListName,
  versioningConfigurationXml,
  type BucketEntry,
  type Checksums,
  type ChecksumType,
  type CompleteMultipartUploadInput,
  type CopyResultInput,
  type DeletedEntry,
  type DeleteErrorEntry,
  type EncodingType,
  type ListAllMyBucketsInput,
  type ListMultipartUploadsInput,
  type ListObjectsV1Input,
  type ListObjectsV2Input,
  type ListPartsInput,
  type ObjectEntry,
  type Owner,
  type PartEntry,
  type UploadEntry,
  type ListVersionsInput,
  type VersionEntry,
} from './xml/responses.js';
export {
  decodeXmlText,
  MAX_COMPLETE_MULTIPART_XML_BYTES,
  MAX_DELETE_XML_BYTES,
  MAX_SMALL_CONFIG_XML_BYTES,
  parseXmlRequest,
  type XmlElement,
  type XmlValue,
} from './xml/xml-request.js';
export {
  escapeXml,
  optionalText,
  S3_XMLNS,
  XML_DECLARATION,
  xmlDocument,
  XmlNode,
  type XmlChild,
} from './xml/xml-writer.js';
