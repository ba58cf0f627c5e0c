// Asks for an API token and checks it against the controller before
// keeping it.

import { useState } from 'preact/hooks';
import { Api, ApiError } from '../api';

interface Props {
  onLogin: (token: string) => void;
  /** Why the user is here again (a token refused later, say). */
  notice: string | null;
}

export function Login({ onLogin, notice }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new Api(t).agents();
      onLogin(t);
    } catch (err) {
      if (err instanceof ApiError && err.unauthorized) {
        setError('The controller refused this token. Check it, or make one with `odin-controller token create`.');
      } else if (err instanceof ApiError && err.unreachable) {
        setError('The controller cannot be reached. Is it running, with --api-listen?');
      } else {
        setError(`The controller answered: ${(err as Error).message}`);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} data-testid="login">
        <h1>Odin</h1>
        <p class="muted">The controller's dashboard. Sign in with an API token.</p>
        {notice && <p class="notice">{notice}</p>}
        <label>
          API token
          <input
            type="password"
            name="token"
            autocomplete="current-password"
            placeholder="odin_…"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error && (
          <p class="failure" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
