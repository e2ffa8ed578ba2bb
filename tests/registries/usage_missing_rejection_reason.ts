// The seed's "Usage Examples": this one must NOT compile (tsc --strict).
import { Events, EventLogger } from './registry';

declare const logger: EventLogger;

// ❌ Compile Error - missing rejection_reason
logger.logEvent(Events.OFFER_REJECTED, {
  offer_id: 'O-123',
  source: 'uber',
});
