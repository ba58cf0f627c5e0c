import { useCallback, useState } from 'preact/hooks';
import { Dashboard } from './components/Dashboard';
import { Login } from './components/Login';

/** Where the token is kept between visits. */
export const TOKEN_KEY = 'odin.apiToken';

export function App() {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const [notice, setNotice] = useState<string | null>(null);

  const login = useCallback((t: string) => {
    localStorage.setItem(TOKEN_KEY, t);
    setNotice(null);
    setToken(t);
  }, []);
  const logout = useCallback((why: string | null) => {
    localStorage.removeItem(TOKEN_KEY);
    setNotice(why);
    setToken(null);
  }, []);

  return token ? <Dashboard key={token} token={token} onLogout={logout} /> : <Login onLogin={login} notice={notice} />;
}
