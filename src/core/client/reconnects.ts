// One `ready` listener per user client, however many connections wrap it: each module given a
// raw client wraps it in a connection of its own, and a listener apiece would soon pass Node's
// limit of ten per event.

interface ReadyEmitter {
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

interface Watch {
  readonly listeners: Set<() => void>;
  seenReady: boolean;
  readonly onReady: () => void;
}

const watches = new WeakMap<object, Watch>();

/**
 * Calls `listener` each time `client` is ready again after its first connection; `readyNow`
 * says whether it is connected already. Returns a function that stops it.
 */
export function onReconnect(client: ReadyEmitter, readyNow: boolean, listener: () => void): () => void {
  let watch = watches.get(client);
  if (!watch) {
    const created: Watch = {
      listeners: new Set(),
      seenReady: readyNow,
      onReady: () => {
        if (!created.seenReady) {
          created.seenReady = true;
          return;
        }
        for (const l of created.listeners) l();
      },
    };
    watch = created;
    watches.set(client, watch);
    client.on('ready', watch.onReady);
  }
  const w = watch;
  w.listeners.add(listener);
  return () => {
    w.listeners.delete(listener);
    if (w.listeners.size > 0) return;
    client.off('ready', w.onReady);
    watches.delete(client);
  };
}
