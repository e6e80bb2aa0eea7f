import { useState } from 'preact/hooks';
import { signIn } from '../session';

/** Paste a JWT or an API key; it is kept for this tab only. */
export function SignIn({ onSignedIn, problem }: { onSignedIn: () => void; problem?: string }) {
  const [token, setToken] = useState('');
  return (
    <main class="sign-in">
      <h1>IoT Analytics</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!token.trim()) return;
          signIn(token);
          onSignedIn();
        }}
      >
        <label for="token">JWT or API key</label>
        <textarea
          id="token"
          rows={4}
          value={token}
          autoComplete="off"
          spellcheck={false}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p class="hint">Kept for this browser tab only; sent only to this API.</p>
        {problem ? (
          <p class="error" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
