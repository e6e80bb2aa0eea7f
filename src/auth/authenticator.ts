import type { Viewer } from './viewer.js';

/** Turns a bearer credential into a Viewer, or throws InvalidCredentialError. */
export type CredentialVerifier = (credential: string) => Promise<Viewer>;

/** API keys are recognisable by their prefix, so no JWT parsing is attempted on them. */
export const API_KEY_PREFIX = 'iotk_';

export function createAuthenticator(verifiers: {
  jwt: CredentialVerifier;
  apiKey?: CredentialVerifier;
}): CredentialVerifier {
  return (credential) =>
    credential.startsWith(API_KEY_PREFIX) && verifiers.apiKey
      ? verifiers.apiKey(credential)
      : verifiers.jwt(credential);
}
