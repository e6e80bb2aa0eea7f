/**
 * The embedded app as both fuzz suites use it: started with the rate limits out of the way, and
 * asked afterwards whether its pipeline still stores a fresh point.
 */
import { DeviceLatestDocument } from '../generated/graphql.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { useEmbeddedApp, type EmbeddedApp } from '../support/use-embedded-app.js';

/** The fuzzers must reach the parsers, validation and the resolvers, not the rate limiter. */
const UNLIMITED_RATES = {
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
  RATE_LIMIT_API_KEY_PER_SECOND: '1000000',
  RATE_LIMIT_API_KEY_BURST: '1000000',
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
};

/** The embedded app for the calling test file (useEmbeddedApp), without rate limits. */
export function useFuzzedApp(env: Record<string, string> = {}): EmbeddedApp {
  return useEmbeddedApp({ ...UNLIMITED_RATES, ...env });
}

/** The reading of `metric` in the device's Device.latest, once the pipeline has stored it. */
export async function storedReading(app: EmbeddedApp, deviceId: string, metric: string) {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  return eventually(
    async () => {
      const data = await expectData(gql(DeviceLatestDocument, { id: deviceId }));
      return data.device.latest.find((entry) => entry.metric === metric);
    },
    10_000,
    'the fresh point in Device.latest',
  );
}
