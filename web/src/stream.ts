// The controller's live events (`GET /api/v1/stream`, server-sent events)
// with the bearer header, which the browser's EventSource cannot send:
// @microsoft/fetch-event-source, retrying every second while the controller
// is away.

import { fetchEventSource } from '@microsoft/fetch-event-source';
import type { OdinEvent } from './api';

export type StreamState = 'connecting' | 'open' | 'down' | 'refused';

export interface StreamHandlers {
  onEvent: (event: OdinEvent) => void;
  onState: (state: StreamState) => void;
  /** The reader fell behind and `missed` events were dropped. */
  onLagged?: (missed: number) => void;
}

class Refused extends Error {}

const RETRY_MS = 1000;

/** Follows the stream until the returned function is called. */
export function followEvents(token: string, handlers: StreamHandlers, base = ''): () => void {
  const abort = new AbortController();
  handlers.onState('connecting');
  fetchEventSource(`${base}/api/v1/stream`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: abort.signal,
    openWhenHidden: true,
    async onopen(response) {
      if (response.status === 401) throw new Refused('token refused');
      if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
        throw new Error(`stream: HTTP ${response.status}`);
      }
      handlers.onState('open');
    },
    onmessage(message) {
      if (!message.data) return;
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (message.event === 'lagged') {
        handlers.onLagged?.(Number((data as { missed?: number }).missed ?? 0));
      } else if (data && typeof data === 'object' && 'kind' in data) {
        handlers.onEvent(data as OdinEvent);
      }
    },
    onclose() {
      // The controller ended the stream (it is stopping): try again.
      throw new Error('stream closed');
    },
    onerror(error) {
      if (error instanceof Refused) {
        handlers.onState('refused');
        throw error; // no retry: the token is wrong
      }
      if (!abort.signal.aborted) handlers.onState('down');
      return RETRY_MS;
    },
  }).catch(() => {
    // Stopped: refused (reported above) or aborted.
  });
  return () => abort.abort();
}
