// What every page needs: the API, the signed-in user, flash messages.

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';
import type { TeamApi } from './api/team';
import type { Me, Settings } from './api/types';
import type { AppConfig } from './auth/config';

export interface AppContextValue {
  config: AppConfig;
  api: TeamApi;
  me: Me;
  /** The settings when the user may read them (admins), else null. */
  settings: Settings | null;
  reloadSettings: () => void;
  signOut: () => void;
}

const AppContext = createContext<AppContextValue | null>(null);

export const AppProvider = AppContext.Provider;

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppProvider');
  return value;
}

export interface Flash {
  type: 'success' | 'error' | 'warning' | 'info';
  header?: ReactNode;
  content?: ReactNode;
  /** Survives this many route changes (default 0: cleared on the next one). */
  keep?: number;
  testId?: string;
}

interface FlashItem extends Flash {
  id: string;
  keep: number;
}

interface FlashContextValue {
  items: FlashbarProps.MessageDefinition[];
  push: (flash: Flash) => void;
  clear: () => void;
  /** Called on every route change. */
  routeChanged: () => void;
}

const FlashContext = createContext<FlashContextValue | null>(null);

let flashSeq = 0;

export function FlashProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<FlashItem[]>([]);
  const dismiss = useCallback((id: string) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const push = useCallback((flash: Flash) => {
    flashSeq += 1;
    const item: FlashItem = { ...flash, id: `flash-${flashSeq}`, keep: flash.keep ?? 0 };
    setItems((xs) => [item, ...xs].slice(0, 4));
  }, []);
  const clear = useCallback(() => setItems([]), []);
  const routeChanged = useCallback(
    () => setItems((xs) => xs.filter((x) => x.keep > 0).map((x) => ({ ...x, keep: x.keep - 1 }))),
    [],
  );
  const value = useMemo<FlashContextValue>(
    () => ({
      items: items.map((x) => ({
        id: x.id,
        type: x.type,
        header: x.header,
        content: x.testId ? <span data-testid={x.testId}>{x.content}</span> : x.content,
        dismissible: true,
        dismissLabel: 'Dismiss message',
        onDismiss: () => dismiss(x.id),
      })),
      push,
      clear,
      routeChanged,
    }),
    [items, push, clear, routeChanged, dismiss],
  );
  return <FlashContext.Provider value={value}>{children}</FlashContext.Provider>;
}

export function useFlash(): FlashContextValue {
  const value = useContext(FlashContext);
  if (!value) throw new Error('useFlash outside FlashProvider');
  return value;
}
