import { z } from 'zod';
import { IsoTime, PageQuery, pageOf } from './common';

/**
 * Operators' view of the outbox: deliveries that failed until they were parked, the retry that
 * brings one back, and the backlog and dispatch lag. Event types and aggregate types are plain
 * strings here: a row written by a newer (or older) deployment must still be listable.
 */
export const EventDeliveryStatus = ['pending', 'done', 'parked'] as const;
export type EventDeliveryStatus = (typeof EventDeliveryStatus)[number];

export const FailedDeliveryQuery = PageQuery.extend({
  subscriber: z.string().trim().min(1).max(64).optional(),
});
export type FailedDeliveryQuery = z.infer<typeof FailedDeliveryQuery>;

export const FailedDeliveryView = z.object({
  id: z.number().int(),
  eventId: z.number().int(),
  eventType: z.string(),
  subscriber: z.string(),
  aggregateType: z.string(),
  aggregateId: z.number().int(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  payload: z.unknown(),
  eventCreatedAt: IsoTime,
  parkedAt: IsoTime,
});
export type FailedDeliveryView = z.infer<typeof FailedDeliveryView>;
export const FailedDeliveryPage = pageOf(FailedDeliveryView);
export type FailedDeliveryPage = z.infer<typeof FailedDeliveryPage>;

export const EventDeliveryView = z.object({
  id: z.number().int(),
  eventId: z.number().int(),
  subscriber: z.string(),
  aggregateType: z.string(),
  aggregateId: z.number().int(),
  status: z.enum(EventDeliveryStatus),
  attempts: z.number().int(),
  nextAttemptAt: IsoTime,
  lastError: z.string().nullable(),
  deliveredAt: IsoTime.nullable(),
});
export type EventDeliveryView = z.infer<typeof EventDeliveryView>;

export const OutboxStatsQuery = z.object({
  /** Window of the lag percentiles: deliveries completed in the last `minutes`. */
  minutes: z.coerce.number().int().min(1).max(1440).default(5),
});
export type OutboxStatsQuery = z.infer<typeof OutboxStatsQuery>;

export const OutboxStats = z.object({
  /** Committed events the dispatcher has not yet turned into deliveries. */
  eventsNotFannedOut: z.number().int(),
  deliveriesPending: z.number().int(),
  deliveriesParked: z.number().int(),
  /** Age of the oldest event not yet fanned out or with a pending delivery; null when none. */
  oldestPendingAgeMs: z.number().int().nullable(),
  bySubscriber: z.array(z.object({ subscriber: z.string(), pending: z.number().int(), parked: z.number().int() })),
  /** Dispatch lag = delivered_at − event created_at (commit to subscriber done), over the window. */
  lag: z.object({
    windowMinutes: z.number().int(),
    delivered: z.number().int(),
    p50Ms: z.number().int().nullable(),
    p99Ms: z.number().int().nullable(),
    maxMs: z.number().int().nullable(),
  }),
  serverTime: IsoTime,
});
export type OutboxStats = z.infer<typeof OutboxStats>;
