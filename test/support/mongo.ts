import { afterAll, beforeAll } from 'vitest';
import { startMongoDouble, type MongoDouble } from './mongo-double.js';

/**
 * For one test file: MongoDB at MONGODB_URI when set, else the wire-protocol double, started
 * before the file's tests and closed after. `double` is undefined against a real server.
 */
export function useMongo(): { uri: () => string; double: () => MongoDouble | undefined } {
  let double: MongoDouble | undefined;
  beforeAll(async () => {
    if (!process.env.MONGODB_URI) double = await startMongoDouble();
  });
  afterAll(async () => {
    await double?.close();
  });
  return { uri: () => process.env.MONGODB_URI ?? double!.uri, double: () => double };
}
