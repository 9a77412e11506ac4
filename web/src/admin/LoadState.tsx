import { errorText, isMissingRoute } from './api';
import type { Polled } from './usePoll';

/**
 * What a view shows while its data is not there: "Loading…", or why it failed (role=alert),
 * saying so plainly when this parleyd has no such route yet. Nothing once the data came.
 */
export function LoadState({ polled, route }: { polled: Polled<unknown>; route: string }) {
  if (polled.error) {
    return (
      <p className="error admin-error" role="alert">
        {isMissingRoute(polled.error)
          ? `This parleyd does not answer ${route} (a server older than this console).`
          : `${route}: ${errorText(polled.error)}`}
      </p>
    );
  }
  if (polled.loading) return <p className="muted">Loading…</p>;
  return null;
}
