// The controller's apps: enable, disable, and their configuration as JSON.

import { useState } from 'preact/hooks';
import type { Api, App } from '../api';

interface Props {
  api: Api;
  apps: App[];
  onChanged: () => void;
}

export function Apps({ api, apps, onChanged }: Props) {
  if (apps.length === 0) return <p class="muted">No apps.</p>;
  return (
    <div class="apps" data-testid="apps">
      {apps.map((app) => (
        <AppCard key={app.name} api={api} app={app} onChanged={onChanged} />
      ))}
    </div>
  );
}

function AppCard({ api, app, onChanged }: { api: Api; app: App; onChanged: () => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = draft ?? JSON.stringify(app.config ?? {}, null, 2);

  const run = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await what();
      setMessage({ ok: true, text: done });
      setDraft(null);
      onChanged();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const save = () => {
    let config: unknown;
    try {
      config = JSON.parse(shown);
    } catch (e) {
      setMessage({ ok: false, text: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    void run(() => api.configureApp(app.name, config), 'configuration saved');
  };

  return (
    <div class={`app-card ${app.enabled ? 'enabled' : ''}`} data-app={app.name}>
      <div class="app-head">
        <b>{app.name}</b>
        <span class={`badge ${app.enabled ? 'completed' : ''}`}>{app.enabled ? 'enabled' : 'disabled'}</span>
        <button
          disabled={busy}
          onClick={() =>
            run(() => (app.enabled ? api.disableApp(app.name) : api.enableApp(app.name)), app.enabled ? 'disabled' : 'enabled')
          }
        >
          {app.enabled ? 'Disable' : 'Enable'}
        </button>
      </div>
      <p class="small muted">{app.about}</p>
      <p class="small">
        calls {app.calls} · requests {app.requests} · errors {app.errors} · panics {app.panics}
        {app.last_error && <span class="failure"> · last error: {app.last_error}</span>}
      </p>
      <textarea
        rows={4}
        spellcheck={false}
        value={shown}
        aria-label={`${app.name} configuration`}
        onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
      />
      <div class="row">
        <button disabled={busy || draft === null} onClick={save}>
          Save configuration
        </button>
        {draft !== null && (
          <button class="link" onClick={() => setDraft(null)}>
            Revert
          </button>
        )}
        {message && <span class={message.ok ? 'ok' : 'failure'}>{message.text}</span>}
      </div>
    </div>
  );
}
