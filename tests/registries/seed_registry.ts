// The seed's TypeScript registry, copied verbatim from the event-logging design
// (the company's event-logging design, "Event Registry" and "Type-Safe Payloads"):
// the fixture of `coco check --registry`. Do not edit; see seed_drifted.ts for a changed copy.

export const Events = {
  // --- Demand Inbound (The "Offer Funnel") ---
  OFFER_RECEIVED: 'offer.received',
  OFFER_ACCEPTED: 'offer.accepted',
  OFFER_REJECTED: 'offer.rejected',
  OFFER_EXPIRED: 'offer.expired',
  QUOTE_REQUESTED: 'quote.requested',
  QUOTE_PROVIDED: 'quote.provided',

  // --- Robot Supply Lifecycle ---
  ROBOT_STATE_CHANGED: 'robot.state_changed',
  ROBOT_DEPLOYED: 'robot.deployed',
  ROBOT_PARKED: 'robot.parked',
  ROBOT_GROUNDED: 'robot.grounded',
  ROBOT_OFF_DUTY: 'robot.off_duty',
  
  // --- Demand (Order) Lifecycle ---
  DEMAND_CREATED: 'demand.created',
  DEMAND_ASSIGNED: 'demand.assigned',
  DEMAND_ACTIVE: 'demand.active',
  DEMAND_FULFILLED: 'demand.fulfilled',
  DEMAND_CANCELED: 'demand.canceled',
  DEMAND_ETAS_UPDATED: 'demand.etas_updated',

  // --- Trip Execution ---
  TRIP_CREATED: 'trip.created',
  TRIP_ASSIGNED: 'trip.assigned',
  TRIP_STARTED: 'trip.started',
  TRIP_COMPLETED: 'trip.completed',
  TRIP_CANCELED: 'trip.canceled',

  // --- Pilot Lifecycle ---
  PILOT_SHIFT_STARTED: 'pilot.shift_started',
  PILOT_SHIFT_ENDED: 'pilot.shift_ended',
  PILOT_ASSIGNMENT_STARTED: 'pilot.assignment_started',
  PILOT_ASSIGNMENT_ENDED: 'pilot.assignment_ended',

  // --- Delivery Execution ---
  DELIVERY_PICKUP_ARRIVAL: 'delivery.pickup_arrival',
  DELIVERY_PICKUP_STARTED: 'delivery.pickup_started',
  DELIVERY_PICKUP_COMPLETED: 'delivery.pickup_completed',
  DELIVERY_DROPOFF_ARRIVAL: 'delivery.dropoff_arrival',
  DELIVERY_DROPOFF_STARTED: 'delivery.dropoff_started',
  DELIVERY_DROPOFF_COMPLETED: 'delivery.dropoff_completed',
  DELIVERY_FAILED: 'delivery.failed',

  // --- Attempt Lifecycle ---
  ATTEMPT_STARTED: 'attempt.started',
  ATTEMPT_COMPLETED: 'attempt.completed',
  ATTEMPT_FAILED: 'attempt.failed',
  ATTEMPT_RESCUED: 'attempt.rescued',
} as const;

export type EventType = typeof Events[keyof typeof Events];

// Base payload (default - all optional)
interface BaseEventPayload {
  timestamp?: string;
  source?: 'uber' | 'doordash' | 'wolt' | 'direct';
  robot_id?: string;
  delivery_id?: string;
  demand_id?: string;
  offer_id?: string;
  merchant_id?: string;
  pilot_id?: string;
  parking_lot_id?: string;
  zone_id?: string;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

// Specific payloads with required fields
interface OfferReceivedPayload extends BaseEventPayload {
  offer_id: string;
  source: 'uber' | 'doordash' | 'wolt' | 'direct';
  merchant_id: string;
}

interface OfferRejectedPayload extends BaseEventPayload {
  offer_id: string;
  source: 'uber' | 'doordash' | 'wolt' | 'direct';
  rejection_reason: string;
}

interface DeliveryFailedPayload extends BaseEventPayload {
  delivery_id: string;
  error: { code: string; message: string };
}

// Event → Payload mapping
interface EventPayloadMap {
  'offer.received': OfferReceivedPayload;
  'offer.rejected': OfferRejectedPayload;
  'offer.accepted': OfferAcceptedPayload;
  'delivery.failed': DeliveryFailedPayload;
  // Events not listed use BaseEventPayload
}

// Conditional type resolution
type PayloadFor<E extends EventType> = 
  E extends keyof EventPayloadMap 
    ? EventPayloadMap[E] 
    : BaseEventPayload;

// Logger interface
interface EventLogger {
  logEvent<E extends EventType>(event: E, payload: PayloadFor<E>): void;
}
