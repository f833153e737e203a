// The real Redis the cache tests use (127.0.0.1:6379 or $REDIS_URL). On CI (.ci/run starts one) an
// unreachable Redis fails the test loudly; on a developer machine without Redis the tests are skipped
// with the reason.
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** undefined: reachable. Otherwise why not; throws instead on CI. */
export async function redisUnavailable(): Promise<string | undefined> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    const why = `Redis at ${TEST_REDIS_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
    if (process.env.CI === 'true') throw new Error(`${why}: on CI a missing Redis is a failure (.ci/run starts redis-server)`);
    return why;
  } finally {
    redis.disconnect();
  }
}

export async function testRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.ping();
  return redis;
}
