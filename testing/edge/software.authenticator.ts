import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A platform authenticator in software for workerd tests: a real P-256 key pair from WebCrypto,
 * real authenticator data and signatures, "none" attestation. It is what Chromium's virtual
 * authenticator does in the browser tests, without the browser; the server verifies it with the
 * same library code as any phone's answer.
 */
export class SoftwareAuthenticator {
  private counter = 0;

  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly credentialId: Uint8Array<ArrayBuffer>,
  ) {}

  static async create(): Promise<SoftwareAuthenticator> {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    return new SoftwareAuthenticator(keys, crypto.getRandomValues(new Uint8Array(32)));
  }

  /** The credential id as the server sees it (base64url). */
  get id(): string {
    return isoBase64URL.fromBuffer(this.credentialId);
  }

  async register(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
  ): Promise<RegistrationResponseJSON> {
    const clientDataJSON = clientData("webauthn.create", options.challenge, origin);
    const jwk = (await crypto.subtle.exportKey("jwk", this.keys.publicKey)) as JsonWebKey;
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, isoBase64URL.toBuffer(jwk.x ?? "")],
        [-3, isoBase64URL.toBuffer(jwk.y ?? "")],
      ]),
    );
    const idLength = new Uint8Array([
      this.credentialId.length >> 8,
      this.credentialId.length & 255,
    ]);
    const authData = concat(
      await rpIdHash(options.rp.id ?? new URL(origin).hostname),
      new Uint8Array([0x45]), // user present, user verified, attested credential data
      counterBytes(this.counter),
      new Uint8Array(16),
      idLength,
      this.credentialId,
      coseKey,
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", authData],
      ]),
    );
    const id = isoBase64URL.fromBuffer(this.credentialId);
    return {
      id,
      rawId: id,
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
        attestationObject: isoBase64URL.fromBuffer(attestationObject),
        transports: ["internal"],
      },
    };
  }

  async assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
  ): Promise<AuthenticationResponseJSON> {
    this.counter++;
    const clientDataJSON = clientData("webauthn.get", options.challenge, origin);
    const authData = concat(
      await rpIdHash(options.rpId ?? new URL(origin).hostname),
      new Uint8Array([0x05]), // user present, user verified
      counterBytes(this.counter),
    );
    const clientHash = new Uint8Array(await crypto.subtle.digest("SHA-256", clientDataJSON));
    const raw = new Uint8Array(
      await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        this.keys.privateKey,
        concat(authData, clientHash),
      ),
    );
    const id = isoBase64URL.fromBuffer(this.credentialId);
    return {
      id,
      rawId: id,
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
        authenticatorData: isoBase64URL.fromBuffer(authData),
        signature: isoBase64URL.fromBuffer(derSignature(raw)),
      },
    };
  }
}

function clientData(type: string, challenge: string, origin: string): Uint8Array<ArrayBuffer> {
  const json = JSON.stringify({ type, challenge, origin, crossOrigin: false });
  return new Uint8Array(new TextEncoder().encode(json));
}

async function rpIdHash(rpId: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(rpId)));
}

function counterBytes(counter: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, counter);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** WebCrypto signs ECDSA as r‖s; WebAuthn carries it as a DER SEQUENCE of two INTEGERs. */
function derSignature(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    const body = (trimmed[0] ?? 0) & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const r = integer(raw.subarray(0, 32));
  const s = integer(raw.subarray(32));
  return concat(new Uint8Array([0x30, r.length + s.length]), r, s);
}
