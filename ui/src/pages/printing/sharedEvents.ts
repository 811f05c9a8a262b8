// One core-event subscription shared by the Printing page and the status items.
//
// In browser mode every `client.subscribe` opens its own EventSource, and a browser keeps at most
// six HTTP/1.1 connections to one host: with a few long-lived event streams open, ordinary calls
// wait for a free connection forever. Everything here listens through a single stream per client.

import type { ApiClient } from '../../api/client';
import type { CoreEvent } from '../../api/types';

type Listener = (event: CoreEvent) => void;
type Hub = { listeners: Set<Listener>; close: (() => void) | null };

const hubs = new WeakMap<ApiClient, Hub>();

/** Like `client.subscribe`, over one stream shared by all listeners of this client. */
export function subscribeShared(client: ApiClient, listener: Listener): () => void {
  let hub = hubs.get(client);
  if (hub === undefined) {
    hub = { listeners: new Set(), close: null };
    hubs.set(client, hub);
  }
  const current = hub;
  current.listeners.add(listener);
  if (current.close === null) {
    current.close = client.subscribe((event) => {
      for (const l of [...current.listeners]) l(event);
    });
  }
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0 && current.close !== null) {
      current.close();
      current.close = null;
    }
  };
}
