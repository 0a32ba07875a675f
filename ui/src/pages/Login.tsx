// Sign in: username and password, or the organisation's OIDC provider when the server
// has one (`GET /api/auth/config`). Returns to `?return_to=` (same-site paths only).
// Uses POST /api/auth/login and GET /api/auth/me.

import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { Alert, Box, Button, Divider, Paper, Stack, TextField, Typography } from "@mui/material";
import LoginIcon from "@mui/icons-material/LoginOutlined";

import { ApiError, errorText, safeReturnTo, withQuery } from "../api/client";
import { useAuthConfig, useLogin, useMe } from "../api/auth";
import { ErrorState, Loading } from "../components/QueryState";

/** What a failed sign-in means to a person. */
export function loginErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "Wrong username or password.";
    if (error.status === 429) {
      const wait = error.retryAfter;
      return wait === null
        ? "Too many sign-in attempts. Wait a moment, then try again."
        : `Too many sign-in attempts. Try again in ${wait < 90 ? `${wait} second${wait === 1 ? "" : "s"}` : `${Math.ceil(wait / 60)} minutes`}.`;
    }
  }
  return errorText(error);
}

export function Login() {
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get("return_to"));
  const navigate = useNavigate();
  const me = useMe();
  const config = useAuthConfig();
  const login = useLogin();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState(false);
  // The OIDC callback comes back here with `?error=` when the provider said no.
  const providerError = params.get("error");

  if (me.data) return <Navigate to={returnTo} replace />;

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (username.trim() === "" || password === "") return;
    login.mutate({ username: username.trim(), password }, { onSuccess: () => void navigate(returnTo, { replace: true }) });
  }

  const oidc = config.data?.oidc.enabled ? config.data.oidc : null;
  const localLogin = config.data?.local_login ?? true;

  return (
    <Box component="main" id="main" sx={{ minHeight: "100vh", display: "grid", placeItems: "center", p: 2, bgcolor: "background.default" }}>
      <Paper sx={{ width: "100%", maxWidth: 400, p: { xs: 3, sm: 4 } }}>
        <Typography variant="h5" component="p" sx={{ fontWeight: 700, letterSpacing: 0.5, color: "primary.main" }}>
          Torro
        </Typography>
        <Typography variant="h1" sx={{ mt: 1, mb: 0.5 }}>
          Sign in
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 3 }}>
          The data catalog of your organisation
        </Typography>
        {(me.isPending || config.isPending) && <Loading label="Loading…" rows={2} />}
        {config.isError && <ErrorState error={config.error} title="Cannot reach the Torro server" onRetry={() => void config.refetch()} />}
        {config.data && (
          <Stack spacing={2}>
            {providerError && !login.isError && (
              <Alert severity="error" role="alert">
                Sign-in with the identity provider failed: {providerError}
              </Alert>
            )}
            {login.isError && (
              <Alert severity="error" role="alert">
                {loginErrorText(login.error)}
              </Alert>
            )}
            {oidc && (
              <Button
                variant="contained"
                size="large"
                href={withQuery("/api/auth/oidc/login", { return_to: returnTo })}
                startIcon={<LoginIcon />}
              >
                {oidc.label ?? "Sign in with your organisation"}
              </Button>
            )}
            {oidc && localLogin && <Divider>or</Divider>}
            {localLogin && (
              <form onSubmit={submit} noValidate aria-label="Sign in with a password">
                <Stack spacing={2}>
                  <TextField
                    label="Username"
                    value={username}
                    onChange={(e) => setUsername(e.target.value)}
                    autoComplete="username"
                    autoFocus
                    required
                    error={touched && username.trim() === ""}
                    helperText={touched && username.trim() === "" ? "Enter your username" : undefined}
                  />
                  <TextField
                    label="Password"
                    type="password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    autoComplete="current-password"
                    required
                    error={touched && password === ""}
                    helperText={touched && password === "" ? "Enter your password" : undefined}
                  />
                  <Button type="submit" variant={oidc ? "outlined" : "contained"} size="large" disabled={login.isPending}>
                    {login.isPending ? "Signing in…" : "Sign in"}
                  </Button>
                </Stack>
              </form>
            )}
          </Stack>
        )}
      </Paper>
    </Box>
  );
}
