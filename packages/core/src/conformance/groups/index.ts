import { corruptTests } from './corrupt.js';
import { createTests } from './create.js';
import { destroyTests } from './destroy.js';
import { expiryTests } from './expiry.js';
import { faultTests } from './faults.js';
import { idTests } from './ids.js';
import { lifecycleTests } from './lifecycle.js';
import { listingTests } from './listing.js';
import { namespaceTests } from './namespaces.js';
import { payloadTests } from './payload.js';
import { recordTests } from './records.js';
import { roundTripTests } from './round-trip.js';
import { stormTests } from './storm.js';
import { sweepTests } from './sweep.js';
import { touchTests } from './touch.js';
import { updateTests } from './update.js';
import { userTests } from './users.js';

/** Every group of the suite, in the order they run. */
export const conformanceGroups = {
  roundTrip: roundTripTests,
  ids: idTests,
  records: recordTests,
  create: createTests,
  update: updateTests,
  touch: touchTests,
  destroy: destroyTests,
  expiry: expiryTests,
  namespaces: namespaceTests,
  listing: listingTests,
  users: userTests,
  sweep: sweepTests,
  payload: payloadTests,
  storm: stormTests,
  corrupt: corruptTests,
  faults: faultTests,
  lifecycle: lifecycleTests,
} as const;

type Groups = typeof conformanceGroups;

export type ConformanceGroupName = keyof Groups;

/** The name of one conformance test; `skip` takes these. */
export type ConformanceTestName = { [G in keyof Groups]: keyof Groups[G] & string }[keyof Groups];

export type { Requirement, TestSpec } from './define.js';
