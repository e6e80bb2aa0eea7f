import type { Viewer } from './viewer.js';

export interface VerifyOptions {
  /**
   * Called just before the credential is looked up in the database (an API key the lookup cache
   * does not know yet; never for a JWT). It may throw to refuse the attempt without the lookup:
   * that is how clients flooding forged credentials are throttled (failed-auth-guard.ts).
   */
  beforeLookup?: () => Promise<void>;
}

/** Turns a bearer credential into a Viewer, or throws InvalidCredentialError. */
export type CredentialVerifier = (credential: string, options?: VerifyOptions) => Promise<Viewer>;

/** API keys are recognisable by their prefix, so no JWT parsing is attempted on them. */
export const API_KEY_PREFIX = 'iotk_';

export function createAuthenticator(verifiers: {
  jwt: CredentialVerifier;
  apiKey?: CredentialVerifier;
}): CredentialVerifier {
  return (credential, options) =>
    credential.startsWith(API_KEY_PREFIX) && verifiers.apiKey
      ? verifiers.apiKey(credential, options)
      : verifiers.jwt(credential, options);
}
