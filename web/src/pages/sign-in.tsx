import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/endpoints.ts";
import { isApiError } from "../api/client.ts";
import { Field, useTitle } from "../components/ui.tsx";
import { useI18n } from "../i18n/index.tsx";
import { Link, navigate, safeNext, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";

export function SignInPage({ mode }: { mode: "sign-in" | "sign-up" }) {
  const { m, errorText } = useI18n();
  const { setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [mode]);
  const signUp = mode === "sign-up";
  useTitle(signUp ? m.auth.signUpTitle : m.auth.signInTitle);
  const nextQs = `?next=${encodeURIComponent(next)}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const r = signUp ? await api.auth.signUp({ email, password, displayName }) : await api.auth.signIn({ email, password });
      setUser(r.user);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      if (isApiError(err)) setFieldErrors(err.fieldErrors());
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page narrow auth">
      <h1 ref={heading} tabIndex={-1}>
        {signUp ? m.auth.signUpTitle : m.auth.signInTitle}
      </h1>
      {next !== "/" && <p class="muted">{m.auth.signInToContinue}</p>}
      <form onSubmit={submit} class="form" noValidate={false}>
        {signUp && (
          <Field id="displayName" label={m.auth.displayName} hint={m.auth.displayNameHint} error={fieldErrors.displayName}>
            {(a) => <input {...a} data-testid="display-name" required maxLength={60} autocomplete="nickname" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />}
          </Field>
        )}
        <Field id="email" label={m.auth.email} error={fieldErrors.email}>
          {(a) => <input {...a} data-testid="email" type="email" required autocomplete="email" inputMode="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
        </Field>
        <Field id="password" label={m.auth.password} hint={signUp ? m.auth.passwordHint : undefined} error={fieldErrors.password}>
          {(a) => (
            <input
              {...a}
              data-testid="password"
              type="password"
              required
              minLength={signUp ? 8 : undefined}
              autocomplete={signUp ? "new-password" : "current-password"}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        {error != null && (
          <p class="form-error" role="alert">
            {errorText(error)}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-block" data-testid="sign-in-submit" disabled={busy}>
          {busy ? m.auth.busy : signUp ? m.auth.submitSignUp : m.auth.submitSignIn}
        </button>
      </form>
      <p class="auth-switch">
        <Link href={(signUp ? "/sign-in" : "/sign-up") + nextQs} replace>
          {signUp ? m.auth.toSignIn : m.auth.toSignUp}
        </Link>
      </p>
    </section>
  );
}
