// The real Redis the cache tests use (127.0.0.1:6379 or $REDIS_URL; .ci/run starts one). An unreachable
// Redis fails the tests with the reason: a real component the action needs is never silently skipped.
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export async function testRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000, retryStrategy: () => null });
  try {
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis at ${TEST_REDIS_URL} is unreachable (${err instanceof Error ? err.message : String(err)}); start redis-server (.ci/run does)`);
  }
  return redis;
}
