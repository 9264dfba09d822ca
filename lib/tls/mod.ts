/**
 * Certificate helpers shared by the relay and the client: PEM text and
 * fingerprints. Making certificates lives apart in `certificates.ts`, which
 * only the relay's first start, `--fingerprint` and the tests load.
 *
 * @module
 */

export { base64ToBytes, bytesToBase64, type PemBlock, pemBlocks, toPem } from "./pem.ts";
export {
  chainCertificates,
  chainFingerprint,
  fingerprintOf,
  parseFingerprint,
} from "./fingerprint.ts";
export { RELAY_CERT_NAME } from "./names.ts";
