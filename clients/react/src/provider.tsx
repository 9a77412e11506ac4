import { ParleyClient, type ParleyClientOptions } from '@parley/client';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

const ParleyContext = createContext<ParleyClient | null>(null);

export type ParleyProviderProps =
  | {
      /** A client you own: you start and close it; the provider only shares it. */
      client: ParleyClient;
      options?: undefined;
      children?: ReactNode;
    }
  | {
      /**
       * Options for a client the provider owns: created once when the provider mounts, started
       * on mount and closed on unmount. Later changes to `options` are not seen; to switch user
       * or server, remount the provider (give it a `key`), or call `client.setToken()`.
       */
      options: ParleyClientOptions;
      client?: undefined;
      children?: ReactNode;
    };

/** Puts a ParleyClient in context for the hooks below it. */
export function ParleyProvider(props: ParleyProviderProps) {
  const [owned] = useState(() => (props.client ? null : new ParleyClient(props.options!)));
  const client = props.client ?? owned!;
  useEffect(() => {
    if (!owned) return;
    void owned.start();
    return () => owned.close();
  }, [owned]);
  return <ParleyContext.Provider value={client}>{props.children}</ParleyContext.Provider>;
}

/** The client of the nearest ParleyProvider. */
export function useParley(): ParleyClient {
  const client = useContext(ParleyContext);
  if (!client) throw new Error('useParley: no ParleyProvider above this component');
  return client;
}
