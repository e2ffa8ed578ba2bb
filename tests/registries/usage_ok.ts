// The seed's "Usage Examples" that must compile against the generated registry (tsc --strict).
import { Events, EventLogger } from './registry';

declare const logger: EventLogger;

// ✅ Compiles - required fields present
logger.logEvent(Events.OFFER_REJECTED, {
  offer_id: 'O-123',
  source: 'uber',
  rejection_reason: 'no_available_robots',
});

// ✅ Compiles - uses default BaseEventPayload (all optional)
logger.logEvent(Events.ROBOT_STATE_CHANGED, {
  robot_id: 'R-99',
});

// Error event (auto-logs at ERROR level)
logger.logEvent(Events.DELIVERY_FAILED, {
  delivery_id: 'D-101',
  error: { code: 'HARDWARE_FAILURE', message: 'Lid stuck' },
});
